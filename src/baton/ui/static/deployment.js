// A deployment's page: the Run form checks what it can, then asks the server for a run.

const form = document.getElementById("run-form");

const KIND_EXAMPLES = {
  integer: "a whole number, such as 42",
  number: "a number, such as 2.5",
  date: "a date, such as 2024-05-01",
  "date-time": "a date and time, such as 2024-05-01 14:00:00",
};

class Problem extends Error {}

function describeNumber(value) {
  return Number.isInteger(value) ? String(value) : value.toString();
}

function checkConstraints(label, value, constraints) {
  const c = constraints;
  if (typeof value === "number") {
    if (c.minimum !== undefined && value < c.minimum) throw new Problem(`${label} must be at least ${describeNumber(c.minimum)}.`);
    if (c.maximum !== undefined && value > c.maximum) throw new Problem(`${label} must be at most ${describeNumber(c.maximum)}.`);
    if (c.exclusiveMinimum !== undefined && value <= c.exclusiveMinimum) throw new Problem(`${label} must be more than ${describeNumber(c.exclusiveMinimum)}.`);
    if (c.exclusiveMaximum !== undefined && value >= c.exclusiveMaximum) throw new Problem(`${label} must be less than ${describeNumber(c.exclusiveMaximum)}.`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (c.minLength !== undefined && length < c.minLength) throw new Problem(`${label} must be at least ${c.minLength} characters long.`);
    if (c.maxLength !== undefined && length > c.maxLength) throw new Problem(`${label} must be at most ${c.maxLength} characters long.`);
    if (c.pattern !== undefined) {
      let pattern = null;
      try { pattern = new RegExp(c.pattern, "u"); } catch (e) { /* the server checks it */ }
      if (pattern && !pattern.test(value)) throw new Problem(`${label} must match the pattern ${c.pattern}.`);
    }
  }
  return value;
}

// The JSON value of one field, `undefined` to leave it out; throws a Problem when wrong.
function readField(box) {
  const input = box.querySelector(".param-input");
  const { label, kind, jsonType } = box.dataset;
  const required = box.dataset.required === "true";
  const constraints = JSON.parse(box.dataset.constraints || "{}");
  if (input.type === "checkbox") return input.checked;
  const text = input.value.trim();
  if (text === "") {
    if (input.validity && input.validity.badInput) throw new Problem(`${label} must be ${KIND_EXAMPLES[kind]}.`);
    if (required) throw new Problem(`${label} is required.`);
    return undefined;
  }
  switch (kind) {
    case "integer":
      if (!/^[+-]?\d+$/.test(text)) throw new Problem(`${label} must be ${KIND_EXAMPLES.integer}.`);
      return checkConstraints(label, Number(text), constraints);
    case "number": {
      const number = Number(text);
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(number)) {
        throw new Problem(`${label} must be ${KIND_EXAMPLES.number}.`);
      }
      return checkConstraints(label, number, constraints);
    }
    case "date":
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new Problem(`${label} must be ${KIND_EXAMPLES.date}.`);
      return text;
    case "date-time":
      return utcTime(text, label);
    case "boolean":
    case "enum":
      return JSON.parse(text);
    case "json": {
      let value;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new Problem(`${label} must be JSON (${e.message}).`);
      }
      if (jsonType === "array" && !Array.isArray(value)) throw new Problem(`${label} must be a JSON list, such as [1, 2].`);
      if (jsonType === "object" && (value === null || typeof value !== "object" || Array.isArray(value))) {
        throw new Problem(`${label} must be a JSON object, such as {"key": "value"}.`);
      }
      return value;
    }
    default:
      return checkConstraints(label, text, constraints);
  }
}

// A datetime-local value (UTC by the page's convention) as an ISO time with its offset.
function utcTime(text, label) {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/.exec(text);
  if (!match) throw new Problem(`${label} must be ${KIND_EXAMPLES["date-time"]}.`);
  return `${match[1]}T${match[2]}${match[3] || ":00"}Z`;
}

function showProblem(box, message) {
  const input = box.querySelector(".param-input");
  const error = box.querySelector(".field-error");
  error.textContent = message;
  error.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

// The request body, or null after marking every field that is wrong.
function readForm() {
  const parameters = {};
  const wrong = [];
  for (const box of form.querySelectorAll(".form-field")) {
    try {
      const value = readField(box);
      showProblem(box, "");
      if (value === undefined) continue;
      if (box.dataset.name === "") Object.assign(parameters, value);
      else parameters[box.dataset.name] = value;
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      showProblem(box, e.message);
      wrong.push(box);
    }
  }
  const body = { parameters };
  const startBox = document.getElementById("run-start-field");
  try {
    const start = startBox.querySelector(".param-input");
    if (start.value) body.scheduled_time = utcTime(start.value, "Start at");
    else if (start.validity.badInput) throw new Problem(`Start at must be ${KIND_EXAMPLES["date-time"]}.`);
    showProblem(startBox, "");
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    document.querySelector(".run-options").open = true;
    showProblem(startBox, e.message);
    wrong.push(startBox);
  }
  const name = document.getElementById("run-name").value.trim();
  if (name) body.name = name;
  const summary = document.getElementById("run-form-summary");
  if (wrong.length) {
    const messages = wrong.map((box) => box.querySelector(".field-error").textContent);
    summary.textContent = `Nothing was sent: ${wrong.length === 1 ? "one field needs" : `${wrong.length} fields need`} fixing. ${messages.join(" ")}`;
    summary.hidden = false;
    wrong[0].querySelector(".param-input").focus();
    return null;
  }
  summary.hidden = true;
  return body;
}

function serverMessage(body, response) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).filter((p) => p !== "body").join(".")}: ${d.msg}`).join("; ");
  }
  return response.statusText || `HTTP ${response.status}`;
}

function showAnswer(heading, detail) {
  const answer = document.getElementById("run-form-answer");
  const title = document.createElement("p");
  title.textContent = heading;
  answer.replaceChildren(title);
  if (detail) {
    const text = document.createElement("pre");
    text.className = "server-message";
    text.textContent = detail;
    answer.append(text);
  }
  answer.hidden = false;
}

async function submit(event) {
  event.preventDefault();
  document.getElementById("run-form-answer").hidden = true;
  const body = readForm();
  if (!body) return;
  const button = document.getElementById("run-submit");
  button.disabled = true;
  try {
    const response = await fetch(`/api/deployments/${form.dataset.deploymentId}/create_flow_run`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let answer = null;
    try { answer = await response.json(); } catch (e) { /* not JSON */ }
    if (response.ok && answer && answer.id) {
      window.location.assign(`/runs/${answer.id}`);
      return;
    }
    showAnswer(`The server refused to create the run (HTTP ${response.status}):`, serverMessage(answer, response));
  } catch (e) {
    showAnswer("Could not reach the server; nothing was created. Try again.", "");
  } finally {
    button.disabled = false;
  }
}

if (form) {
  form.addEventListener("submit", submit);
  for (const box of form.querySelectorAll(".form-field")) {
    const input = box.querySelector(".param-input");
    // A field marked wrong is checked again as soon as it changes.
    input.addEventListener("change", () => {
      if (input.getAttribute("aria-invalid") !== "true") return;
      try { readField(box); showProblem(box, ""); } catch (e) { if (e instanceof Problem) showProblem(box, e.message); }
    });
  }
}
