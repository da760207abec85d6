// The small maps of one point in a region, on the activity form and on the review page: the same
// map, made the same way. Each is a picture beside fields that say the same in text, so nothing in
// it takes the focus; without tiles (none configured, or no signal) the region's outline alone
// says where a point lies.
(function () {
  "use strict";

  var OUTLINE = { color: "#7a1f5c", weight: 2, fillColor: "#7a1f5c", fillOpacity: 0.08 };

  // The page's map data (a json_script element), or null when it is missing or unreadable.
  function data(id) {
    var node = document.getElementById(id);
    try {
      return node ? JSON.parse(node.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  // A Leaflet map in `box` at `view` ([lat, lon]) and `zoom`, with the region's `boundary` (GeoJSON,
  // optional) drawn under the operator's tiles, if any. Returns {map, outline}; outline is null
  // without a boundary.
  function create(box, view, zoom, boundary, options) {
    var map = L.map(box, Object.assign({ keyboard: false }, options)).setView(view, zoom);
    map.attributionControl.setPrefix("Leaflet");
    Array.prototype.forEach.call(box.querySelectorAll("a, button"), function (control) {
      control.setAttribute("tabindex", "-1");
    });
    var outline = null;
    if (boundary && boundary.type) {
      outline = L.geoJSON(boundary, { interactive: false, style: OUTLINE }).addTo(map);
    }
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { maxZoom: 17, attribution: "© OpenStreetMap" }).addTo(map);
    }
    return { map: map, outline: outline };
  }

  window.PointMap = { data: data, create: create };
})();
