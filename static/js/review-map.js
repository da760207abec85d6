// Review page: the activity's point on a small map inside its region's outline. Without tiles (none
// configured, or no signal) the outline alone tells a reviewer whether the point is plausible.
(function () {
  "use strict";

  function mapData() {
    var node = document.getElementById("review-map-data");
    try {
      return node ? JSON.parse(node.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("review-map");
    var data = mapData();
    if (!box || !window.L || !data || !data.point) return;
    // A picture, hidden from assistive technology (the coordinates are in the page's text): nothing
    // in it takes the focus, and it does not steal the page's scrolling.
    var map = L.map(box, { keyboard: false, scrollWheelZoom: false }).setView(data.point, 12);
    map.attributionControl.setPrefix("Leaflet");
    Array.prototype.forEach.call(box.querySelectorAll("a, button"), function (control) {
      control.setAttribute("tabindex", "-1");
    });
    if (data.boundary && data.boundary.type) {
      var outline = L.geoJSON(data.boundary, {
        interactive: false,
        style: { color: "#7a1f5c", weight: 2, fillColor: "#7a1f5c", fillOpacity: 0.08 },
      }).addTo(map);
      map.fitBounds(outline.getBounds().extend(data.point), { padding: [8, 8] });
    }
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { maxZoom: 17, attribution: "© OpenStreetMap" }).addTo(map);
    }
    L.circleMarker(data.point, {
      interactive: false, radius: 7, color: "#1d1d1f", weight: 2, fillColor: "#7a1f5c", fillOpacity: 1,
    }).addTo(map);
  });
})();
