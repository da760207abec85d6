// Quick exit: one click on the button, or Escape twice within a second, and the page is replaced
// by a neutral site. Without script the button is a plain link to that site.
//
// location.replace swaps the current history entry for the neutral site, so Back does not return
// to this page. Earlier pages of the portal stay in the history: no browser lets a page erase
// them (the help page says how to browse privately). The page is hidden first, so that nothing
// stays on screen while a slow phone loads the neutral site.
(function () {
  "use strict";
  var ESCAPE_WINDOW_MS = 1000;

  function leave(url) {
    document.title = "";
    if (document.body) document.body.hidden = true;
    try {
      // The entry the browser keeps until the new site answers shows nothing of this page.
      history.replaceState(null, "", "/");
    } catch (error) { /* a sandboxed frame may refuse; leaving matters more */ }
    window.location.replace(url);
  }

  function start() {
    var button = document.getElementById("quick-exit");
    if (!button) return;
    var url = button.href;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      leave(url);
    });
    var lastEscape = 0;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") return;
      var now = Date.now();
      if (now - lastEscape <= ESCAPE_WINDOW_MS) {
        leave(url);
      }
      lastEscape = now;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
