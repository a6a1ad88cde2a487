// Every page: the theme selector, the saved views of the runs list, and action buttons.

const THEME_KEY = "baton.theme";
const VIEWS_KEY = "baton.savedViews";

function readViews() {
  try {
    const views = JSON.parse(localStorage.getItem(VIEWS_KEY) || "[]");
    return Array.isArray(views) ? views.filter((v) => v && v.name && v.query !== undefined) : [];
  } catch (e) {
    return [];
  }
}

function writeViews(views) {
  localStorage.setItem(VIEWS_KEY, JSON.stringify(views));
}

function setUpTheme() {
  const select = document.getElementById("theme-select");
  if (!select) return;
  select.value = document.documentElement.getAttribute("data-theme") || "light";
  select.addEventListener("change", () => {
    document.documentElement.setAttribute("data-theme", select.value);
    try { localStorage.setItem(THEME_KEY, select.value); } catch (e) { /* storage disabled */ }
  });
}

function renderSavedViews() {
  const box = document.getElementById("saved-views");
  const list = document.getElementById("saved-views-list");
  if (!box || !list) return;
  const views = readViews();
  list.replaceChildren();
  for (const view of views) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = "/runs" + (view.query ? "?" + view.query : "");
    link.textContent = view.name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove saved view ${view.name}`);
    remove.addEventListener("click", () => {
      writeViews(readViews().filter((v) => v.name !== view.name));
      renderSavedViews();
    });
    item.append(link, " ", remove);
    list.append(item);
  }
  box.hidden = views.length === 0;
}

function setUpSaveView() {
  const form = document.getElementById("save-view");
  if (!form) return;
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("save-view-name");
    const name = input.value.trim();
    if (!name) return;
    const params = new URLSearchParams(window.location.search);
    params.delete("page");
    const views = readViews().filter((v) => v.name !== name);
    views.push({ name, query: params.toString() });
    writeViews(views);
    renderSavedViews();
    document.getElementById("save-view-status").textContent = `Saved “${name}”.`;
    input.value = "";
  });
}

// Buttons that change something through the API (pause, resume): say what happened,
// then reload the page to show the new state.
function setUpActionButtons() {
  for (const button of document.querySelectorAll("button[data-action-url]")) {
    button.addEventListener("click", async () => {
      const answer = document.getElementById(button.dataset.answer);
      button.disabled = true;
      answer.textContent = "Asking the server…";
      try {
        const response = await fetch(button.dataset.actionUrl, {
          method: button.dataset.method || "POST",
          headers: { "Content-Type": "application/json" },
          body: button.dataset.body || "{}",
        });
        if (response.ok) {
          answer.textContent = "Done.";
          window.location.reload();
          return;
        }
        let detail = response.statusText;
        try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
        answer.textContent = `The server refused: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`;
      } catch (e) {
        answer.textContent = "Could not reach the server; try again.";
      }
      button.disabled = false;
    });
  }
}

setUpTheme();
renderSavedViews();
setUpSaveView();
setUpActionButtons();
