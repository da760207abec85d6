// The outbox: activities and photos saved on this phone, sent through the API exactly once.
//
// Every panel page loads this file. It installs the panel's service worker, keeps the count of
// what is waiting in the header, and sends the waiting items when the connection returns or the
// coordinator asks. The form (outbox-form.js) and the outbox page (outbox-page.js) use
// window.ppOutbox. Each item goes through the API in three idempotent steps (create-or-get by its
// client_uuid, each photo by its own client_uuid, then submit), so a retry after a cut connection
// finds what the first attempt made instead of making it again.
(function () {
  "use strict";

  var configNode = document.getElementById("panel-app");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var text = config.text;

  // Storage ------------------------------------------------------------------------------------
  // IndexedDB, not the service worker's caches: these are the coordinator's own records, kept
  // across worker versions. Each schema version has a migration that keeps every item.
  var DB_NAME = "pp-outbox";
  var MIGRATIONS = [
    // 1: one store of items, each holding its photos.
    function (db) { db.createObjectStore("items", { keyPath: "uuid" }); },
    // 2: photos move to their own store, so listing the items does not read every photo,
    // and items are found by author (a shared phone keeps each person's apart).
    function (db, transaction) {
      db.createObjectStore("photos", { keyPath: "uuid" }).createIndex("item", "item");
      var items = transaction.objectStore("items");
      items.createIndex("user", "user");
      items.openCursor().onsuccess = function (event) {
        var cursor = event.target.result;
        if (!cursor) return;
        var item = cursor.value;
        var photos = transaction.objectStore("photos");
        item.photos = (item.photos || []).map(function (photo) {
          photos.put({ uuid: photo.uuid, item: item.uuid, blob: photo.blob, name: photo.name, type: photo.type });
          return { uuid: photo.uuid, name: photo.name, type: photo.type, size: photo.blob ? photo.blob.size : 0 };
        });
        item.sentPhotos = item.sentPhotos || [];
        cursor.update(item);
        cursor.continue();
      };
    },
  ];
  var DB_VERSION = MIGRATIONS.length;
  var opening = null;

  function available() {
    try {
      return typeof window.indexedDB !== "undefined" && window.indexedDB !== null;
    } catch (error) {
      return false; // some browsers throw on the mere access in private windows
    }
  }

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      if (!available()) return reject(problem("unavailable"));
      var request;
      try {
        request = indexedDB.open(DB_NAME, DB_VERSION);
      } catch (error) {
        return reject(problem("unavailable"));
      }
      request.onupgradeneeded = function (event) {
        for (var version = event.oldVersion; version < DB_VERSION; version++) {
          MIGRATIONS[version](request.result, request.transaction);
        }
      };
      request.onsuccess = function () {
        var db = request.result;
        // The browser may close the connection (memory pressure, storage cleared, another tab
        // upgrading): the next operation opens a new one instead of failing.
        db.onclose = function () { opening = null; };
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = function () {
        var error = request.error;
        // A newer panel in another tab upgraded the store: this page's code is the old one.
        reject(problem(error && error.name === "VersionError" ? "outdated" : "unavailable"));
      };
      request.onblocked = function () { /* an older tab is closing its connection; onsuccess follows */ };
    });
    opening.catch(function () { opening = null; });
    return opening;
  }

  function problem(kind) {
    var error = new Error(kind);
    error.kind = kind;
    return error;
  }

  // Runs `work(stores)` in one transaction, resolved once it is committed. A connection the
  // browser closed under us is reopened once.
  function transact(names, mode, work, retried) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(names, mode);
        var stores = {};
        names.forEach(function (name) { stores[name] = transaction.objectStore(name); });
        var result;
        transaction.oncomplete = function () { resolve(result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error || problem("aborted")); };
        result = work(stores, function (value) { result = value; });
      });
    }).catch(function (error) {
      if (!retried && error && error.name === "InvalidStateError") {
        opening = null;
        return transact(names, mode, work, true);
      }
      throw error;
    });
  }

  function requestValue(request, set) {
    request.onsuccess = function () { set(request.result); };
  }

  function items() {
    return transact(["items"], "readonly", function (stores, set) {
      requestValue(stores.items.index("user").getAll(config.user), set);
    }).then(function (found) {
      return (found || []).sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
    });
  }

  function item(uuid) {
    return transact(["items"], "readonly", function (stores, set) {
      requestValue(stores.items.get(uuid), set);
    }).then(function (found) { return found && found.user === config.user ? found : null; });
  }

  function photosOf(uuid) {
    return transact(["photos"], "readonly", function (stores, set) {
      requestValue(stores.photos.index("item").getAll(uuid), set);
    });
  }

  // Saves an item with the photos it gained (`newPhotos`: {uuid, blob, name, type}) and drops
  // those it no longer lists, in one transaction: an item is never stored without its photos.
  function save(record, newPhotos) {
    record.updatedAt = new Date().toISOString();
    return transact(["items", "photos"], "readwrite", function (stores) {
      stores.items.put(record);
      (newPhotos || []).forEach(function (photo) {
        stores.photos.put({ uuid: photo.uuid, item: record.uuid, blob: photo.blob, name: photo.name, type: photo.type });
      });
      var kept = record.photos.map(function (photo) { return photo.uuid; });
      stores.photos.index("item").getAllKeys(record.uuid).onsuccess = function (event) {
        event.target.result.forEach(function (key) {
          if (kept.indexOf(key) === -1) stores.photos.delete(key);
        });
      };
    }).then(function () {
      keepStorage();
      changed();
      return record;
    });
  }

  function discard(uuid) {
    return transact(["items", "photos"], "readwrite", function (stores) {
      stores.items.delete(uuid);
      stores.photos.index("item").getAllKeys(uuid).onsuccess = function (event) {
        event.target.result.forEach(function (key) { stores.photos.delete(key); });
      };
    }).then(changed);
  }

  // The browser may evict a site's storage when the phone runs short; asking once makes a
  // installed panel's outbox persistent in Chromium.
  var persistence = null;
  function keepStorage() {
    if (!persistence) {
      persistence = navigator.storage && navigator.storage.persist
        ? navigator.storage.persisted().then(function (already) { return already || navigator.storage.persist(); })
        : Promise.resolve(false);
    }
    return persistence;
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function newItem() {
    var now = new Date().toISOString();
    return {
      uuid: newUuid(), user: config.user, lang: config.lang, intent: "draft", fields: {}, summary: {},
      photos: [], sentPhotos: [], state: "saved", errors: {}, message: "", server: null, dirty: false,
      createdAt: now, updatedAt: now,
    };
  }

  // Sending ------------------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // Answers that a retry will not change: the item waits for the coordinator.
  function Refused(status, body) {
    var error = (body && body.error) || {};
    this.status = status;
    this.code = error.code || "";
    this.message = error.message || text.refused;
    this.fields = error.fields || {};
  }

  function call(method, url, record, body, headers) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: Object.assign({ Accept: "application/json", "Accept-Language": record.lang, "X-CSRFToken": csrfToken() }, headers || {}),
    };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        if (response.ok) return { status: response.status, body: answer };
        if (response.status >= 500 || response.status === 429) throw problem("unavailable-server");
        throw new Refused(response.status, answer);
      });
    }, function () {
      throw problem("offline");
    });
  }

  function activityUrl(id, action) {
    return config.api + id + "/" + (action ? action + "/" : "");
  }

  function remember(record, answer) {
    record.server = { id: answer.id, version: answer.version, status: answer.status };
  }

  // Step 1: the activity on the server, created once; later edits made on the phone follow it.
  function sendActivity(record) {
    if (record.server && !record.dirty) return Promise.resolve();
    var step = record.server
      ? call("PATCH", activityUrl(record.server.id), record, record.fields, { "If-Match": '"' + record.server.version + '"' })
      : call("POST", config.api, record, Object.assign({ client_uuid: record.uuid }, record.fields)).then(function (answer) {
        remember(record, answer.body);
        var open = answer.body.status === "draft" || answer.body.status === "returned";
        // 200: an earlier attempt created it and its answer was lost; edits made since follow.
        if (answer.status === 200 && record.dirty && open) {
          return call("PATCH", activityUrl(record.server.id), record, record.fields, { "If-Match": '"' + record.server.version + '"' });
        }
        return null;
      });
    return step.then(function (answer) {
      if (answer) remember(record, answer.body);
      record.dirty = false;
      return save(record);
    });
  }

  // Step 2: each photo once; the server answers a repeated client_uuid with the file it kept.
  function sendPhotos(record) {
    return photosOf(record.uuid).then(function (photos) {
      var waiting = photos.filter(function (photo) { return record.sentPhotos.indexOf(photo.uuid) === -1; });
      return waiting.reduce(function (previous, photo) {
        return previous.then(function () {
          var body = new FormData();
          body.append("file", photo.blob, photo.name);
          body.append("client_uuid", photo.uuid);
          return call("POST", activityUrl(record.server.id, "evidence"), record, body).then(function () {
            record.sentPhotos.push(photo.uuid);
            return save(record);
          });
        });
      }, Promise.resolve());
    });
  }

  // Step 3: submit, when the coordinator chose "Submit for review".
  function sendSubmit(record) {
    if (record.intent !== "submit" || (record.server && record.server.status === "submitted")) return Promise.resolve();
    return call("POST", activityUrl(record.server.id, "submit"), record, {}).then(function (answer) {
      remember(record, answer.body);
    });
  }

  function send(record) {
    record.state = "sending";
    record.message = "";
    return save(record)
      .then(function () { return sendActivity(record); })
      .then(function () { return sendPhotos(record); })
      .then(function () { return sendSubmit(record); })
      .then(function () {
        noteSent(record);
        return discard(record.uuid).then(function () { return { sent: true, record: record }; });
      }, function (error) {
        if (error instanceof Refused) {
          record.state = "attention";
          record.errors = error.fields;
          record.message = error.code === "not_authenticated" || error.status === 401 ? text.signIn : error.message;
        } else {
          record.state = "saved";
          record.message = error.kind === "offline" ? text.waitingConnection : text.serverBusy;
        }
        return save(record).then(function () { return { sent: false, record: record, offline: !(error instanceof Refused) }; });
      });
  }

  // What was sent in this tab's session, for the outbox page to confirm with a link.
  function noteSent(record) {
    var sent = sentList();
    sent.unshift({ title: record.summary.title || text.untitled, url: config.detail.replace("/0/", "/" + record.server.id + "/"), submitted: record.intent === "submit" });
    try { sessionStorage.setItem("pp-outbox-sent", JSON.stringify(sent.slice(0, 20))); } catch (error) { /* private mode */ }
  }

  function sentList() {
    try { return JSON.parse(sessionStorage.getItem("pp-outbox-sent") || "[]"); } catch (error) { return []; }
  }

  // One sender at a time, in this tab (runs queue up) and across the coordinator's tabs (a Web
  // Lock), so no two requests for the same item are ever in flight. Items that need attention
  // wait for the coordinator, unless she asks to send everything now.
  var queue = Promise.resolve();
  function sendAll(options) {
    var everything = options && options.everything;
    var work = function () {
      return items().then(function (all) {
        var waiting = all.filter(function (record) { return everything || record.state !== "attention"; });
        return waiting.reduce(function (previous, record) {
          return previous.then(function (results) {
            // No connection: the rest waits too, instead of each failing in turn.
            if (results.some(function (result) { return result.offline; })) return results;
            return send(record).then(function (result) { return results.concat([result]); });
          });
        }, Promise.resolve([]));
      });
    };
    var run = queue.then(function () {
      return navigator.locks ? navigator.locks.request("pp-outbox-send", work) : work();
    }).then(function (results) { changed(); return results; });
    queue = run.catch(function () { return []; });
    return run;
  }

  // Header, status and warnings -----------------------------------------------------------------

  var listeners = [];
  var pending = 0;
  function changed() {
    if (!available()) return Promise.resolve();
    return items().then(function (all) {
      pending = all.length;
      document.querySelectorAll("[data-outbox-count]").forEach(function (badge) {
        badge.textContent = String(pending);
        badge.hidden = pending === 0;
      });
      listeners.forEach(function (listener) { listener(all); });
    }, function () { /* storage unavailable: the form says so */ });
  }

  function showConnection() {
    var banner = document.getElementById("connection-status");
    if (banner) banner.hidden = navigator.onLine;
  }

  // Closing the tab or leaving the panel with items unsent: the browser asks first. Moving
  // between the panel's own pages does not, since the outbox goes on from the next page.
  var leavingInside = false;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (link && link.origin === location.origin && link.pathname.indexOf(config.scope) === 0) leavingInside = true;
  });
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) leavingInside = true; // a form the outbox kept does not leave the page
  });
  window.addEventListener("beforeunload", function (event) {
    if (pending > 0 && !leavingInside) {
      event.preventDefault();
      event.returnValue = text.leaveWarning;
      return text.leaveWarning;
    }
    leavingInside = false;
  });

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(config.sw, { scope: config.scope }).then(function (registration) {
      function offerUpdate(worker) {
        var prompt = document.getElementById("app-update");
        if (!prompt || !worker) return;
        prompt.hidden = false;
        prompt.querySelector("button").addEventListener("click", function () {
          worker.postMessage({ type: "activate-update" });
        });
      }
      function whenInstalled(worker) {
        if (!worker) return;
        worker.addEventListener("statechange", function () {
          if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
        });
      }
      // The browser may have found the new version while this page loaded, or finish it later.
      if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
      whenInstalled(registration.installing);
      registration.addEventListener("updatefound", function () { whenInstalled(registration.installing); });
    }, function () { /* no worker (private mode, old browser): the panel works online */ });
    var reloaded = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      // The coordinator chose to update: the page reloads once on the new version. The outbox
      // lives in IndexedDB, which the update does not touch.
      var prompt = document.getElementById("app-update");
      if (!reloaded && prompt && !prompt.hidden) {
        reloaded = true;
        leavingInside = true;
        location.reload();
      }
    });
  }

  // Signing out forgets the pages kept on the phone for this person.
  function forgetOnLogout() {
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", function () {
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
        }
      });
    });
  }

  // A message for the next page, as Django's messages do for a plain form.
  function flash(message) {
    try { sessionStorage.setItem("pp-flash", message); } catch (error) { /* private mode: no message */ }
  }

  function showFlash() {
    var message;
    try {
      message = sessionStorage.getItem("pp-flash");
      sessionStorage.removeItem("pp-flash");
    } catch (error) {
      return;
    }
    var main = document.getElementById("main");
    if (!message || !main) return;
    var list = document.createElement("ul");
    list.className = "messages";
    list.setAttribute("role", "status");
    var line = document.createElement("li");
    line.className = "success";
    line.textContent = message;
    list.appendChild(line);
    main.insertBefore(list, main.firstChild);
  }

  window.ppOutbox = {
    flash: flash,
    config: config,
    text: text,
    available: available,
    open: open,
    items: items,
    item: item,
    photosOf: photosOf,
    save: save,
    discard: discard,
    newItem: newItem,
    newUuid: newUuid,
    sendAll: sendAll,
    sentList: sentList,
    persisted: keepStorage,
    onChange: function (listener) { listeners.push(listener); },
  };

  window.addEventListener("online", function () { showConnection(); sendAll(); });
  window.addEventListener("offline", showConnection);
  document.addEventListener("DOMContentLoaded", function () {
    showConnection();
    showFlash();
    registerWorker();
    forgetOnLogout();
    changed();
    if (navigator.onLine && available()) sendAll();
  });
})();
