// The outbox page: what is saved on this phone, in which state, with the server's message on
// what it refused; "Send now" retries everything, each item can be corrected or discarded.
(function () {
  "use strict";

  var outbox = window.ppOutbox;
  var list = document.getElementById("outbox-list");
  if (!outbox || !list) return;
  var text = outbox.text;
  var progress = document.getElementById("outbox-progress");
  var sendNow = document.getElementById("send-now");

  // Served by the worker in place of a page that needs the network.
  document.getElementById("needs-connection").hidden = location.pathname === outbox.config.outbox;

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function draw(items) {
    list.textContent = "";
    document.getElementById("outbox-empty").hidden = items.length > 0;
    sendNow.hidden = items.length === 0;
    items.forEach(function (item) {
      var row = element("li", "outbox-item state-" + item.state);
      row.setAttribute("data-uuid", item.uuid);
      var title = element("h2", "", item.summary.title || text.untitled);
      var facts = [item.summary.region, item.summary.date, text[item.intent]].filter(Boolean).join(" · ");
      var state = element("p", "outbox-state", text[item.state] || text.saved);
      row.append(title, element("p", "", facts), state);
      row.appendChild(element("p", "", text.photos + ": " + item.photos.length));
      var errors = item.errors || {};
      var keys = Object.keys(errors);
      // The server's message is the first of its field messages when there are any: said once.
      if (item.message && !keys.length) {
        row.appendChild(element("p", item.state === "attention" ? "error" : "note", item.message));
      }
      if (keys.length) {
        var problems = element("ul", "error");
        keys.forEach(function (key) {
          errors[key].forEach(function (message) { problems.appendChild(element("li", "", message)); });
        });
        row.appendChild(problems);
      }
      if (item.server) row.appendChild(element("p", "note", text.onServer));
      var actions = element("p", "outbox-item-actions");
      var edit = element("a", "button", text.edit);
      edit.href = outbox.config.form + "#outbox=" + item.uuid;
      var discard = element("button", "", text.discard);
      discard.type = "button";
      discard.addEventListener("click", function () {
        if (window.confirm(text.discardConfirm)) outbox.discard(item.uuid);
      });
      actions.append(edit, " ", discard);
      row.appendChild(actions);
      list.appendChild(row);
    });
    drawSent();
  }

  function drawSent() {
    var sent = outbox.sentList();
    var section = document.getElementById("outbox-sent");
    var target = section.querySelector("ul");
    target.textContent = "";
    sent.forEach(function (entry) {
      var row = element("li");
      var link = element("a", "", entry.title);
      link.href = entry.url;
      row.append(link, " — " + (entry.submitted ? text.sentSubmitted : text.sentDraft));
      target.appendChild(row);
    });
    section.hidden = sent.length === 0;
  }

  sendNow.addEventListener("click", function () {
    sendNow.disabled = true;
    progress.textContent = text.sending;
    outbox.sendAll({ everything: true }).then(function () {
      sendNow.disabled = false;
      progress.textContent = "";
    });
  });

  outbox.onChange(draw);
  outbox.open().then(function () {
    return outbox.items().then(draw);
  }, function (error) {
    sendNow.hidden = true;
    if (error.kind === "outdated") progress.textContent = text.outdated;
    else document.getElementById("outbox-unavailable").hidden = false;
  });
  var storage = document.getElementById("outbox-storage");
  outbox.persisted().then(function (kept) {
    storage.textContent = storage.getAttribute(kept ? "data-persisted" : "data-not-persisted");
  });
})();
