// The activity map: a progressive enhancement of the list under it.
//
// Without script (or without Leaflet) the page is a filter form and a list of activities, and the
// filters are plain GET parameters. With script, the map draws its own base from the portal alone:
// the regions' boundaries (the open data's regiones.geojson), each shaded by its approved activities
// as the legend under the map says (shades and label points come with the page, in #map-base), and
// each named where its name covers no other. The approved activities of the open data GeoJSON go on
// top, grouped by Leaflet.markercluster (served from static/vendor), and the filter form updates the
// map and the list in place. Raster tiles are drawn, under the regions, only when the server names a
// tile URL: by default no request leaves the portal (a visitor may be in danger).
//
// The map repeats the list and the table for those who can see it, so it is hidden from screen
// readers and holds nothing that takes the focus; the list is what a keyboard or screen reader uses.
(function () {
  "use strict";

  var PERU = [[-18.4, -81.4], [-0.05, -68.6]];
  // Marks of activities are white with a dark ring: they read on every shade of the regions under them.
  var POINT_STYLE = { radius: 6, color: "#1d1d1f", weight: 2, fillColor: "#ffffff", fillOpacity: 1 };
  // Cluster bubbles are drawn at the first point of their group (see seededClusters), and those
  // points are more than CLUSTER_RADIUS px apart at every zoom: a bubble at most CLUSTER_RADIUS / √2
  // wide (bubbleSize's largest) never reaches another, not even its bounding box.
  var CLUSTER_RADIUS = 60;
  // Public points are rounded to about 1 km: past this zoom there is nothing more to see, and the
  // activities of one square open as a spider instead.
  var MAX_ZOOM = 14;
  // Points clustered per task (see draw): a few tens of milliseconds on a modest phone.
  var DRAW_SLICE = 100;

  function bubbleSize(count) {
    return count < 10 ? 30 : count < 100 ? 36 : 42;
  }

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

  // Leaflet.markercluster places a bubble at the mean of its points, which can drift towards a
  // neighbour's. Its groups are seeded so that the first points of any two are farther apart than
  // the cluster radius; drawn there (the pinned 1.5.3 keeps that point as _cLatLng), bubbles never
  // overlap. The weighted mean (_wLatLng) still feeds the parents' own means, as before.
  function seededClusters() {
    var recalculate = L.MarkerCluster.prototype._recalculateBounds;
    L.MarkerCluster.prototype._recalculateBounds = function () {
      recalculate.call(this);
      if (this._cLatLng) this._latlng = L.latLng(this._cLatLng);
    };
    // A picture hidden from assistive technology: no bubble may take the focus.
    L.MarkerCluster.mergeOptions({ keyboard: false });
  }

  function clusterIcon(cluster) {
    var count = cluster.getChildCount();
    var diameter = bubbleSize(count);
    var label = document.createElement("span");
    label.textContent = String(count);  // a count of public points, not of people
    return L.divIcon({ className: "marker-cluster cluster", html: label.outerHTML, iconSize: [diameter, diameter] });
  }

  function ActivityMap(box) {
    this.box = box;
    this.features = [];
    this.names = [];
    this.base = readBase() || { fills: {}, labels: [] };
    this.tiled = Boolean(box.dataset.tiles);
    box.hidden = false;
    this.map = L.map(box, { keyboard: false, maxBounds: [[-25, -90], [5, -60]], minZoom: 4, maxZoom: MAX_ZOOM });
    this.map.fitBounds(PERU);
    this.map.attributionControl.setPrefix("Leaflet");
    this.drawBase();
    // No animation: a filter applied while bubbles were still moving lost its points; and the
    // bubbles simply appear where they belong.
    this.layer = L.markerClusterGroup({
      animate: false,
      maxClusterRadius: CLUSTER_RADIUS,
      iconCreateFunction: clusterIcon,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
    }).addTo(this.map);
    this.listen();
  }

  // The base, bottom to top: tiles (only if the operator chose them), Peru, the regions (once
  // loaded), their names, then the activities (Leaflet's overlay and marker panes).
  ActivityMap.prototype.drawBase = function () {
    this.map.createPane("country").style.zIndex = 340;
    this.map.createPane("regions").style.zIndex = 350;
    this.map.createPane("names").style.zIndex = 380;
    if (this.tiled) {
      this.box.classList.add("with-tiles");
      L.tileLayer(this.box.dataset.tiles, { maxZoom: MAX_ZOOM, attribution: "© OpenStreetMap" }).addTo(this.map);
    }
    var country = this.base.country;
    if (country && country.outline) {
      L.geoJSON(country.outline, {
        pane: "country",
        interactive: false,
        // Over tiles the land lets the streets show through; alone it is the map.
        style: { color: country.edge, weight: 1, fillColor: country.fill, fillOpacity: this.tiled ? 0.3 : 1 },
      }).addTo(this.map);
    }
  };

  ActivityMap.prototype.listen = function () {
    var box = this.box;
    this.map.on("popupopen", function (event) { unfocusable(event.popup.getElement()); });
    // After the clusters are redrawn (markercluster listens first): names step aside, nothing takes the focus.
    var settle = function () {
      this.declutter();
      unfocusable(box);
    }.bind(this);
    this.layer.on("animationend spiderfied", settle);
    this.map.on("moveend", settle);
    unfocusable(box);
  };

  function readBase() {
    var node = document.getElementById("map-base");
    try {
      return node ? JSON.parse(node.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  ActivityMap.prototype.loadRegions = function (url) {
    var self = this;
    var base = this.base;
    return fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (collection) {
        if (!collection) return;
        // Polygons only; a region without a boundary has a null geometry, which Leaflet skips.
        L.geoJSON(collection, {
          pane: "regions",
          interactive: false,
          style: function (feature) {
            return {
              color: base.edge || "#5c4754",
              weight: 1,
              fillColor: base.fills[feature.properties.slug] || base.none || "#ffffff",
              fillOpacity: self.tiled ? 0.6 : 1,
            };
          },
        }).addTo(self.map);
        self.label(base.labels);
      });
  };

  ActivityMap.prototype.label = function (labels) {
    var self = this;
    this.names = labels.map(function (label) {
      var name = document.createElement("span");
      name.textContent = label.name;
      var icon = L.divIcon({ className: "region-name", html: name.outerHTML, iconSize: null });
      return L.marker([label.lat, label.lon], { icon: icon, pane: "names", interactive: false, keyboard: false })
        .addTo(self.map);
    });
    this.declutter();
  };

  // Names come largest region first. Each goes on its region's label point, or a line above or
  // below it, wherever it covers no name already shown and no cluster bubble; with no such place it
  // waits for a closer zoom.
  ActivityMap.prototype.declutter = function () {
    var taken = Array.prototype.map.call(this.box.querySelectorAll(".marker-cluster"), function (bubble) {
      return bubble.getBoundingClientRect();
    });
    // Every name back on its point first, then measured: one layout for all, not one per name
    // (a name's offset moves no other marker).
    var shown = this.names.map(function (marker) { return marker.getElement(); }).filter(Boolean);
    shown.forEach(function (element) { element.firstChild.style.top = "0px"; });
    var boxes = shown.map(function (element) { return element.firstChild.getBoundingClientRect(); });
    shown.forEach(function (element, index) {
      var name = element.firstChild;
      var box = boxes[index];
      var step = box.height + 2;
      var shift = [0, -step, step, -2 * step, 2 * step].filter(function (offset) {
        return !taken.some(function (other) { return overlaps(box, other, offset); });
      })[0];
      element.style.visibility = shift === undefined ? "hidden" : "";
      if (shift === undefined) return;
      name.style.top = shift + "px";
      taken.push({ left: box.left, right: box.right, top: box.top + shift, bottom: box.bottom + shift });
    });
  };

  function overlaps(box, other, shift) {
    return box.left < other.right && other.left < box.right &&
      box.top + shift < other.bottom && other.top < box.bottom + shift;
  }

  // A filtered map shows where its activities are; the whole campaign is seen from above Peru.
  ActivityMap.prototype.frame = function (filtered) {
    if (!filtered || !this.features.length) return this.map.fitBounds(PERU, { animate: false });
    var bounds = L.latLngBounds(this.features.map(function (feature) {
      var c = feature.geometry.coordinates;
      return [c[1], c[0]];
    }));
    this.map.fitBounds(bounds.pad(0.3), { maxZoom: 9, animate: false });
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

  function activityPoint(feature) {
    var c = feature.geometry.coordinates;
    // The popup is built when it opens, not two thousand of them before the map shows.
    return L.circleMarker([c[1], c[0]], POINT_STYLE).bindPopup(function () { return popupFor(feature.properties); });
  }

  ActivityMap.prototype.draw = function () {
    var features = this.features;
    this.layer.clearLayers();
    // In slices, each its own task: two thousand points made and clustered at once were one task of
    // 120-440 ms on Lighthouse's simulated phone, a page that ignored taps meanwhile. Points go in
    // the same order, so the bubbles are the same. A newer filter's draw stops this one's slices.
    var drawing = this.drawing = {};
    var self = this;
    (function slice(start) {
      if (self.drawing !== drawing) return;
      self.layer.addLayers(features.slice(start, start + DRAW_SLICE).map(activityPoint));
      if (start + DRAW_SLICE < features.length) return setTimeout(slice, 0, start + DRAW_SLICE);
      self.declutter();
      unfocusable(self.box);
    })(0);
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
    var key = document.getElementById("map-key");
    if (!box || !window.L || !L.MarkerClusterGroup || !window.fetch) return;
    seededClusters();
    var map = new ActivityMap(box);
    if (key) key.hidden = false;
    var params = query(form);
    map.loadRegions(box.dataset.regions);
    function refresh(collection) {
      if (collection && collection.truncated) say(status, box.dataset.truncated);
    }
    map.loadActivities(activitiesUrl(box, params))
      .then(function (collection) {
        // Unfiltered, the map already shows Peru as it was made: framing it again redrew everything.
        if (params.toString() !== "") map.frame(true);
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
