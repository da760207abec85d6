"""Maps drawn on the server as SVG: no script, no tiles, a few kilobytes.

The home page's map (and the region list's) draws Peru, and on it each region shaded by the
release's approved activities and named where its name fits; each region's own map shows its
outline in the same shade, a dot per place with activities and its capital. Every map is a figure:
the picture (role="img", with a title and a description that say what it shows, full names and
figures included) and a legend under it for every colour it uses. Boundaries are simplified to
half a pixel: what is finer adds weight and nothing a visitor can see. Without boundaries (an
operator removed them) a dot at each capital stands in for its region.

The shades and the label points are shared with the Leaflet map of /mapa/ (map_regions), so that
the same region has the same colour on every page.
"""

import functools
import json
import math
from dataclasses import dataclass

import shapely
import shapely.affinity
import shapely.ops
from django.conf import settings
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from shapely.geometry import mapping, shape

from regions.geo import polygons

ACCENT = "#7a1f5c"
INK = "#1d1d1f"
LAND = "#f5eef3"
EDGE = "#5c4754"
# A region with no approved activity yet, then four classes of more and more activities: one hue,
# light to dark, so that the order reads without the legend and without colour vision.
NONE_FILL = "#ffffff"
RAMP = ("#ecd5e3", "#d29bbd", "#a9528a", ACCENT)
# The rest of Peru, under the regions: where the campaign is not, as against where it has no activity yet.
COUNTRY_FILL = "#e4e4e4"
COUNTRY_EDGE = "#8a8a8a"
# Shipped with the project (data/README.md); its departments' union is the country's outline.
DEPARTMENTS = settings.BASE_DIR / "data" / "peru_departments.geojson"
DOT_SPACING = 3
# A region with activities in thousands of places would weigh hundreds of kilobytes on a phone:
# past this many dots the grid coarsens until they fit.
MAX_DOTS = 400
LABEL_SIZE = 11  # px, in the picture's own units (it is drawn at about its natural size)
CHAR_WIDTH = 0.6  # of the font size: a generous average for system sans-serif fonts
LABEL_GAP = 3


class Projection:
    """Longitude and latitude to pixels, north up; plain equirectangular, enough for Peru."""

    def __init__(self, *, min_lon, max_lon, min_lat, max_lat, width, pad=0):
        # `pad` pixels on every side hold the labels near the edge.
        self.min_lon, self.max_lat, self.pad = min_lon, max_lat, pad
        self.scale = width / (max_lon - min_lon)
        self.width = width + 2 * pad
        self.height = round((max_lat - min_lat) * self.scale) + 2 * pad

    def __call__(self, lon, lat):
        return self.pad + (float(lon) - self.min_lon) * self.scale, self.pad + (self.max_lat - float(lat)) * self.scale


def fitted_projection(points, width=320, margin=0.3, pad=0):
    """A projection that holds every (lon, lat) with a margin in degrees around them."""
    lons = [float(lon) for lon, _ in points]
    lats = [float(lat) for _, lat in points]
    return Projection(
        min_lon=min(lons) - margin,
        max_lon=max(lons) + margin,
        min_lat=min(lats) - margin,
        max_lat=max(lats) + margin,
        width=width,
        pad=pad,
    )


def boundary_path(boundary, project):
    """An SVG path for a GeoJSON (Multi)Polygon: each ring thinned to one point per pixel, then
    simplified to half a pixel (Douglas-Peucker), written in tenths of a pixel relative to the
    point before. The home page's 15 regions weigh 16 KB so, 5 KB compressed."""
    rings = []
    for polygon in polygons(boundary):
        for ring in polygon:
            kept = _thin([project(lon, lat) for lon, lat, *_ in ring])
            if len(kept) >= 4:
                kept = list(shapely.LineString(kept).simplify(0.5).coords)
            if len(kept) >= 3:
                rings.append(_ring_path(kept))
    return "".join(rings)


def _ring_path(points):
    tenths = [(round(x * 10), round(y * 10)) for x, y in points]
    steps = [(x - px, y - py) for (px, py), (x, y) in zip(tenths, tenths[1:], strict=False) if (x, y) != (px, py)]
    start = f"M{_tenths(tenths[0][0])} {_tenths(tenths[0][1])}"
    return start + "l" + " ".join(f"{_tenths(dx)} {_tenths(dy)}" for dx, dy in steps) + "z"


