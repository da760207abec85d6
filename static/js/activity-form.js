// Activity form: narrow the services to the chosen objective, and pick a point on a map.
// The server enforces both; this only saves the coordinator from choices that would be refused.
(function () {
  "use strict";

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

  function pointPicker() {
    var box = document.getElementById("point-map");
    var lat = document.getElementById("id_latitude");
    var lon = document.getElementById("id_longitude");
    if (!box || !lat || !lon || !window.L) return;
    var start = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : [-9.19, -75.02];
    // The map is a pointing aid, hidden from assistive technology (aria-hidden): keyboard and
    // screen-reader users type the coordinates in the labelled fields. So nothing in it may take
    // the focus: no keyboard handler on the container, no tab stop on the zoom buttons or marker,
    // and Leaflet's credit as plain text rather than a link.
    var map = L.map(box, { keyboard: false }).setView(start, lat.value ? 12 : 5);
    map.attributionControl.setPrefix("Leaflet");
    Array.prototype.forEach.call(box.querySelectorAll("a, button"), function (control) {
      control.setAttribute("tabindex", "-1");
    });
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { maxZoom: 17, attribution: "© OpenStreetMap" }).addTo(map);
    }
    var marker = null;
    function place(latlng) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.marker(latlng, { keyboard: false }).addTo(map);
    }
    if (lat.value && lon.value) place(start);
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      place(event.latlng);
    });
    function typed() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (!isNaN(a) && !isNaN(b)) { place([a, b]); map.panTo([a, b]); }
    }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
  }

  document.addEventListener("DOMContentLoaded", function () {
    narrowServices();
    pointPicker();
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
