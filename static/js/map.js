// The activity map: a progressive enhancement of the list under it.
//
// Without script (or without Leaflet) the page is a filter form and a list of activities, and the
// filters are plain GET parameters. With script, the approved activities of the open data GeoJSON
// are drawn on the bundled Leaflet, grouped by a small grid clustering of our own (points closer
// than a cell at the current zoom become one circle with their number), and the filter form
// updates the map and the list in place. Tiles are drawn only when the server names a tile URL.
//
// The map repeats the list for those who can see it, so it is hidden from screen readers and holds
// nothing that takes the focus; the list is what a keyboard or screen reader uses.
(function () {
  "use strict";

  var CELL_PX = 48;
  var PERU = [[-18.5, -81.5], [0, -68.5]];
  var REGION_STYLE = { color: "#8c6a80", weight: 1, fillColor: "#f5eef3", fillOpacity: 0.5, interactive: false };
  var POINT_STYLE = { radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#7a1f5c", fillOpacity: 0.9 };

  function unfocusable(root) {
    Array.prototype.forEach.call(root.querySelectorAll("a, button, [tabindex]"), function (element) {
      element.setAttribute("tabindex", "-1");
    });
  }

  function popupFor(properties) {
    // Built as nodes, never as HTML: titles are typed by people.
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = properties.title;
    var details = document.createElement("div");
    details.textContent = [properties.start_date, properties.region, properties.objective_code, properties.service]
      .join(" · ");
    box.appendChild(title);
    box.appendChild(details);
    return box;
  }

  function clusterIcon(count) {
    var size = count < 10 ? 28 : count < 100 ? 34 : 40;
    return L.divIcon({ className: "cluster", html: "<span>" + count + "</span>", iconSize: [size, size] });
  }

  function ActivityMap(box) {
    this.box = box;
    this.features = [];
    box.hidden = false;
    this.map = L.map(box, { keyboard: false, maxBounds: [[-25, -90], [5, -60]], minZoom: 4 });
    this.map.fitBounds(PERU);
    this.map.attributionControl.setPrefix("Leaflet");
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { maxZoom: 17, attribution: "© OpenStreetMap" }).addTo(this.map);
    }
    this.layer = L.layerGroup().addTo(this.map);
    this.map.on("zoomend moveend", this.draw.bind(this));
    this.map.on("popupopen", function (event) { unfocusable(event.popup.getElement()); });
    unfocusable(box);
  }

  ActivityMap.prototype.loadRegions = function (url) {
    var map = this.map;
    return fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (collection) {
        if (!collection) return;
        L.geoJSON(collection, {
          style: REGION_STYLE,
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, { radius: 3, color: "#8c6a80", weight: 1, interactive: false });
          },
        }).addTo(map).bringToBack();
      });
  };

  // A filtered map shows where its activities are; the whole campaign is seen from above Peru.
  ActivityMap.prototype.frame = function (filtered) {
    if (!filtered || !this.features.length) return this.map.fitBounds(PERU);
    var bounds = L.latLngBounds(this.features.map(function (feature) {
      var c = feature.geometry.coordinates;
      return [c[1], c[0]];
    }));
    this.map.fitBounds(bounds.pad(0.3), { maxZoom: 9 });
  };

  ActivityMap.prototype.loadActivities = function (url) {
    var self = this;
    return fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("activities " + response.status);
        return response.json();
      })
      .then(function (collection) {
        self.features = collection.features;
        self.draw();
        return collection;
      });
  };

  // Grid clustering: each point falls in a cell of CELL_PX pixels at the current zoom; a cell with
  // one point draws it, a cell with more draws their number, and a click zooms in on them.
  ActivityMap.prototype.draw = function () {
    var map = this.map;
    var zoom = map.getZoom();
    var cells = {};
    this.features.forEach(function (feature) {
      var c = feature.geometry.coordinates;
      var latlng = L.latLng(c[1], c[0]);
      var p = map.project(latlng, zoom);
      var key = Math.floor(p.x / CELL_PX) + ":" + Math.floor(p.y / CELL_PX);
      (cells[key] = cells[key] || []).push({ latlng: latlng, properties: feature.properties });
    });
    this.layer.clearLayers();
    Object.keys(cells).forEach(function (key) {
      var members = cells[key];
      if (members.length === 1) {
        L.circleMarker(members[0].latlng, POINT_STYLE).bindPopup(popupFor(members[0].properties)).addTo(this.layer);
        return;
      }
      var bounds = L.latLngBounds(members.map(function (m) { return m.latlng; }));
      var marker = L.marker(bounds.getCenter(), { icon: clusterIcon(members.length), keyboard: false });
      marker.on("click", function () {
        if (bounds.getNorthEast().equals(bounds.getSouthWest())) map.setView(bounds.getCenter(), zoom + 2);
        else map.fitBounds(bounds.pad(0.2));
      });
      marker.addTo(this.layer);
    }, this);
    unfocusable(this.box);
  };

  function query(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) params.append(name, value); });
    return params;
  }

  function activitiesUrl(box, params) {
    var copy = new URLSearchParams(params);
    copy.set("limit", box.dataset.limit);
    return box.dataset.activities + "?" + copy.toString();
  }

  function say(status, message) {
    if (status) status.textContent = message;
  }

  function start() {
    var box = document.getElementById("activity-map");
    var form = document.getElementById("map-filters");
    var status = document.getElementById("map-status");
    if (!box || !window.L || !window.fetch) return;
    var map = new ActivityMap(box);
    var params = query(form);
    map.loadRegions(box.dataset.regions);
    function refresh(collection) {
      if (collection && collection.truncated) say(status, box.dataset.truncated);
    }
    map.loadActivities(activitiesUrl(box, params))
      .then(function (collection) {
        map.frame(params.toString() !== "");
        refresh(collection);
      })
      .catch(function () { say(status, box.dataset.failed); });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = query(form);
      var pageUrl = form.action + (chosen.toString() ? "?" + chosen.toString() : "");
      Promise.all([
        map.loadActivities(activitiesUrl(box, chosen)),
        fetch(pageUrl).then(function (response) { return response.text(); }),
      ]).then(function (results) {
        var fresh = new DOMParser().parseFromString(results[1], "text/html").getElementById("results");
        var current = document.getElementById("results");
        if (fresh && current) current.replaceWith(fresh);
        // The address says what is shown, without adding a step to the history (see quick-exit.js).
        history.replaceState(null, "", pageUrl);
        map.frame(chosen.toString() !== "");
        say(status, box.dataset.updated);
        refresh(results[0]);
      }).catch(function () {
        form.submit();  // the plain way still works
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