def _tenths(value):
    """An integer number of tenths as SVG's shortest decimal: 15 is "1.5", -5 "-.5", 20 "2"."""
    whole, tenth = divmod(abs(value), 10)
    text = (str(whole) if whole else "") + (f".{tenth}" if tenth else "")
    return ("-" if value < 0 else "") + (text or "0")


def _thin(points, tolerance=1.0):
    kept = points[:1]
    for x, y in points[1:]:
        last_x, last_y = kept[-1]
        if abs(x - last_x) >= tolerance or abs(y - last_y) >= tolerance:
            kept.append((x, y))
    return kept


def boundary_points(boundary):
    return [(lon, lat) for polygon in polygons(boundary) for ring in polygon for lon, lat, *_ in ring]


# Shades ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shade:
    """A class of the legend: regions with `low` to `high` approved activities share `fill`."""

    low: int
    high: int
    fill: str

    def holds(self, value):
        return self.low <= value <= self.high

    def __str__(self):
        if self.high == 0:
            return _("none yet")
        if self.low == self.high:
            return number_format(self.low, force_grouping=True)
        return f"{number_format(self.low, force_grouping=True)}–{number_format(self.high, force_grouping=True)}"


def shades(values):
    """The legend's classes for these counts: "none yet", then up to four classes of regions with
    activities, cut at their quartiles (rounded down to two significant figures) so that each holds
    about as many regions, whatever the spread of the figures."""
    found = sorted(value for value in values if value)
    classes = [Shade(0, 0, NONE_FILL)]
    if not found:
        return classes
    count = min(len(RAMP), len(set(found)))
    tops = []
    for step in range(1, count):
        top = _two_figures(found[math.ceil(step * len(found) / count) - 1])
        if top >= (tops[-1] + 1 if tops else 1) and top < found[-1]:
            tops.append(top)
    tops.append(found[-1])
    low = 1
    # The darkest shade is always the top class, so the largest figures look alike on every page.
    for top, fill in zip(tops, RAMP[len(RAMP) - len(tops) :], strict=True):
        classes.append(Shade(low, top, fill))
        low = top + 1
    return classes


def count_shades(counts):
    """The legend's classes for these PublicCounts of approved activities."""
    return shades(_activities(count) for count in counts)


def _two_figures(value):
    digits = len(str(value))
    unit = 10 ** max(digits - 2, 0)
    return value // unit * unit


def _activities(count):
    # A hidden count is 1 to 4 ("<5"): it takes the shade of the lowest class with activities.
    return 1 if count.hidden else count.value


def shade_of(count, classes):
    value = _activities(count)
    return next((shade for shade in classes if shade.holds(value)), classes[-1])


# Peru --------------------------------------------------------------------------------------------


@functools.cache
def peru_outline():
    """Peru's outline, drawn under the regions so that they sit in the country: the union of the
    departments shipped in data/, simplified to about 3 km (under a pixel on a map of the whole
    country) and rounded to 0.01° (6 KB). None when the file is not there: the regions alone."""
    try:
        features = json.loads(DEPARTMENTS.read_text(encoding="utf-8"))["features"]
        union = shapely.union_all([shape(feature["geometry"]) for feature in features])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, shapely.errors.ShapelyError):
        return None
    outline = shapely.set_precision(union.simplify(0.03, preserve_topology=True), 0.01)
    return json.loads(json.dumps(mapping(outline)))  # tuples to lists, as stored boundaries are


# Label points ------------------------------------------------------------------------------------


def label_point(boundary):
    """(lon, lat) inside the boundary's largest polygon, as far from its edges as can be: where its
    name reads best. A capital can sit on the coast, half its label in the sea."""
    largest = max((shape({"type": "Polygon", "coordinates": p}) for p in polygons(boundary)), key=lambda s: s.area)
    found = shapely.ops.polylabel(largest, tolerance=0.02)
    return found.x, found.y


def _area(boundary):
    return shape(boundary).area if boundary else 0.0


# The campaign's regions --------------------------------------------------------------------------


