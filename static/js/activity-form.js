// Activity form: narrow the services to the chosen objective, keep the participants' total, and pick
// a point on a map of the coordinator's region.
// The server enforces both; this only saves the coordinator from choices that would be refused.
(function () {
  "use strict";
  var PERU = [-9.19, -75.02];

  function narrowServices() {
    var objective = document.getElementById("id_objective");
    var service = document.getElementById("id_service");
    if (!objective || !service) return;
    function apply() {
      var chosen = objective.value;
      Array.prototype.forEach.call(service.options, function (option) {
        if (!option.value) return;
        var serves = (option.getAttribute("data-objectives") || "").split(" ");
        var fits = !chosen || serves.indexOf(chosen) !== -1;
        option.hidden = !fits;
        option.disabled = !fits;
        if (!fits && option.selected) service.value = "";
      });
    }
    objective.addEventListener("change", apply);
    apply();
  }

  // The page is rendered with the total already; this keeps it current while the person types.
  function runningTotal() {
    var total = document.getElementById("participants-total");
    if (!total) return;
    var inputs = (total.getAttribute("for") || "").split(" ").map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    function update() {
      var sum = inputs.reduce(function (acc, input) {
        var n = parseInt(input.value, 10);
        return acc + (isNaN(n) || n < 0 ? 0 : n);
      }, 0);
      total.value = String(sum);
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    update();
  }

  function pointPicker() {
    var box = document.getElementById("point-map");
    var lat = document.getElementById("id_latitude");
    var lon = document.getElementById("id_longitude");
    if (!box || !lat || !lon) return;
    if (!window.L || !window.PointMap) {
      useMyLocation(function (a, b) { lat.value = a.toFixed(6); lon.value = b.toFixed(6); });
      return;
    }
    var data = PointMap.data("point-map-data") || {};
    var regions = data.regions || {};
    var regionSelect = document.getElementById("id_region");
    var centroid = regions[data.region] || null;
    var hasPoint = lat.value && lon.value;
    var start = hasPoint ? [parseFloat(lat.value), parseFloat(lon.value)] : centroid || PERU;
    // The map is a pointing aid, hidden from assistive technology (aria-hidden): keyboard and
    // screen-reader users type the coordinates in the labelled fields (PointMap keeps the focus
    // out of it; the marker below takes none either).
    var drawn = PointMap.create(box, start, hasPoint ? 12 : centroid ? 8 : 5, data.boundary);
    var map = drawn.map;
    if (drawn.outline && !hasPoint) map.fitBounds(drawn.outline.getBounds(), { padding: [8, 8] });
    var marker = null;
    function place(latlng) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.marker(latlng, { keyboard: false }).addTo(map);
    }
    function fill(a, b) {
      // Six decimals, as the points are stored (about 10 cm).
      lat.value = a.toFixed(6);
      lon.value = b.toFixed(6);
    }
    if (hasPoint) place(start);
    map.on("click", function (event) {
      fill(event.latlng.lat, event.latlng.lng);
      place(event.latlng);
    });
    function typed() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (!isNaN(a) && !isNaN(b)) { place([a, b]); map.panTo([a, b]); }
    }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
    if (regionSelect) {
      regionSelect.addEventListener("change", function () {
        var other = regions[regionSelect.value];
        if (other && !marker) map.setView(other, 8);
      });
    }
    useMyLocation(function (a, b) {
      fill(a, b);
      place([a, b]);
      map.setView([a, b], Math.max(map.getZoom(), 13));
    });
  }

  function useMyLocation(found) {
    var button = document.getElementById("use-location");
    var status = document.getElementById("location-status");
    if (!button || !navigator.geolocation) return;
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          button.disabled = false;
          found(position.coords.latitude, position.coords.longitude);
        },
        function () {
          button.disabled = false;
          status.textContent = button.getAttribute("data-failed");
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    narrowServices();
    runningTotal();
    pointPicker();
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
