// A flow run's page: follows the run live (state, progress, logs); offers cancel and retry.

const POLL_MS = 1500;
const run = document.getElementById("run");

function appendLogs(lines) {
  const list = document.getElementById("log-lines");
  if (!list || lines.length === 0) return;
  for (const line of lines) {
    const item = document.createElement("li");
    item.className = `log log--${line.level.toLowerCase()}`;
    const time = document.createElement("time");
    time.dateTime = line.timestamp;
    time.textContent = line.time;
    const level = document.createElement("span");
    level.className = "log-level";
    level.textContent = line.level;
    let source;
    if (line.task_run_id) {
      source = document.createElement("a");
      source.href = `/task-runs/${line.task_run_id}`;
      source.textContent = line.task_run_name || "task run";
    } else {
      source = document.createElement("span");
      source.textContent = "flow";
    }
    source.classList.add("log-task");
    const message = document.createElement("span");
    message.className = "log-message";
    message.textContent = line.message;
    item.append(time, " ", level, " ", source, " ", message);
    list.append(item);
  }
  document.getElementById("log-empty").hidden = true;
  const follow = document.getElementById("log-follow");
  if (follow && follow.checked) list.lastElementChild.scrollIntoView({ block: "nearest" });
}

// Big runs take the server a while to draw: redraw at most every few times that long.
let redrawAllowedAt = 0;

async function redrawProgress(force) {
  if (!force && performance.now() < redrawAllowedAt) return false;
  const began = performance.now();
  const answer = await fetch(run.dataset.progressUrl, { headers: { Accept: "text/html" } });
  if (!answer.ok) return false;
  document.getElementById("progress").innerHTML = await answer.text();
  redrawAllowedAt = performance.now() + 5 * (performance.now() - began);
  return true;
}

async function poll() {
  const params = new URLSearchParams();
  if (run.dataset.logCursor) params.set("after", run.dataset.logCursor);
  if (run.dataset.logLevel) params.set("level", run.dataset.logLevel);
  if (run.dataset.logQ) params.set("q", run.dataset.logQ);
  const answer = await fetch(`${run.dataset.liveUrl}?${params}`);
  if (!answer.ok) return false;
  const live = await answer.json();
  const state = document.getElementById("run-state");
  if (state.innerHTML.trim() !== live.state_html.trim()) state.innerHTML = live.state_html;
  document.getElementById("run-duration").innerHTML = live.duration;
  document.getElementById("run-ended").innerHTML = live.ended;
  const message = document.getElementById("run-message");
  message.textContent = live.message || "";
  message.hidden = !live.message;
  appendLogs(live.logs);
  run.dataset.logCursor = live.cursor;
  run.dataset.moreLogs = live.more_logs ? "true" : "false";
  if (live.version !== run.dataset.version && (await redrawProgress(live.terminal))) {
    run.dataset.version = live.version;
  }
  run.dataset.stateType = live.state_type || "";
  if (live.terminal) run.dataset.terminal = "true";
  showActions();
  // A finished run is followed until its last log lines have arrived.
  return live.terminal && !live.more_logs;
}

async function follow() {
  let finished = false;
  try {
    finished = await poll();
  } catch (e) {
    // The server may be restarting: keep trying.
  }
  // A backlog of log lines is fetched page after page without waiting.
  if (!finished) window.setTimeout(follow, run.dataset.moreLogs === "true" ? 50 : POLL_MS);
}

// Scheduled or paused runs have no process yet: they are cancelled at once. A run
// under way is asked to stop (Cancelling); the worker running it stops its process
// and marks it Cancelled.
const WAITING = ["SCHEDULED", "PAUSED"];

function showActions() {
  const terminal = run.dataset.terminal === "true";
  const cancel = document.getElementById("cancel-run");
  cancel.hidden = terminal || run.dataset.stateType === "CANCELLING";
  const retry = document.getElementById("retry-run") || document.getElementById("retry-note");
  if (retry) retry.hidden = !terminal;
}

function describeAnswer(body, proposed) {
  if (body.status === "ACCEPT") {
    if (proposed === "CANCELLING") {
      return "Cancelling: the orchestrator accepted. The worker running this flow stops its process and marks the run Cancelled.";
    }
    return "Cancelled: the orchestrator accepted.";
  }
  const details = body.details || {};
  const rule = details.rule ? ` (${details.rule})` : "";
  return `The orchestrator answered ${body.status}${rule}: ${details.reason || "no reason given"}`;
}

async function cancelRun(button) {
  const answer = document.getElementById("cancel-answer");
  const proposed = WAITING.includes(run.dataset.stateType) ? "CANCELLED" : "CANCELLING";
  button.disabled = true;
  answer.textContent = "Asking the orchestrator…";
  try {
    const response = await fetch(`/api/flow_runs/${run.dataset.runId}/set_state`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        state: { type: proposed, message: "Cancelled from the web UI" },
        force: false,
      }),
    });
    const body = await response.json();
    answer.textContent = response.ok
      ? describeAnswer(body, proposed)
      : `The server refused: ${body.detail || response.statusText}`;
  } catch (e) {
    answer.textContent = "Could not reach the server; try again.";
  } finally {
    button.disabled = false;
  }
  await poll();
}

async function retryRun(button) {
  const answer = document.getElementById("cancel-answer");
  const parameters = JSON.parse(document.getElementById("run-parameters").textContent);
  button.disabled = true;
  answer.textContent = "Creating a new run of the deployment…";
  try {
    const response = await fetch(`/api/deployments/${run.dataset.deploymentId}/create_flow_run`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ parameters }),
    });
    const body = await response.json();
    if (response.ok && body.id) {
      window.location.assign(`/runs/${body.id}`);
      return;
    }
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    answer.textContent = `The server refused to create the run (HTTP ${response.status}): ${detail}`;
  } catch (e) {
    answer.textContent = "Could not reach the server; try again.";
  }
  button.disabled = false;
}

function setUpActions() {
  const cancel = document.getElementById("cancel-run");
  cancel.addEventListener("click", () => cancelRun(cancel));
  const retry = document.getElementById("retry-run");
  if (retry) retry.addEventListener("click", () => retryRun(retry));
  showActions();
}

if (run) {
  setUpActions();
  if (run.dataset.terminal !== "true" || run.dataset.moreLogs === "true") {
    window.setTimeout(follow, POLL_MS);
  }
}
