// Reports page: offer only the formats of the chosen kind, show only its filters, and follow
// the reports in preparation until they are ready. The server checks everything this narrows;
// without this script the page still works, and says to reload it.
(function () {
  "use strict";

  var INTERVAL = 2000;

  function narrowForm() {
    var kind = document.getElementById("id_kind");
    var format = document.getElementById("id_format");
    if (!kind || !format) return;
    function apply() {
      var chosen = kind.options[kind.selectedIndex];
      var offered = ((chosen && chosen.getAttribute("data-formats")) || "").split(" ");
      Array.prototype.forEach.call(format.options, function (option) {
        var fits = offered.indexOf(option.value) !== -1;
        option.hidden = !fits;
        option.disabled = !fits;
      });
      if (format.options[format.selectedIndex] && format.options[format.selectedIndex].disabled) {
        format.value = offered[0];
      }
      document.querySelectorAll("fieldset[data-kinds]").forEach(function (fieldset) {
        fieldset.hidden = fieldset.getAttribute("data-kinds").split(" ").indexOf(kind.value) === -1;
      });
    }
    kind.addEventListener("change", apply);
    apply();
  }

  function activeRows() {
    return document.querySelectorAll('tr[data-report][data-status="queued"], tr[data-report][data-status="running"]');
  }

  function downloadLink(cell, url) {
    var link = document.createElement("a");
    var name = document.createElement("span");
    link.href = url;
    link.setAttribute("download", "");
    link.textContent = cell.getAttribute("data-download-text");
    name.className = "visually-hidden";
    name.textContent = " " + cell.getAttribute("data-download-name");
    link.appendChild(name);
    cell.replaceChildren(link);
  }

  function update(row, body) {
    var label = row.querySelector("[data-status-label]");
    var bar = row.querySelector("[data-progress]");
    var error = row.querySelector("[data-error]");
    row.setAttribute("data-status", body.status);
    if (label.textContent !== body.status_label) label.textContent = body.status_label;
    label.className = "status status-" + body.status;
    bar.value = body.progress;
    bar.textContent = body.progress + " %";
    row.querySelector("[data-progress-text]").textContent = body.progress + " %";
    if (body.status === "failed") {
      error.textContent = body.error || error.getAttribute("data-default-error");
      error.hidden = false;
    }
    if (body.download_url) downloadLink(row.querySelector("[data-download]"), body.download_url);
  }

  function check(row) {
    var request = { credentials: "same-origin", headers: { Accept: "application/json" } };
    return fetch(row.getAttribute("data-status-url"), request)
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (body) { update(row, body); })
      // A weak connection drops a request now and then: the next round asks again.
      .catch(function () {});
  }

  function poll() {
    var rows = activeRows();
    if (!rows.length) return;
    Promise.all(Array.prototype.map.call(rows, check)).then(function () {
      if (activeRows().length) window.setTimeout(poll, INTERVAL);
    });
  }

  narrowForm();
  window.setTimeout(poll, INTERVAL);
})();
