// Review page: the activity's point on a small map inside its region's outline. Without tiles (none
// configured, or no signal) the outline alone tells a reviewer whether the point is plausible.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("review-map");
    var data = window.PointMap && PointMap.data("review-map-data");
    if (!box || !window.L || !data || !data.point) return;
    // A picture, hidden from assistive technology (the coordinates are in the page's text); it does
    // not steal the page's scrolling.
    var drawn = PointMap.create(box, data.point, 12, data.boundary, { scrollWheelZoom: false });
    if (drawn.outline) drawn.map.fitBounds(drawn.outline.getBounds().extend(data.point), { padding: [8, 8] });
    L.circleMarker(data.point, {
      interactive: false, radius: 7, color: "#1d1d1f", weight: 2, fillColor: "#7a1f5c", fillOpacity: 1,
    }).addTo(drawn.map);
  });
})();
