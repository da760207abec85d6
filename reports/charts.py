"""Small bar charts and the map of regions, drawn on the server as SVG, for the PDF reports and the
staff dashboard.

No chart library and no script: the same markup prints through WeasyPrint, shows in a page
under the content security policy, and reads out to a screen reader through its <title> and
<desc>, which also list every value, so no figure exists only as a bar's height.
"""

import functools
import hashlib
import math
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from regions import geo

ACCENT = "#7a1f5c"  # the portal's accent (static/css/portal.css)
INK = "#1d1d1f"
GRID = "#cccccc"
FONT = "font-family:sans-serif;font-size:11px"

# Room around the plot for the axis labels.
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 28
# About how wide one character of a label is, to tell whether a label fits under its bar.
CHAR_WIDTH = 6.5


def bar_chart(bars, *, title, description="", width=640, height=240, chart_id=None):
    """An SVG bar chart (safe markup) of `bars`, a sequence of (label, value) with values >= 0.

    `title` names the chart; `description` (optional) comes before the list of values in its
    <desc>. `chart_id` prefixes the ids of <title> and <desc>: give one when a page holds two
    charts with the same title. Long labels are turned, and the chart grows to hold them.
    """
    bars = [(str(label), value or 0) for label, value in bars]
    chart_id = chart_id or "chart-" + hashlib.sha1(str(title).encode()).hexdigest()[:8]
    plot = _layout(bars, width, height)
    ticks = nice_ticks(max((value for _, value in bars), default=0))
    scale = (plot.baseline - TOP) / ticks[-1]
    parts = [
        _axis(ticks, scale, plot),
        *(_bar(i, label, value, scale, plot) for i, (label, value) in enumerate(bars)),
    ]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=width,
        h=plot.height,
        id=chart_id,
        title=title,
        desc=_description(description, bars),
        body=mark_safe("".join(parts)),
    )


class _Plot(NamedTuple):
    left: float
    right: float
    slot: float
    baseline: float
    height: int
    turned: bool


def _layout(bars, width, height):
    """Where the bars go. Labels too long for their slot are turned 40 degrees, which needs room
    below the bars and, for the first label, to the left of them."""
    count = max(len(bars), 1)
    longest = max((len(label) for label, _ in bars), default=0) * CHAR_WIDTH
    slot = (width - LEFT - RIGHT) / count
    if longest <= slot:
        return _Plot(LEFT, width - RIGHT, slot, height - BOTTOM, height, False)
    left = max(LEFT, longest * math.cos(math.radians(40)) - slot / 2 + 4)
    slot = (width - left - RIGHT) / count
    extra = round(longest * math.sin(math.radians(40)))
    return _Plot(left, width - RIGHT, slot, height - BOTTOM, height + extra, True)


def nice_ticks(largest, count=4):
    """Round values for the axis, from 0 to at least `largest`: 0, 5, 10, 15, 20 rather than 0, 4.3, …"""
    if largest <= 0:
        return [0, 1]
    raw_step = largest / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    if step < 1:
        step = 1
    top = math.ceil(largest / step) * step
    return [_whole(i * step) for i in range(round(top / step) + 1)]


def _whole(value):
    return int(value) if float(value).is_integer() else value


def _description(description, bars):
    values = "; ".join(f"{label}: {number_format(value, force_grouping=True)}" for label, value in bars)
    return " ".join(part for part in (str(description), values) if part)


def _axis(ticks, scale, plot):
    rows = [
        format_html(
            '<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="1"/>'
            '<text x="{}" y="{y}" dy="4" text-anchor="end" style="{}">{}</text>',
            _px(plot.left),
            _px(plot.right),
            GRID if tick else INK,
            _px(plot.left - 6),
            FONT,
            number_format(tick, force_grouping=True),
            y=_px(plot.baseline - tick * scale),
        )
        for tick in ticks
    ]
    return "".join(rows)