# Each region shaded, its figure in a tooltip for a mouse (the description has them all).
OUTLINE = '<path d="{}" fill="{}"><title>{}</title></path>'
COUNTRY = '<path d="{}" fill="{}" stroke="{}"/>'
CAPITAL_SPOT = '<circle cx="{}" cy="{}" r="5" fill="{}"><title>{}</title></circle>'


def regions_map(rows, boundaries):
    """The campaign's regions on one picture: each region's outline shaded by its approved activities
    and its name where it fits (a dot at the capital when no boundary is loaded), a legend, and the
    full list in the picture's description. `rows` are (region, PublicCount) pairs, `boundaries`
    the regions' GeoJSON by id (read apart: the regions in `rows` come without theirs)."""
    classes = count_shades(count for _, count in rows)
    shaped = [(region, count, boundaries.get(region.pk) or None) for region, count in rows]
    country = peru_outline()
    extent = [point for _, _, b in shaped if b for point in boundary_points(b)]
    extent += [(r.longitude, r.latitude) for r, _, b in shaped if not b]
    extent += boundary_points(country) if country else []
    project = fitted_projection(extent, width=300, margin=0.1 if any(b for *_, b in shaped) else 0.8, pad=4)
    shapes, spots = [], []
    if country:
        shapes.append(format_html(COUNTRY, boundary_path(country, project), COUNTRY_FILL, COUNTRY_EDGE))
    land = {region.pk: _in_pixels(boundary, project) for region, _, boundary in shaped if boundary}
    labels = Labels(land.items())
    # Largest first: their names are placed first, and a small region's name goes beside it.
    for region, count, boundary in sorted(shaped, key=lambda row: -_area(row[2])):
        fill = shade_of(count, classes).fill
        hover = f"{region.name}: {count}"
        if boundary:
            shapes.append(format_html(OUTLINE, boundary_path(boundary, project), fill, hover))
            point = project(*label_point(boundary))
            labels.place(region.name, in_or_beside(point, land[region.pk]), own=region.pk)
        else:
            x, y = project(region.longitude, region.latitude)
            spots.append(format_html(CAPITAL_SPOT, _px(x), _px(y), fill, hover))
            labels.place(region.name, beside_mark(x, y, 7))
    body = format_html(
        '<g stroke="{}" stroke-width="0.7" stroke-linejoin="round">{}{}</g>{}',
        EDGE,
        mark_safe("".join(shapes)),
        mark_safe("".join(spots)),
        labels.markup(),
    )
    described = "; ".join(f"{region.name}: {count}" for region, count in rows)
    svg = _svg(
        labels.frame(project),
        body,
        "regions-map",
        _("Map of the campaign's regions"),
        _("Each region is shaded by its approved activities in this release. %(regions)s.") % {"regions": described},
    )
    return _figure("regions-figure", svg, _("Approved activities per region"), _shade_keys(classes, country))


def map_regions(rows, boundaries):
    """What the Leaflet map of /mapa/ needs beside the boundaries it loads: each region's shade by
    slug, and the points where the names go, largest region first (a name that would cover another
    one is left out, and the larger region keeps its name)."""
    classes = count_shades(count for _, count in rows)
    fills = {region.slug: shade_of(count, classes).fill for region, count in rows}
    labels = []
    for region, _count in sorted(rows, key=lambda row: -_area(boundaries.get(row[0].pk) or None)):
        boundary = boundaries.get(region.pk) or None
        lon, lat = label_point(boundary) if boundary else (region.longitude, region.latitude)
        labels.append({"name": region.name, "lat": round(float(lat), 4), "lon": round(float(lon), 4)})
    country = {"outline": peru_outline(), "fill": COUNTRY_FILL, "edge": COUNTRY_EDGE}
    return {"fills": fills, "none": NONE_FILL, "edge": EDGE, "labels": labels, "country": country}, classes


def legend(classes):
    """The legend of the shades, for a map drawn in the browser (the SVG maps carry their own)."""
    return _legend(_("Approved activities per region"), _shade_keys(classes, peru_outline()))


