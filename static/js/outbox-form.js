// The new-activity form, with or without signal: "Save draft" and "Submit for review" keep the
// activity and its photos on the phone first (outbox.js), then send them when there is a
// connection. Photos are reduced on the phone (long side 1,600 px, JPEG) so they travel on a weak
// signal. Before a submission the coordinator sees her answers and what a reviewer would return
// the activity for, checked here with the server's own messages; the server checks again.
// Without IndexedDB (a private window) the form posts to the server as a plain form.
(function () {
  "use strict";

  var outbox = window.ppOutbox;
  var form = document.querySelector("form[data-outbox]");
  if (!form || !outbox) return;

  var text = outbox.text;
  var checks = outbox.config.checks;
  var status = document.getElementById("outbox-status");
  var photoInput = document.getElementById("id_photos");
  var photoList = document.getElementById("photo-list");
  var checkSection = document.getElementById("check-answers");
  var MAX_FILE_BYTES = 10 * 1024 * 1024;
  var LONG_SIDE = 1600;
  var PEOPLE = ["girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men"];
  var IDS = ["region", "objective", "service", "support_network"];
  var TEXTS = ["title", "description", "modality", "place_name", "district"];
  var OPTIONAL = ["start_date", "end_date", "latitude", "longitude"];

  var current = null; // the outbox item this form edits, once saved
  var keptPhotos = []; // the item's photos already on the phone: {uuid, name, type, size}
  var newPhotos = []; // chosen since the last save: {uuid, blob, name, type}
  var intercept = null; // null until we know whether IndexedDB works here

  var usable = outbox.open().then(function () { intercept = true; return true; }, function (error) {
    intercept = false;
    var notice = document.getElementById("outbox-unavailable");
    if (error.kind === "outdated") say(text.outdated);
    else if (notice) notice.hidden = false;
    return false;
  });

  // Reading and filling the form -----------------------------------------------------------------

  function collect() {
    var data = new FormData(form);
    var fields = {};
    IDS.forEach(function (name) {
      var value = data.get(name);
      fields[name] = value ? parseInt(value, 10) : null;
    });
    TEXTS.forEach(function (name) { fields[name] = data.get(name) || ""; });
    OPTIONAL.forEach(function (name) { fields[name] = data.get(name) || null; });
    PEOPLE.concat(["families"]).forEach(function (name) {
      var value = parseInt(data.get(name), 10);
      fields[name] = isNaN(value) ? 0 : value;
    });
    fields.institutions = data.getAll("institutions").map(Number);
    return fields;
  }

  function chosenText(name) {
    var select = form.elements[name];
    return select && select.selectedIndex > 0 ? select.options[select.selectedIndex].text : "";
  }

  function fill(fields) {
    Object.keys(fields).forEach(function (name) {
      var control = form.elements[name];
      if (!control) return;
      if (name === "institutions") {
        form.querySelectorAll("input[name=institutions]").forEach(function (box) {
          box.checked = fields.institutions.indexOf(Number(box.value)) !== -1;
        });
        return;
      }
      control.value = fields[name] === null ? "" : String(fields[name]);
      control.dispatchEvent(new Event("change", { bubbles: true }));
      control.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  // Photos ----------------------------------------------------------------------------------------

  function prepare(file, number) {
    var name = (outbox.config.lang === "es" ? "foto-" : "photo-") + number;
    if (file.type === "application/pdf") {
      if (file.size > MAX_FILE_BYTES) return Promise.reject(fileProblem(text.tooBig, file));
      return Promise.resolve({ uuid: outbox.newUuid(), blob: file, name: name + ".pdf", type: file.type });
    }
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return Promise.reject(fileProblem(text.wrongType, file));
    return shrink(file).then(function (blob) {
      return { uuid: outbox.newUuid(), blob: blob, name: name + ".jpg", type: "image/jpeg" };
    }, function () {
      // Not decodable here: the server reads it and says what it thinks.
      if (file.size > MAX_FILE_BYTES) throw fileProblem(text.tooBig, file);
      return { uuid: outbox.newUuid(), blob: file, name: name + "." + file.type.split("/")[1], type: file.type };
    });
  }

  function fileProblem(message, file) {
    return new Error(message.replace("%(name)s", file.name));
  }

  // Re-drawing the pixels also leaves the camera's metadata (GPS position, time) on the phone.
  function shrink(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff"; // transparent PNG areas become white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", 0.8);
      });
    });
  }

  function drawPhotos() {
    photoList.textContent = "";
    keptPhotos.concat(newPhotos).forEach(function (photo) {
      var row = document.createElement("li");
      if (photo.blob && photo.type.indexOf("image/") === 0) {
        var preview = document.createElement("img");
        preview.src = URL.createObjectURL(photo.blob);
        preview.alt = "";
        preview.width = 64;
        row.appendChild(preview);
      }
      var size = photo.blob ? photo.blob.size : photo.size;
      row.appendChild(document.createTextNode(photo.name + " (" + Math.max(1, Math.round(size / 1024)) + " KB) "));
      var sent = current && current.sentPhotos.indexOf(photo.uuid) !== -1;
      if (!sent) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = text.remove;
        remove.setAttribute("aria-label", text.remove + " " + photo.name);
        remove.addEventListener("click", function () {
          keptPhotos = keptPhotos.filter(function (p) { return p.uuid !== photo.uuid; });
          newPhotos = newPhotos.filter(function (p) { return p.uuid !== photo.uuid; });
          drawPhotos();
          photoInput.focus();
        });
        row.appendChild(remove);
      }
      photoList.appendChild(row);
    });
  }

  photoInput.addEventListener("change", function () {
    if (!intercept) return; // the plain form sends the chosen files itself
    var files = Array.prototype.slice.call(photoInput.files);
    if (!files.length) return;
    photoInput.value = "";
    clearFieldError("photos");
    say(text.preparing);
    var first = keptPhotos.length + newPhotos.length + 1;
    Promise.all(files.map(function (file, index) {
      return prepare(file, first + index).catch(function (error) { return error; });
    })).then(function (prepared) {
      say("");
      var refused = [];
      prepared.forEach(function (photo) {
        if (photo instanceof Error) refused.push(photo.message);
        else newPhotos.push(photo);
      });
      drawPhotos();
      if (refused.length) fieldError("photos", refused);
    });
  });

  // Checking before a submission --------------------------------------------------------------------

  function localToday() {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 10);
  }

  // The server's rules (Activity.submission_problems), so no trip is wasted on what it would refuse.
  function problems(fields) {
    var found = {};
    function add(key, failed) { if (failed && checks[key]) found[key] = checks[key]; }
    ["objective", "service", "start_date", "end_date"].forEach(function (key) { add(key, !fields[key]); });
    add("title", !fields.title.trim());
    var people = PEOPLE.reduce(function (sum, name) { return sum + fields[name]; }, 0);
    add("participants", people < 1);
    var point = fields.latitude && fields.longitude;
    add("place_name", fields.modality !== "virtual" && !fields.place_name.trim() && !point);
    add("description", !fields.description.trim());
    add("evidence", keptPhotos.length + newPhotos.length < 1);
    add("families", fields.families > fields.women + fields.men);
    var today = localToday();
    if (fields.start_date && fields.start_date > today) add("start_date", true);
    if (fields.end_date && fields.end_date > today) add("end_date", true);
    return found;
  }

  var ANSWERS = [
    "region", "objective", "service", "title", "description", "modality", "start_date", "end_date", "place_name",
    "district", "latitude", "longitude", "participants", "families", "institutions", "support_network", "photos",
  ];

  function labelOf(key) {
    if (key === "participants") return form.querySelector(".counts-grid caption").textContent;
    if (key === "institutions") return form.querySelector("#id_institutions legend").textContent;
    var label = form.querySelector("label[for=id_" + key + "]");
    return label ? label.textContent.replace("*", "").trim() : key;
  }

  function answerOf(key, fields) {
    if (IDS.indexOf(key) !== -1 || key === "modality") return chosenText(key) || form.elements[key].value;
    if (key === "participants") return String(PEOPLE.reduce(function (sum, name) { return sum + fields[name]; }, 0));
    if (key === "institutions") {
      return Array.prototype.map.call(form.querySelectorAll("input[name=institutions]:checked"), function (box) {
        return box.parentNode.textContent.trim();
      }).join(", ") || text.none;
    }
    if (key === "photos") return String(keptPhotos.length + newPhotos.length);
    var value = fields[key];
    return value === null || value === "" ? "" : String(value);
  }

  function showCheck(fields) {
    var found = problems(fields);
    var list = document.getElementById("check-list");
    list.textContent = "";
    ANSWERS.forEach(function (key) {
      var row = document.createElement("div");
      row.className = "summary-row";
      var term = document.createElement("dt");
      term.textContent = labelOf(key);
      var answer = document.createElement("dd");
      answer.textContent = answerOf(key, fields) || text.noAnswer;
      var change = document.createElement("dd");
      change.className = "summary-change";
      var link = document.createElement("a");
      link.href = "#" + targetOf(key);
      link.textContent = text.change;
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + term.textContent;
      link.appendChild(hidden);
      link.addEventListener("click", backToForm);
      change.appendChild(link);
      row.append(term, answer, change);
      list.appendChild(row);
    });
    var box = document.getElementById("check-problems");
    var items = box.querySelector("ul");
    items.textContent = "";
    Object.keys(found).forEach(function (key) {
      var entry = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + targetOf(key);
      link.textContent = found[key];
      link.addEventListener("click", backToForm);
      entry.appendChild(link);
      items.appendChild(entry);
    });
    box.hidden = items.children.length === 0;
    document.getElementById("check-send").hidden = !box.hidden;
    form.hidden = true;
    checkSection.hidden = false;
    checkSection.focus();
    window.scrollTo(0, 0);
  }

  function backToForm(event) {
    checkSection.hidden = true;
    form.hidden = false;
    var target = event && event.currentTarget && event.currentTarget.hash
      ? document.getElementById(event.currentTarget.hash.slice(1)) : null;
    if (target) {
      event.preventDefault();
      target.focus();
      target.scrollIntoView({ block: "center" });
    }
  }

  function targetOf(key) {
    if (key === "participants") return "id_girls";
    if (key === "evidence" || key === "photos") return "id_photos";
    return "id_" + key;
  }

  document.getElementById("check-back").addEventListener("click", backToForm);
  document.getElementById("check-send").addEventListener("click", function () {
    checkSection.hidden = true;
    form.hidden = false;
    keep(collect(), "submit");
  });

  // Saving ----------------------------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    if (intercept === false) return;
    event.preventDefault();
    var submitter = event.submitter;
    usable.then(function (ok) {
      if (!ok) return form.requestSubmit(submitter);
      clearErrors();
      var fields = collect();
      if (!fields.region) return fieldError("region", [text.regionRequired]);
      if (submitter && submitter.value === "submit") return showCheck(fields);
      keep(fields, "draft");
    });
  });

  function keep(fields, intent) {
    var record = current || outbox.newItem();
    record.fields = fields;
    record.summary = { title: fields.title.trim(), region: chosenText("region"), date: fields.start_date };
    record.intent = intent;
    record.state = "saved";
    record.errors = {};
    record.message = "";
    if (record.server) record.dirty = true;
    record.photos = keptPhotos.concat(newPhotos.map(function (photo) {
      return { uuid: photo.uuid, name: photo.name, type: photo.type, size: photo.blob.size };
    }));
    var added = newPhotos;
    return outbox.save(record, added).then(function () {
      current = record;
      keptPhotos = record.photos.map(function (photo) {
        var fresh = added.filter(function (p) { return p.uuid === photo.uuid; })[0];
        return fresh ? Object.assign({ blob: fresh.blob }, photo) : photo;
      });
      newPhotos = [];
      if (!navigator.onLine) return next(text.queuedOffline);
      say(text.sendingNow);
      return outbox.sendAll().then(function (results) {
        var mine = results.filter(function (result) { return result.record.uuid === record.uuid; })[0];
        if (mine && mine.sent) {
          var done = intent === "submit" ? text.submitted : record.photos.length ? text.savedWithFiles : text.savedDraft;
          outbox.flash(done);
          location.href = outbox.config.detail.replace("/0/", "/" + mine.record.server.id + "/");
        } else if (mine && mine.record.state === "attention") {
          current = mine.record;
          showRefusal(mine.record);
        } else {
          next(navigator.onLine ? text.queuedRetry : text.queuedOffline);
        }
      });
    }, function (error) {
      say(error.kind === "outdated" ? text.outdated : error.message);
    });
  }

  // Kept on the phone: say so, and give the coordinator an empty form for the next activity.
  function next(message) {
    say(message, true);
    form.reset();
    current = null;
    keptPhotos = [];
    newPhotos = [];
    drawPhotos();
    // Let the other scripts redraw what depends on the fields: the services list, the total, the map.
    form.querySelectorAll("select, input:not([type=file])").forEach(function (control) {
      control.dispatchEvent(new Event("change", { bubbles: true }));
      control.dispatchEvent(new Event("input", { bubbles: true }));
    });
    if (location.hash) history.replaceState(null, "", location.pathname);
    status.focus();
    window.scrollTo(0, 0);
  }

  function say(message, withLink) {
    status.textContent = message;
    if (withLink && message) {
      var link = document.createElement("a");
      link.href = outbox.config.outbox;
      link.textContent = document.querySelector("a[href='" + outbox.config.outbox + "']").firstChild.textContent;
      status.append(" ", link);
    }
    status.hidden = !message;
  }

  // Errors: the server's, by field, where the coordinator will look --------------------------------

  function fieldBox(key) {
    if (key === "participants") return form.querySelector(".counts-grid");
    var control = document.getElementById(targetOf(key));
    return control ? control.closest(".field") || control : null;
  }

  function fieldError(key, messages) {
    var box = fieldBox(key);
    if (!box) return false;
    box.classList.add("has-error");
    messages.forEach(function (message) {
      var line = document.createElement("p");
      line.className = "error";
      line.setAttribute("data-outbox-error", "");
      line.textContent = message;
      box.appendChild(line);
    });
    return true;
  }

  function clearFieldError(key) {
    var box = fieldBox(key);
    if (!box) return;
    box.classList.remove("has-error");
    box.querySelectorAll("[data-outbox-error]").forEach(function (line) { line.remove(); });
  }

  function clearErrors() {
    form.querySelectorAll("[data-outbox-error]").forEach(function (line) { line.remove(); });
    form.querySelectorAll(".has-error").forEach(function (box) { box.classList.remove("has-error"); });
  }

  function showRefusal(record) {
    clearErrors();
    status.textContent = "";
    var summary = document.createElement("div");
    summary.className = "error-summary";
    var heading = document.createElement("p");
    heading.textContent = text.refusedForm;
    var list = document.createElement("ul");
    var errors = record.errors || {};
    Object.keys(errors).forEach(function (key) {
      var onField = fieldError(key, errors[key]);
      errors[key].forEach(function (message) {
        var entry = document.createElement("li");
        if (onField) {
          var link = document.createElement("a");
          link.href = "#" + targetOf(key);
          link.textContent = message;
          entry.appendChild(link);
        } else {
          entry.textContent = message;
        }
        list.appendChild(entry);
      });
    });
    if (!list.children.length && record.message) {
      var only = document.createElement("li");
      only.textContent = record.message;
      list.appendChild(only);
    }
    summary.append(heading, list);
    status.appendChild(summary);
    status.hidden = false;
    status.focus();
    window.scrollTo(0, 0);
  }

  // An item opened from the outbox page to be corrected: #outbox=<its uuid>.
  function openItem() {
    var match = location.hash.match(/^#outbox=([0-9a-f-]{36})$/);
    if (!match) return;
    usable.then(function (ok) {
      if (!ok) return null;
      return outbox.item(match[1]).then(function (found) {
        if (!found) return say(text.notFound);
        current = found;
        fill(found.fields);
        return outbox.photosOf(found.uuid).then(function (stored) {
          keptPhotos = found.photos.map(function (photo) {
            var kept = stored.filter(function (p) { return p.uuid === photo.uuid; })[0];
            return kept ? Object.assign({ blob: kept.blob }, photo) : photo;
          });
          drawPhotos();
          if (found.state === "attention") showRefusal(found);
        });
      });
    });
  }

  openItem();
})();
