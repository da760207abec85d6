"""The staff dashboard: approved figures against targets, live, for a period, region and objective.

Staff see every region; a coordinator the regions of their memberships only. The regions come
from regions.access once, and every figure below is read through reports.selectors with
`regions=` those regions, so no number of another region can reach the page, whatever the
query string says.

Nothing is cached and nothing is precomputed: the page reads the activities as they are, so an
approval, a return or a reopening shows at the next load. A fixed number of queries whatever
the number of regions, indicators or activities (see tests/test_dashboard.py).
"""

import calendar
import datetime
import math
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from activities.models import Activity
from programs.models import Objective, Target
from regions import access, geo

from . import selectors
from .charts import bar_chart
from .models import Report

TEMPLATE = "reports/dashboard.html"
FIRST_YEAR, LAST_YEAR = 2024, 2100
RECENT_REPORTS = 5


# --- Filters ---------------------------------------------------------------------------------


def current_year():
    return min(max(timezone.localdate().year, FIRST_YEAR), LAST_YEAR)


class DashboardFilters(forms.Form):
    """Year, quarter, region and objective. The region's choices are the readable regions only,
    so another region's id is refused like any unknown value."""

    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        choices=Target._meta.get_field("quarter").choices,
        coerce=int,
        empty_value=Target.WHOLE_YEAR,
        required=False,
    )
    region = forms.TypedChoiceField(label=gettext_lazy("Region"), coerce=int, empty_value=None, required=False)
    objective = forms.TypedChoiceField(label=gettext_lazy("Objective"), coerce=int, empty_value=None, required=False)

    def __init__(self, data, *, regions, objectives):
        super().__init__(data)
        self.fields["year"].widget.attrs.update({"inputmode": "numeric", "placeholder": current_year()})
        self.fields["region"].choices = [("", _("All regions")), *((r.pk, r.name) for r in regions)]
        self.fields["objective"].choices = [
            ("", _("All objectives")),
            *((o.pk, f"{o.code} · {o.localized('title')}") for o in objectives),
        ]

    def clean_year(self):
        return self.cleaned_data["year"] or current_year()


@dataclass(frozen=True)
class Scope:
    year: int
    quarter: int
    regions: list  # Region objects, boundaries loaded, by name
    # The same regions as a queryset of regions.access: the selectors keep it a subquery, which
    # PostgreSQL joins as a set; a long list of ids it estimates badly (see docs/PERFORMANCE.md).
    readable: QuerySet
    objective: Objective | None

    def dates(self):
        if self.quarter == Target.WHOLE_YEAR:
            return datetime.date(self.year, 1, 1), datetime.date(self.year, 12, 31)
        last_month = 3 * self.quarter
        last_day = calendar.monthrange(self.year, last_month)[1]
        return datetime.date(self.year, last_month - 2, 1), datetime.date(self.year, last_month, last_day)

    def label(self):
        if self.quarter == Target.WHOLE_YEAR:
            return str(self.year)
        return _("Q%(quarter)s %(year)s") % {"quarter": self.quarter, "year": self.year}


# --- The page --------------------------------------------------------------------------------


@login_required
@require_GET
@never_cache
def dashboard(request):
    regions = list(access.readable_regions(request.user).order_by("name"))
    objectives = list(Objective.objects.order_by("order"))
    form = DashboardFilters(request.GET, regions=regions, objectives=objectives)
    context = {"form": form, "is_reviewer": access.is_national(request.user), "has_regions": bool(regions)}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    scope = _scope(form.cleaned_data, access.readable_regions(request.user), regions, objectives)
    if regions:
        context.update(_figures(scope))
        context["pending"] = _pending_review(scope)
    context.update(
        scope=scope,
        single_region=len(scope.regions) == 1,
        reports=Report.objects.visible_to(request.user).select_related("region")[:RECENT_REPORTS],
        generated_at=timezone.localtime(),
    )
    return render(request, TEMPLATE, context)


def _scope(data, readable, regions, objectives):
    if data["region"] is not None:
        # The form offered the readable regions only, and the queryset is narrowed, not replaced.
        regions = [region for region in regions if region.pk == data["region"]]
        readable = readable.filter(pk=data["region"])
    objective = next((o for o in objectives if o.pk == data["objective"]), None)
    return Scope(
        year=data["year"], quarter=data["quarter"], regions=regions, readable=readable.order_by(), objective=objective
    )


