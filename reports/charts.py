"""Small bar charts drawn on the server as SVG, for the PDF reports and the staff dashboard.

No chart library and no script: the same markup prints through WeasyPrint, shows in a page
under the content security policy, and reads out to a screen reader through its <title> and
<desc>, which also list every value, so no figure exists only as a bar's height.
"""

import hashlib
import math
from typing import NamedTuple

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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