def _shade_keys(classes, country=None):
    keys = [(_swatch(SHADE_KEY, shade.fill, EDGE), str(shade)) for shade in classes]
    if country:
        keys.append((_swatch(SHADE_KEY, COUNTRY_FILL, COUNTRY_EDGE), _("not a region of the campaign")))
    return keys


SHADE_KEY = '<rect x="1" y="1" width="14" height="14" fill="{}" stroke="{}"/>'


class Labels:
    """Names placed at the first free one of their candidate points (centres): free of every name
    already placed, and, on a map of regions, over no other region for more than a tenth of the
    name (gaps between the regions, and the sea, are free). A name with no free point is left out:
    the picture's description and the list beside it name every region."""

    def __init__(self, land=()):
        self.placed = []  # (name, x, y, box)
        self.land = list(land)  # (key, shape in pixels) of each region drawn

    def place(self, name, candidates, own=None):
        width, height = len(name) * LABEL_SIZE * CHAR_WIDTH, LABEL_SIZE
        boxes = [(x - width / 2, y - height / 2, x + width / 2, y + height / 2) for x, y in candidates(width, height)]
        # Crowded all round: on its own point after all, across its neighbours, if no name is there.
        found = next((box for box in boxes if self._free(box, own)), None) or next(
            (box for box in boxes[:1] if self._free(box, own, crossing=True)), None
        )
        if found:
            self.placed.append((name, (found[0] + found[2]) / 2, (found[1] + found[3]) / 2, found))

    def _free(self, box, own, crossing=False):
        if any(_overlap(box, other) for *_, other in self.placed):
            return False
        if crossing:
            return True
        area = shapely.box(*box)
        covered = sum(area.intersection(land).area for key, land in self.land if key != own and land.intersects(area))
        return covered <= 0.1 * area.area

    def frame(self, project):
        """The picture's extent: the map's and every label's."""
        boxes = [box for *_, box in self.placed] + [(0, 0, project.width, project.height)]
        left, top = min(b[0] for b in boxes) - 2, min(b[1] for b in boxes) - 2
        right, bottom = max(b[2] for b in boxes) + 2, max(b[3] for b in boxes) + 2
        return (math.floor(left), math.floor(top), math.ceil(right - left), math.ceil(bottom - top))

    def markup(self):
        # A white halo under each name keeps it readable on the darkest shade.
        names = ((_px(x), _px(y + LABEL_SIZE * 0.35), name) for name, x, y, _ in self.placed)
        return format_html(
            '<g class="map-labels" font-size="{}" text-anchor="middle" fill="{}" stroke="#ffffff" '
            'stroke-width="3" stroke-linejoin="round" paint-order="stroke">{}</g>',
            LABEL_SIZE,
            INK,
            format_html_join("", '<text x="{}" y="{}">{}</text>', names),
        )


def in_or_beside(point, land):
    """A region's name: on its label point, a line higher or lower; else beside the region (`land`,
    its shape in pixels) at the same heights, to the west first (for Peru's small regions, all on the
    coast, that is the sea), then to the east."""
    x, y = point

    def candidates(width, height):
        step = height + 1
        rows = (y, y - step, y + step)
        yield from ((x, row) for row in rows)
        for west in (True, False):
            for row in rows:
                band = land.intersection(shapely.box(-1e6, row - height / 2, 1e6, row + height / 2))
                if not band.is_empty:
                    left, _, right, _ = band.bounds
                    yield (left - LABEL_GAP - width / 2 if west else right + LABEL_GAP + width / 2), row

    return candidates


def beside_mark(x, y, clearance):
    """A mark's name: to its right, else to its left, above, below."""

    def candidates(width, height):
        yield x + clearance + width / 2, y
        yield x - clearance - width / 2, y
        yield x, y - clearance - height / 2
        yield x, y + clearance + height / 2

    return candidates


def _in_pixels(boundary, project):
    # The projection is linear: x = pad + (lon - min_lon) * scale, y = pad + (max_lat - lat) * scale.
    scale, pad = project.scale, project.pad
    matrix = [scale, 0, 0, -scale, pad - project.min_lon * scale, pad + project.max_lat * scale]
    return shapely.affinity.affine_transform(shape(boundary), matrix)


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# One region --------------------------------------------------------------------------------------


