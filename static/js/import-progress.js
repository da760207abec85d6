// The import page while a spreadsheet is checked or imported: move the progress bar, and load the
// page again once the job has an outcome, which the server writes. Without this script the page
// says so and offers a link to reload it.
(function () {
  "use strict";

  var INTERVAL = 1500;
  var ARRIVED = "import-result-arrived";
  var box = document.querySelector("[data-status-url]");

  // After the reload, the outcome's heading takes the focus, so a screen reader reads it next.
  if (!box) {
    var heading = document.getElementById("import-result-title");
    if (heading && window.sessionStorage && sessionStorage.getItem(ARRIVED) === window.location.pathname) {
      sessionStorage.removeItem(ARRIVED);
      heading.focus();
    }
    return;
  }

  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var label = box.querySelector("[data-status-label]");

  function update(body) {
    bar.value = body.progress;
    bar.textContent = body.progress + " %";
    text.textContent = body.progress + " %";
    // Only a new step is announced (the label is a live region), not every percent.
    if (label.textContent !== body.status_label) label.textContent = body.status_label;
    if (body.active) return true;
    if (window.sessionStorage) sessionStorage.setItem(ARRIVED, window.location.pathname);
    window.location.replace(window.location.href);
    return false;
  }

  function poll() {
    var request = { credentials: "same-origin", headers: { Accept: "application/json" } };
    fetch(box.getAttribute("data-status-url"), request)
      .then(function (response) {
        // Signed out, or the job is gone: the page itself says so once loaded again.
        if (response.redirected || (response.status >= 400 && response.status < 500)) {
          window.location.reload();
          return null;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (body) {
        if (body && update(body)) later();
      })
      // A weak connection drops a request now and then: the next round asks again.
      .catch(later);
  }

  function later() {
    window.setTimeout(poll, INTERVAL);
  }

  later();
})();
