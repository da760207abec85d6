"""Maps drawn on the server as SVG: no script, no tiles, a few kilobytes.

The home page's map of the regions and each region's own map are pictures beside lists that say
the same (region names and counts, activity places), so the SVG is hidden from screen readers and
carries no link or focus. Boundaries are simplified to the pixel: a point closer than a pixel to
the last one kept adds weight and nothing a visitor can see.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from regions.geo import PERU_BOUNDS, polygons

ACCENT = "#7a1f5c"
INK = "#1d1d1f"
LAND = "#f5eef3"
EDGE = "#8c6a80"
# Labels closer than this (pixels) to another region's dot to the east go on the left side.
LABEL_CLEARANCE = 14
DOT_SPACING = 3
# A region with activities in thousands of places would weigh hundreds of kilobytes on a phone:
# past this many dots the grid coarsens until they fit.
MAX_DOTS = 400


class Projection:
    """Longitude and latitude to pixels, north up; plain equirectangular, enough for Peru."""

    def __init__(self, *, min_lon, max_lon, min_lat, max_lat, width, pad=0):
        # `pad` pixels on every side hold the labels of the dots near the edge.
        self.min_lon, self.max_lat, self.pad = min_lon, max_lat, pad
        self.scale = width / (max_lon - min_lon)
        self.width = width + 2 * pad
        self.height = round((max_lat - min_lat) * self.scale) + 2 * pad

    def __call__(self, lon, lat):
        return self.pad + (float(lon) - self.min_lon) * self.scale, self.pad + (self.max_lat - float(lat)) * self.scale


def peru_projection(width=240):
    b = {key: float(value) for key, value in PERU_BOUNDS.items()}
    return Projection(
        min_lon=b["min_lon"], max_lon=b["max_lon"], min_lat=b["min_lat"], max_lat=b["max_lat"], width=width, pad=24
    )


def fitted_projection(points, width=320, margin=0.3):
    """A projection that holds every (lon, lat) with a margin in degrees around them."""
    lons = [float(lon) for lon, _ in points]
    lats = [float(lat) for _, lat in points]
    return Projection(
        min_lon=min(lons) - margin,
        max_lon=max(lons) + margin,
        min_lat=min(lats) - margin,
        max_lat=max(lats) + margin,
        width=width,
    )


def boundary_path(boundary, project):
    """An SVG path for a GeoJSON (Multi)Polygon, each ring thinned to one point per pixel."""
    rings = []
    for polygon in polygons(boundary):
        for ring in polygon:
            kept = _thin([project(lon, lat) for lon, lat, *_ in ring])
            if len(kept) >= 3:
                rings.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in kept) + "Z")
    return "".join(rings)


def _thin(points, tolerance=1.0):
    kept = points[:1]
    for x, y in points[1:]:
        last_x, last_y = kept[-1]
        if abs(x - last_x) >= tolerance or abs(y - last_y) >= tolerance:
            kept.append((x, y))
    return kept


def boundary_points(boundary):
    return [(lon, lat) for polygon in polygons(boundary) for ring in polygon for lon, lat, *_ in ring]


def regions_map(rows, boundaries):
    """The campaign's regions on one picture: boundaries when loaded, a dot at each capital, and
    the count of approved activities beside it. `rows` are (region, PublicCount) pairs, `boundaries`
    the regions' GeoJSON by id (read apart: the regions in `rows` come without theirs)."""
    project = peru_projection()
    shapes = format_html_join(
        "",
        '<path d="{}" fill="{}" stroke="{}" stroke-width="0.6"/>',
        ((boundary_path(boundaries[r.pk], project), LAND, EDGE) for r, _ in rows if boundaries.get(r.pk)),
    )
    dots = {region.pk: project(region.longitude, region.latitude) for region, _ in rows}
    marks = mark_safe("".join(_region_mark(region, count, dots) for region, count in rows))
    return _svg(project, shapes + marks, "regions-map")


def _region_mark(region, count, dots):
    x, y = dots[region.pk]
    crowded = any(0 < ox - x < LABEL_CLEARANCE * 3 and abs(oy - y) < LABEL_CLEARANCE for ox, oy in dots.values())
    label_x, anchor = (x - 6, "end") if crowded else (x + 6, "start")
    fill = ACCENT if count.value else "#ffffff"
    return format_html(
        '<circle cx="{}" cy="{}" r="4" fill="{}" stroke="{}" stroke-width="1.2"/>'
        '<text x="{}" y="{}" text-anchor="{}" fill="{}">{}</text>',
        _px(x),
        _px(y),
        fill,
        ACCENT,
        _px(label_x),
        _px(y + 4),
        anchor,
        INK,
        count,
    )


def region_map(region, points):
    """One region: its boundary (or the area around its capital) and a dot per ~1 km square
    where approved activities took place. `points` are (lat, lon) pairs, already rounded."""
    capital = (region.longitude, region.latitude)
    extent = boundary_points(region.boundary) if region.boundary else [capital, *((lon, lat) for lat, lon in points)]
    project = fitted_projection(extent)
    # Safe even when empty: a plain "" would make the whole sum plain text, escaped on the page.
    shape = mark_safe("")
    if region.boundary:
        shape = format_html(
            '<path d="{}" fill="{}" stroke="{}" stroke-width="1"/>', boundary_path(region.boundary, project), LAND, EDGE
        )
    spots = _spots([project(lon, lat) for lat, lon in points])
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3.5" fill="{}" fill-opacity="0.75"/>',
        ((_px(x), _px(y), ACCENT) for x, y in sorted(spots)),
    )
    cx, cy = project(*capital)
    star = format_html(
        '<rect x="{}" y="{}" width="8" height="8" fill="{}" stroke="#ffffff"/>', _px(cx - 4), _px(cy - 4), INK
    )
    return _svg(project, shape + dots + star, "region-map")


def _spots(pixels):
    """Dots closer than the grid's spacing draw as one: the picture is the same, the page far
    lighter. The spacing starts at DOT_SPACING and doubles while there are more than MAX_DOTS."""
    spacing = DOT_SPACING
    while True:
        spots = {(round(x / spacing) * spacing, round(y / spacing) * spacing) for x, y in pixels}
        if len(spots) <= MAX_DOTS:
            return spots
        spacing *= 2


def _px(value):
    return f"{value:.1f}"


def _svg(project, body, css_class):
    # aria-hidden: the list beside the picture says the same to a screen reader, and better.
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="0 0 {} {}" width="{}" height="{}" '
        'aria-hidden="true" focusable="false">{}</svg>',
        css_class,
        round(project.width),
        project.height,
        round(project.width),
        project.height,
        body,
    )