def region_map(region, points, count=None, classes=()):
    """One region: its boundary (or the area around its capital), shaded as on the map of all the
    regions when its `count` of approved activities and the `classes` of that map are given; a
    white dot per ~1 km square where approved activities took place; its capital, named. `points`
    are (lat, lon) pairs, already rounded."""
    capital = (region.longitude, region.latitude)
    extent = boundary_points(region.boundary) if region.boundary else [capital, *((lon, lat) for lat, lon in points)]
    project = fitted_projection(extent, pad=4)
    fill = shade_of(count, classes).fill if count is not None and classes else LAND
    # Safe even when empty: a plain "" would make the whole sum plain text, escaped on the page.
    shape_markup = mark_safe("")
    if region.boundary:
        shape_markup = format_html(REGION, boundary_path(region.boundary, project), fill, EDGE)
    spots = _spots([project(lon, lat) for lat, lon in points])
    dots = format_html(DOTS, INK, format_html_join("", DOT, ((_px(x), _px(y)) for x, y in sorted(spots))))
    cx, cy = project(*capital)
    labels = Labels()
    labels.place(region.capital, beside_mark(cx, cy, 7))
    star = format_html(CAPITAL, _px(cx - 4), _px(cy - 4), INK) + labels.markup()
    svg = _svg(labels.frame(project), shape_markup + dots + star, "region-map", *_region_text(region, points))
    keys = [
        (_swatch(DOTS, INK, format_html(DOT, "8", "8")), _("a place with approved activities (about 1 km)")),
        (_swatch(CAPITAL, "4", "4", INK), _("the capital, %(capital)s") % {"capital": region.capital}),
    ]
    if region.boundary:
        keys.insert(0, (_swatch(SHADE_KEY, fill, EDGE), _region_key(region, count)))
    return _figure("region-figure", svg, _("Legend"), keys)


def _region_text(region, points):
    """The region map's title and description."""
    places = ngettext(
        "%(count)s place where approved activities took place, each a square of about 1 km",
        "%(count)s places where approved activities took place, each a square of about 1 km",
        len(points),
    ) % {"count": number_format(len(points), force_grouping=True)}
    description = _("%(places)s, in %(region)s; its capital, %(capital)s, is the black square.") % {
        "region": region.name,
        "places": places,
        "capital": region.capital,
    }
    return _("Map of %(region)s") % {"region": region.name}, description


def _region_key(region, count):
    if count is None:
        return region.name
    return ngettext(
        "%(region)s: %(count)s approved activity, shaded as on the map of the regions",
        "%(region)s: %(count)s approved activities, shaded as on the map of the regions",
        _activities(count),
    ) % {"region": region.name, "count": count}


REGION = '<path d="{}" fill="{}" stroke="{}" stroke-width="1"/>'
# White dots with a dark ring, as the activity map's: they read on every shade.
DOTS = '<g fill="#ffffff" stroke="{}" stroke-width="1.2">{}</g>'
DOT = '<circle cx="{}" cy="{}" r="3.5"/>'
CAPITAL = '<rect x="{}" y="{}" width="8" height="8" fill="{}" stroke="#ffffff"/>'


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


# Markup ------------------------------------------------------------------------------------------


def _svg(frame, body, css_class, title, description):
    left, top, width, height = frame
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="{} {} {} {}" width="{}" height="{}" '
        'role="img" aria-labelledby="{}-title {}-desc" font-family="system-ui, sans-serif">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        css_class,
        left,
        top,
        width,
        height,
        width,
        height,
        css_class,
        css_class,
        css_class,
        title,
        css_class,
        description,
        body,
    )


def _swatch(template, *args):
    # Decoration: the text beside it says what it stands for.
    return format_html(
        '<svg class="swatch" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">{}</svg>',
        format_html(template, *args),
    )


def _legend(title, keys):
    return format_html(
        '<div class="map-legend"><p class="map-legend-title">{}</p><ul>{}</ul></div>',
        title,
        format_html_join("", "<li>{} {}</li>", keys),
    )


def _figure(css_class, svg, title, keys):
    return format_html(
        '<figure class="map-figure {}">{}<figcaption>{}</figcaption></figure>', css_class, svg, _legend(title, keys)
    )