def _figures(scope):
    date_from, date_to = scope.dates()
    filters = {"date_from": date_from, "date_to": date_to, "objective": scope.objective, "regions": scope.readable}
    figures = selectors.approved_figures(**filters)
    indicators = _indicator_progress(scope)
    return {
        "figures": figures,
        "headline": _headline(figures),
        "sex_age": _sex_age(figures),
        **_months(scope, selectors.approved_breakdown("month", **filters)),
        "indicators": indicators,
        "matrix": _matrix(indicators),
        "map": _progress_map(scope.regions, indicators),
    }


def _pending_review(scope):
    """Submitted activities in the scope's regions, whatever their dates: the reviewers' work now."""
    return Activity.objects.filter(status=Activity.Status.SUBMITTED, region__in=scope.readable).count()


def _headline(figures):
    return [
        (_("Approved activities"), figures["activities"]),
        (_("People reached"), figures["participants"]),
        (_("Families reached"), figures["families"]),
        (_("Support networks"), figures["networks"]),
        (_("Leaders in the support networks"), figures["network_leaders"]),
        (_("Partner institutions"), figures["institutions"]),
    ]


# --- People by sex and age ---------------------------------------------------------------------

AGE_GROUPS = (("0-11", "0–11"), ("12-17", "12–17"), ("18+", "18+"))


def _sex_age(figures):
    """Rows by age group, columns by sex, each row and column totalled: the cells are the six
    participant counts, so the corner is the participants total."""
    cells = {(row["age_group"], row["sex"]): row["count"] for row in selectors.sex_age_rows(figures)}
    rows = [
        {
            "label": _("%(ages)s years") % {"ages": label},
            "female": cells[group, "female"],
            "male": cells[group, "male"],
            "total": cells[group, "female"] + cells[group, "male"],
        }
        for group, label in AGE_GROUPS
    ]
    totals = {sex: sum(row[sex] for row in rows) for sex in ("female", "male", "total")}
    return {
        "rows": rows,
        "totals": totals,
        "female_label": pgettext("sex", "Female"),
        "male_label": pgettext("sex", "Male"),
    }


# --- Activities by month ----------------------------------------------------------------------


def _months(scope, breakdown):
    found = {row["month"]: row for row in breakdown}
    date_from, date_to = scope.dates()
    months = []
    for number in range(date_from.month, date_to.month + 1):
        first_day = datetime.date(scope.year, number, 1)
        row = found.get(first_day.strftime("%Y-%m"), {})
        months.append(
            {
                "label": capfirst(date_format(first_day, "YEAR_MONTH_FORMAT")),
                "short": capfirst(date_format(first_day, "M")),
                "activities": row.get("activities", 0),
                "participants": row.get("participants", 0),
                "families": row.get("families", 0),
            }
        )
    title = _("Approved activities by month, %(period)s") % {"period": scope.label()}
    chart = bar_chart(
        [(month["short"], month["activities"]) for month in months],
        title=title,
        description=_("By the month the activities started."),
        chart_id="chart-months",
        height=220,
    )
    return {"months": months, "month_chart": {"title": title, "svg": chart}}


# --- Indicators against targets -----------------------------------------------------------------


def _indicator_progress(scope):
    """One entry per indicator: its regions' rows and their total, each with the bar's width."""
    rows = selectors.indicator_progress(
        year=scope.year, quarter=scope.quarter, regions=scope.readable, objective=scope.objective
    )
    indicators = {}
    for row in rows:
        entry = indicators.setdefault(row["indicator"]["id"], {"indicator": row["indicator"], "regions": []})
        entry["regions"].append({**row, "bar": _bar(row["percent"])})
    for entry in indicators.values():
        entry["total"] = _total(entry["regions"])
    return list(indicators.values())


def _matrix(indicators):
    """[{"region", "cells": [one per indicator, in the columns' order]}, ...]: the regions as rows.
    Every indicator lists the same regions in the same order (by name), so row i is each one's i-th."""
    if not indicators:
        return []
    return [
        {"region": first["region"], "cells": [entry["regions"][i] for entry in indicators]}
        for i, first in enumerate(indicators[0]["regions"])
    ]


