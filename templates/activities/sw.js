// The panel's service worker (activities/offline.py renders it): keeps the panel's pages and
// files on the phone so the coordinator can log activities without signal. It never touches the
// API or any write: the outbox (static/js/outbox.js) sends those, and IndexedDB, not these
// caches, holds what the coordinator saved, so a new version of this worker cannot lose it.
"use strict";

var VERSION = "{{ version }}";
var PAGES = {{ pages|safe }};
var ASSETS = {{ assets|safe }};
var FALLBACK = {{ fallback|safe }};
var SCOPE = new URL(self.registration.scope).pathname;
// Each version has its own caches; the old ones are deleted once this version takes over.
var PAGE_CACHE = "pp-pages-" + SCOPE + "-" + VERSION;
var ASSET_CACHE = "pp-assets-" + SCOPE + "-" + VERSION;
// On a weak signal a page that has not started to arrive after this long comes from the phone.
var NETWORK_WAIT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(Promise.all([
    caches.open(ASSET_CACHE).then(function (cache) { return cache.addAll(ASSETS); }),
    caches.open(PAGE_CACHE).then(function (cache) {
      return Promise.all(PAGES.map(function (url) { return keepPage(cache, url); }));
    }),
  ]));
});

// A page is kept only when it is the page itself: a redirect to the login page (an expired
// session) must not be stored, nor served, in the form's place.
function keepPage(cache, url) {
  return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (response.ok && !response.redirected) return cache.put(url, response);
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      var ours = name.indexOf("pp-pages-" + SCOPE + "-") === 0 || name.indexOf("pp-assets-" + SCOPE + "-") === 0;
      return ours && name !== PAGE_CACHE && name !== ASSET_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  // The page asks for the new version once the coordinator chose to update (no form open).
  if (data.type === "activate-update") self.skipWaiting();
  // Signing out forgets the pages kept for that person; the outbox stays, tied to its author.
  if (data.type === "forget-pages") event.waitUntil(caches.delete(PAGE_CACHE));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.indexOf(SCOPE) === 0) {
    event.respondWith(page(request, url));
  } else if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(url.pathname, { cacheName: ASSET_CACHE }).then(function (kept) {
      return kept || fetch(request);
    }));
  }
});

// Pages: the network's when it answers, so nothing is stale online; the kept copy otherwise.
function page(request, url) {
  var kept = PAGES.indexOf(url.pathname) !== -1;
  var fromNetwork = fetch(request).then(function (response) {
    if (kept && response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  });
  var fromPhone = function () {
    return caches.match(kept ? url.pathname : FALLBACK, { cacheName: PAGE_CACHE }).then(function (copy) {
      return copy || fromNetwork;
    });
  };
  return new Promise(function (resolve) {
    var settled = false;
    var timer = setTimeout(function () {
      fromPhone().then(function (copy) { if (!settled) { settled = true; resolve(copy); } });
    }, NETWORK_WAIT_MS);
    fromNetwork.then(function (response) {
      clearTimeout(timer);
      if (!settled) { settled = true; resolve(response); }
    }, function () {
      clearTimeout(timer);
      fromPhone().then(function (copy) {
        if (!settled) { settled = true; resolve(copy); }
      }, function () {
        if (!settled) { settled = true; resolve(Response.error()); }
      });
    });
  });
}