def _bar(index, label, value, scale, plot):
    bar_width = max(plot.slot * 0.6, 1)
    centre = plot.left + index * plot.slot + plot.slot / 2
    top = plot.baseline - value * scale
    label_at = plot.baseline + 14
    # A turned label ends under its bar's centre and reads up to it from the lower left.
    turn = format_html(' text-anchor="end" transform="rotate(-40 {} {})"', _px(centre), label_at) if plot.turned else ""
    return format_html(
        '<g><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" text-anchor="middle" style="{}">{}</text>'
        '<text x="{}" y="{}"{} style="{}">{}</text></g>',
        _px(centre - bar_width / 2),
        _px(top),
        _px(bar_width),
        _px(value * scale),
        ACCENT,
        _px(centre),
        _px(top - 3),
        FONT,
        number_format(value, force_grouping=True),
        _px(centre),
        label_at,
        turn or mark_safe(' text-anchor="middle"'),
        FONT,
        label,
    )


def _px(value):
    return f"{value:.1f}"


# --- The map of regions ---------------------------------------------------------------------------

MAP_WIDTH = 360
# The sets of regions whose outlines are kept drawn: all of them, each one alone, each coordinator's.
OUTLINES_KEPT = 32


@dataclass(frozen=True)
class Area:
    """A region on the map: `key` (its id) and `version` (anything that changes with its boundary,
    such as a digest of it) say which outline it has; `fill` and `label` are its figure."""

    key: int
    version: str
    boundary: dict = field(compare=False, repr=False)
    fill: str = field(default="", compare=False)
    label: str = field(default="", compare=False)


def region_map(areas, *, title):
    """An SVG map (safe markup) of `areas` (Area), each outline filled with its colour and titled
    with its label; the <desc> lists the labels, so no figure exists only as a colour."""
    height, paths = outlines(tuple(areas))
    shapes = format_html_join(
        "",
        '<path d="{}" fill="{}" fill-rule="evenodd" stroke="#595959" stroke-width="0.6"><title>{}</title></path>',
        ((path, area.fill, area.label) for path, area in zip(paths, areas, strict=True)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="progress-map" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-labelledby="map-title map-desc"><title id="map-title">{title}</title>'
        '<desc id="map-desc">{desc}</desc>{paths}</svg>',
        w=MAP_WIDTH,
        h=height,
        title=title,
        desc="; ".join(str(area.label) for area in areas),
        paths=shapes,
    )


@functools.lru_cache(maxsize=OUTLINES_KEPT)
def outlines(areas):
    """(height, (path data, ...)) of the areas' outlines, in their order. Kept once per process:
    projecting, rounding and writing some thousands of points took longer than the rest of the
    map, and depends on the boundaries alone, never on a figure. Keyed by each area's key and
    version only (Area compares nothing else), so a boundary loaded or edited is drawn again at
    the next load. The boundaries of each set's first drawing stay referenced with it: some
    300 kB for all fifteen regions, OUTLINES_KEPT sets at most."""
    return draw_outlines([area.boundary for area in areas])


def draw_outlines(boundaries):
    """(height, (path data, ...)) of GeoJSON boundaries projected equirectangularly (longitude
    shrunk by the cosine of the middle latitude): at Peru's size and latitude the shapes stay
    recognisable."""
    rings = [_rings(boundary) for boundary in boundaries]
    points = [point for shape in rings for ring in shape for point in ring]
    lons, lats = [point[0] for point in points], [point[1] for point in points]
    project = _projection(min(lons), max(lons), min(lats), max(lats))
    height = project(min(lons), min(lats))[1]
    return round(height + 1), tuple(_path(shape, project) for shape in rings)


def _rings(boundary):
    return [ring for polygon in geo.polygons(boundary) for ring in polygon]


def _projection(west, east, south, north):
    squeeze = math.cos(math.radians((north + south) / 2))
    scale = (MAP_WIDTH - 2) / max((east - west) * squeeze, 1e-9)

    def project(lon, lat):
        return 1 + (lon - west) * squeeze * scale, 1 + (north - lat) * scale

    return project


def _path(rings, project):
    """SVG path data, rounded to half a pixel, dropping points that round onto the one before:
    a detailed boundary shrinks to what the map can show."""
    parts = []
    for ring in rings:
        points = []
        for lon, lat, *_rest in ring:
            x, y = project(lon, lat)
            point = (round(x * 2) / 2, round(y * 2) / 2)
            if not points or point != points[-1]:
                points.append(point)
        if len(points) >= 3:
            parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
    return "".join(parts)
