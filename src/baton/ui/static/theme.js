// Applies the saved theme before the page paints (loaded blocking in <head>).
(function () {
  var theme = null;
  try { theme = window.localStorage.getItem("baton.theme"); } catch (e) { /* storage disabled */ }
  var known = ["light", "dark", "okabe-ito", "okabe-ito-dark"];
  if (!theme || known.indexOf(theme) < 0) {
    theme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-theme", theme);
})();