def _total(rows):
    """The regions added up, as in the national summary (reports.progress): the targets that are
    set are summed; no region with a target leaves the total without one."""
    actual = sum(row["actual"] for row in rows)
    targets = [row["target"] for row in rows if row["target"] is not None]
    target = sum(targets) if targets else None
    percent = round(100 * actual / target, 1) if target else None
    return {"actual": actual, "target": target, "percent": percent, "bar": _bar(percent)}


def _bar(percent):
    """The filled part of a progress bar, out of 100: a bar never runs past its box."""
    return 0 if percent is None else round(min(percent, 100))


# --- The map --------------------------------------------------------------------------------------

# Progress bins (lower bound, colour), light to dark: the portal's accent at the top.
SHADES = ((0, "#f6e9f1"), (25, "#e2bcd5"), (50, "#c67fae"), (75, "#a04c84"), (100, "#7a1f5c"))
NO_TARGET = "#d9d9d9"
MAP_WIDTH = 360


def _progress_map(regions, indicators):
    """Each region's progress (the mean of its indicators' percentages, each counted up to 100 %,
    over the indicators with a target) as a table, and as an SVG map of the regions whose
    boundary is loaded."""
    percents = {}
    for entry in indicators:
        for row in entry["regions"]:
            if row["percent"] is not None:
                percents.setdefault(row["region"]["id"], []).append(min(row["percent"], 100))
    table = []
    for region in regions:
        values = percents.get(region.pk, [])
        progress = round(sum(values) / len(values), 1) if values else None
        table.append({"region": region, "progress": progress, "with_target": len(values), "colour": _shade(progress)})
    return {"table": table, "svg": _map_svg(table), "legend": _legend()}


def _shade(progress):
    if progress is None:
        return NO_TARGET
    return [colour for lower, colour in SHADES if progress >= lower][-1]


def _legend():
    """[(swatch, words), ...]: the swatch is drawn, not a CSS background, so that it prints."""
    uppers = [lower for lower, _colour in SHADES[1:]]
    items = [
        (colour, _("%(low)s–%(high)s %%") % {"low": lower, "high": upper - 1})
        for (lower, colour), upper in zip(SHADES, uppers, strict=False)
    ]
    items += [(SHADES[-1][1], _("100 % or more")), (NO_TARGET, _("No target"))]
    return [(_swatch(colour), words) for colour, words in items]


def _swatch(colour):
    return format_html(
        '<svg width="14" height="14" aria-hidden="true" focusable="false">'
        '<rect width="14" height="14" fill="{}" stroke="#595959" stroke-width="0.5"/></svg>',
        colour,
    )


def _map_svg(table):
    """The regions with a boundary, projected equirectangularly (longitude shrunk by the cosine
    of the middle latitude): at Peru's size and latitude the shapes stay recognisable."""
    shaped = [row for row in table if row["region"].boundary]
    if not shaped:
        return ""
    rings = {row["region"].pk: _rings(row["region"].boundary) for row in shaped}
    points = [point for region_rings in rings.values() for ring in region_rings for point in ring]
    lons, lats = [point[0] for point in points], [point[1] for point in points]
    project = _projection(min(lons), max(lons), min(lats), max(lats))
    height = project(min(lons), min(lats))[1]
    paths = format_html_join(
        "",
        '<path d="{}" fill="{}" fill-rule="evenodd" stroke="#595959" stroke-width="0.6"><title>{}</title></path>',
        ((_path(rings[row["region"].pk], project), row["colour"], _map_label(row)) for row in shaped),
    )
    description = "; ".join(str(_map_label(row)) for row in shaped)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="progress-map" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-labelledby="map-title map-desc"><title id="map-title">{title}</title>'
        '<desc id="map-desc">{desc}</desc>{paths}</svg>',
        w=MAP_WIDTH,
        h=round(height + 1),
        title=_("Progress against targets by region"),
        desc=description,
        paths=paths,
    )


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


def _map_label(row):
    if row["progress"] is None:
        return _("%(region)s: no target") % {"region": row["region"].name}
    return _("%(region)s: %(progress)s %%") % {
        "region": row["region"].name,
        "progress": number_format(row["progress"], 1),
    }
