"""The staff dashboard: approved figures against targets, live, for a period, region and objective.

Staff see every region; a coordinator the regions of their memberships only. The regions come
from regions.access once, and every figure below is read through reports.selectors with
`regions=` those regions, so no number of another region can reach the page, whatever the
query string says (staff looking at every region read with no region filter: every region is
theirs).

Nothing is cached: the page adds up the tallies (reports.tally), which every approval, return,
reopening or edit updates in its own transaction, so a change shows at the next load. A fixed
number of queries over a few thousand cells whatever the number of regions, indicators or
activities (see tests/test_dashboard.py). Each period, the page's own and each earlier one it is
compared with, is read once by region and objective (selectors.approved_cells, three queries),
and both its headline figures and its indicators' actuals are made from those cells.

"Export this view" queues the progress report that holds the same figures (the region's, or the
national summary) through reports.services, with the page's period and objective.
"""

import calendar
import datetime
import html
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, Sum, TextField
from django.db.models.functions import MD5, Cast
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from activities.models import Activity
from programs.models import Objective, Target
from regions import access

from . import selectors, services
from .charts import Area, bar_chart, region_map
from .models import Report, Tally

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
        self.regions, self.objectives = regions, objectives
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
    # Staff looking at every region: their figures need no region filter at all, which spares
    # joining every tally row of a period to the regions (some 4 ms a period at a million).
    every_region: bool = False

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

    def filters(self):
        """The selectors' filters for this scope's figures."""
        date_from, date_to = self.dates()
        regions = None if self.every_region else self.readable
        return {"date_from": date_from, "date_to": date_to, "objective": self.objective, "regions": regions}

    def previous(self):
        """The period just before, in the same regions and objective: the quarter before (the
        first quarter's is the year before's fourth), or the year before."""
        if self.quarter == Target.WHOLE_YEAR:
            return replace(self, year=self.year - 1)
        if self.quarter == 1:
            return replace(self, year=self.year - 1, quarter=4)
        return replace(self, quarter=self.quarter - 1)

    def year_before(self):
        return replace(self, year=self.year - 1)

    def earlier(self):
        """The periods the figures are compared with, the previous one first. A whole year's
        previous period is the year before: it is given once."""
        previous, year_before = self.previous(), self.year_before()
        if (previous.year, previous.quarter) == (year_before.year, year_before.quarter):
            return [previous]
        return [previous, year_before]


class Numbers:
    """The page's numbers as the filter floatformat writes them, in the request's language, with
    its separators read once: Django's number_format looks them up on every call (some 20 µs),
    and the page writes over a thousand numbers. What the short way would not write exactly as
    floatformat does (a grouping other than threes, grouped decimals, a value not rounded to
    one decimal) is left to floatformat."""

    def __init__(self):
        self.thousands = get_format("THOUSAND_SEPARATOR")
        self.decimal = get_format("DECIMAL_SEPARATOR")
        self.threes = get_format("NUMBER_GROUPING") == 3
        self.plain_decimals = not settings.USE_THOUSAND_SEPARATOR

    def whole(self, number):
        """floatformat:"0g" of a count: "12 345"."""
        if self.threes and type(number) is int:
            return f"{number:,}".replace(",", self.thousands)
        return floatformat(number, "0g")

    def tenth(self, number):
        """floatformat:1 of a percentage rounded to one decimal (round(x, 1)): "12,5"."""
        text = repr(number) if type(number) is float else ""
        if self.plain_decimals and text[-2:-1] == "." and not text.startswith("-"):
            return text.replace(".", self.decimal)
        return floatformat(number, 1)

    def rounded(self, number):
        """A count or a percentage (not negative) as a whole number, rounded half up, grouped."""
        if type(number) is not int:
            number = int(Decimal(str(number)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return self.whole(number)


@dataclass(frozen=True)
class Change:
    """A figure against the same figure in an earlier period (`period`, that period's label),
    written with the page's `numbers`."""

    value: int
    base: int
    period: str
    numbers: Numbers = field(compare=False, repr=False)

    ARROWS = {"up": "▲", "down": "▼", "same": "="}
    SIGNS = {"up": "+", "down": "\u2212", "same": ""}  # a real minus sign, as in print

    # Kept once worked out (a frozen dataclass's cached_property writes to the instance's
    # __dict__): the words and the arrow ask for them several times each.
    @cached_property
    def difference(self):
        return self.value - self.base

    @cached_property
    def percent(self):
        """The change as a percentage of the base, to one decimal; None when the base is 0:
        no percentage of nothing."""
        return round(100 * self.difference / self.base, 1) if self.base else None

    @cached_property
    def direction(self):
        return "up" if self.difference > 0 else "down" if self.difference < 0 else "same"

    def shown(self):
        """What the page shows: "▲ +20 · +25 %", "▼ −3 · −50 %", "= 0 · —" (no percentage of 0)."""
        sign, rounded = self.SIGNS[self.direction], self.numbers.rounded
        percent = "—" if self.percent is None else f"{sign}{rounded(abs(self.percent))}\u00a0%"
        return f"{self.ARROWS[self.direction]}\u00a0{sign}{rounded(abs(self.difference))} · {percent}"

    def base_shown(self):
        return self.numbers.whole(self.base)

    def sentence(self):
        """The change in words, for screen readers: the arrow and the colour are not the message."""
        rounded = self.numbers.rounded
        values = {"difference": rounded(abs(self.difference)), "base": rounded(self.base), "period": self.period}
        if self.percent is not None:
            values["percent"] = f"{rounded(abs(self.percent))}\u00a0%"
        if self.direction == "same":
            return _("No change from %(period)s (%(base)s).") % values
        if self.percent is None:
            return _("Up %(difference)s from none in %(period)s.") % values
        if self.direction == "up":
            return _("Up %(difference)s (%(percent)s) from %(base)s in %(period)s.") % values
        return _("Down %(difference)s (%(percent)s) from %(base)s in %(period)s.") % values

    def html(self):
        """An arrow and signed numbers to see, a sentence to hear (the arrow and the colour are not
        the message). Written here, not by a template included per cell, and escaped as Django
        escapes (html.escape) without format_html's checks for lazy text: the matrix holds one
        per region and indicator, and those cost more than the rest of the cell."""
        return mark_safe(
            f'<span class="change change-{self.direction}"><span aria-hidden="true">{html.escape(self.shown())}</span>'
            f'<span class="visually-hidden">{html.escape(self.sentence())}</span></span>\n'
        )


# --- The page --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def dashboard(request):
    """GET shows the figures of the filters in the query string; POST ("Export this view") queues
    the report of the filters the page posts back. One address, so that a refused export shows
    the page's own filters form, whose GET comes back here."""
    form, context = _filters_form(request)
    if request.method == "POST":
        return _export_view(request, form, context)
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    scope = _scope(form.cleaned_data, request.user, form.regions, form.objectives)
    if form.regions:
        context.update(_figures(scope))
        context["pending"] = _pending_review(scope)
        context["export"] = _export_offer(request.user, scope, chosen=form.cleaned_data["region"])
    context.update(
        scope=scope,
        earlier=[period.label() for period in scope.earlier()],
        single_region=len(scope.regions) == 1,
        reports=_recent_reports(request.user),
        generated_at=timezone.localtime(),
    )
    return render(request, TEMPLATE, context)


def _filters_form(request):
    # The boundary's digest tells the map whether the outline it keeps drawn is still this one.
    version = MD5(Cast("boundary", output_field=TextField()))
    regions = list(access.readable_regions(request.user).annotate(boundary_version=version).order_by("name"))
    objectives = list(Objective.objects.order_by("order"))
    data = request.POST if request.method == "POST" else request.GET
    form = DashboardFilters(data, regions=regions, objectives=objectives)
    return form, {"form": form, "is_reviewer": access.is_national(request.user), "has_regions": bool(regions)}


def _recent_reports(user):
    # The page names a report's region; its boundary, the largest column, is not read.
    reports = Report.objects.visible_to(user).select_related("region").defer("region__boundary")
    return reports[:RECENT_REPORTS]


# --- Export this view ---------------------------------------------------------------------------

EXPORT_FORMATS = (Report.Format.PDF, Report.Format.XLSX)


def _export_view(request, form, context):
    """Queues the progress report of the posted filters and opens the report's page, which follows
    its progress. The filters are checked as the page checks them, so another region's id is
    refused like any unknown value: 400, nothing queued."""
    if request.POST.get("format") not in EXPORT_FORMATS:
        form.add_error(None, _("Choose PDF or XLSX."))
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    scope = _scope(form.cleaned_data, request.user, form.regions, form.objectives)
    try:
        report, created = _export(request, scope, chosen=form.cleaned_data["region"])
    except PermissionDenied:
        form.add_error(None, _("You may not request reports for this region."))
        return render(request, TEMPLATE, context, status=403)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return render(request, TEMPLATE, context, status=400)
    if created:
        messages.success(request, _("Your report is being prepared. You may leave this page and come back later."))
    else:
        messages.info(request, _("The same report is already being prepared: here it is."))
    return redirect("reports:detail", report.pk)


def _export(request, scope, *, chosen):
    """services.report_request for the scope: (report, created); an identical report still being
    prepared is returned instead of a second one."""
    kind, region = _export_target(request.user, scope, chosen=chosen)
    if kind is None:
        message = _("A report covers one region, or for the ministry the whole country: choose a region.")
        raise ValidationError({"region": message})
    return services.report_request(
        user=request.user,
        kind=kind,
        format=request.POST["format"],
        region=region,
        parameters=_export_parameters(scope),
        language=(get_language() or "es").split("-")[0],
    )


def _export_target(user, scope, *, chosen):
    """(kind, region) of the report that holds the scope's figures, or (None, None) when none does:
    a coordinator of several regions looking at all of them (a report covers one region, and
    only the ministry's national summary covers more)."""
    if chosen is not None:
        return Report.Kind.REGIONAL_PROGRESS, scope.regions[0]
    if access.is_national(user):
        return Report.Kind.NATIONAL_SUMMARY, None
    if len(scope.regions) == 1:
        return Report.Kind.REGIONAL_PROGRESS, scope.regions[0]
    return None, None


def _export_parameters(scope):
    date_from, date_to = scope.dates()
    parameters = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    if scope.objective is not None:
        parameters["objective"] = scope.objective.pk
    return parameters


def _export_offer(user, scope, *, chosen):
    """What the page's export form says it will make, and the filters it posts back; None when
    no report holds the view (the page then says to choose a region)."""
    kind, region = _export_target(user, scope, chosen=chosen)
    if kind is None:
        return None
    what = [str(Report.Kind(kind).label)]
    if region is not None:
        what.append(region.name)
    if scope.objective is not None:
        what.append(scope.objective.code)
    what.append(scope.label())
    fields = {
        "year": scope.year,
        "quarter": scope.quarter,
        "region": "" if chosen is None else chosen,
        "objective": "" if scope.objective is None else scope.objective.pk,
    }
    return {"what": " · ".join(what), "fields": fields.items()}


def _scope(data, user, regions, objectives):
    readable = access.readable_regions(user)
    if data["region"] is not None:
        # The form offered the readable regions only, and the queryset is narrowed, not replaced.
        regions = [region for region in regions if region.pk == data["region"]]
        readable = readable.filter(pk=data["region"])
    objective = next((o for o in objectives if o.pk == data["objective"]), None)
    # The selectors list these regions for names only: their boundaries, which the map has from
    # `regions`, are not read again.
    readable = readable.defer("boundary").order_by()
    every_region = data["region"] is None and access.is_national(user)
    return Scope(data["year"], data["quarter"], regions, readable, objective, every_region=every_region)


def _figures(scope):
    """Each period is read once (selectors.approved_cells: three queries), its own and each earlier
    one, and both its headline figures and its indicators' actuals are made from that."""
    numbers = Numbers()
    cells = selectors.approved_cells(**scope.filters())
    earlier = [(period.label(), selectors.approved_cells(**period.filters())) for period in scope.earlier()]
    figures = cells.figures()
    indicators = _indicator_progress(scope, cells, earlier, numbers)
    _compare_indicators(indicators, [label for label, _cells in earlier], numbers)
    return {
        "figures": figures,
        "figures_shown": _shown(figures, MONTH_COUNTS, numbers),
        "headline": _headline(figures, [(label, past.figures()) for label, past in earlier], numbers),
        "sex_age": _sex_age(figures, numbers),
        **_months(scope, selectors.approved_breakdown("month", **scope.filters()), numbers),
        "indicators": indicators,
        "matrix": _matrix(indicators, numbers),
        "map": _progress_map(scope.regions, indicators, numbers),
    }


def _pending_review(scope):
    """Submitted activities in the scope's regions, whatever their dates: the reviewers' work now.
    From the tallies: a submitted activity always has its start date, so every one is in a cell."""
    waiting = Tally.objects.filter(status=Activity.Status.SUBMITTED)
    if not scope.every_region:
        waiting = waiting.filter(region__in=scope.readable)
    return waiting.aggregate(n=Sum("activities"))["n"] or 0


HEADLINE = (
    ("activities", gettext_lazy("Approved activities")),
    ("participants", gettext_lazy("People reached")),
    ("families", gettext_lazy("Families reached")),
    ("networks", gettext_lazy("Support networks")),
    ("network_leaders", gettext_lazy("Leaders in the support networks")),
    ("institutions", gettext_lazy("Partner institutions")),
)


def _headline(figures, earlier, numbers):
    """Each headline figure with its changes from the earlier periods' figures, [(label, figures)]."""
    return [
        {
            "key": key,
            "label": label,
            "value": figures[key],
            "shown": numbers.whole(figures[key]),
            "changes": [Change(figures[key], past[key], period, numbers) for period, past in earlier],
        }
        for key, label in HEADLINE
    ]


# --- People by sex and age ---------------------------------------------------------------------

AGE_GROUPS = (("0-11", "0–11"), ("12-17", "12–17"), ("18+", "18+"))


def _sex_age(figures, numbers):
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
    for row in rows:
        row["shown"] = _shown(row, ("female", "male", "total"), numbers)
    return {
        "rows": rows,
        "totals": totals,
        "totals_shown": _shown(totals, ("female", "male", "total"), numbers),
        "female_label": pgettext("sex", "Female"),
        "male_label": pgettext("sex", "Male"),
    }


def _shown(counts, keys, numbers):
    """{key: the count as the page writes it} of the `keys` of `counts`."""
    return {key: numbers.whole(counts[key]) for key in keys}


# --- Activities by month ----------------------------------------------------------------------

MONTH_COUNTS = ("activities", "participants", "families")


def _months(scope, breakdown, numbers):
    found = {row["month"]: row for row in breakdown}
    date_from, date_to = scope.dates()
    months = []
    for number in range(date_from.month, date_to.month + 1):
        first_day = datetime.date(scope.year, number, 1)
        row = found.get(first_day.strftime("%Y-%m"), {})
        counts = {key: row.get(key, 0) for key in MONTH_COUNTS}
        months.append(
            {
                "label": capfirst(date_format(first_day, "YEAR_MONTH_FORMAT")),
                "short": capfirst(date_format(first_day, "M")),
                **counts,
                "shown": _shown(counts, MONTH_COUNTS, numbers),
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


def _indicator_progress(scope, cells, earlier, numbers):
    """One entry per indicator: its regions' rows and their total, each with the bar's width. Each
    row also holds its actual in the earlier periods ("earlier"), from their cells."""
    rows = selectors.indicator_progress(
        year=scope.year,
        quarter=scope.quarter,
        regions=scope.readable,
        objective=scope.objective,
        cells=cells,
        earlier=[past for _label, past in earlier],
    )
    indicators = {}
    for row in rows:
        entry = indicators.setdefault(row["indicator"]["id"], {"indicator": row["indicator"], "regions": []})
        entry["regions"].append({**row, "bar": _bar(row["percent"])})
    for entry in indicators.values():
        entry["total"] = _total(entry["regions"], numbers)
    return list(indicators.values())


def _compare_indicators(indicators, labels, numbers):
    """Adds to each indicator's total its changes from the earlier periods ("changes"), and to
    each region's row its change from the previous period ("change")."""
    for entry in indicators:
        rows, total = entry["regions"], entry["total"]
        total["changes"] = [
            Change(total["actual"], sum(row["earlier"][position] for row in rows), label, numbers)
            for position, label in enumerate(labels)
        ]
        for row in rows:
            row["change"] = Change(row["actual"], row["earlier"][0], labels[0], numbers)


def _matrix(indicators, numbers):
    """[{"region", "cells": [one per indicator, in the columns' order], "cells_html"}, ...]: the
    regions as rows. Every indicator lists the same regions in the same order (by name), so row i
    is each one's i-th."""
    if not indicators:
        return []
    words = {"no_target": f"<small>{html.escape(_('No target'))}</small>", "of": _("%(actual)s of %(target)s")}
    rows = []
    for i, first in enumerate(indicators[0]["regions"]):
        cells = [entry["regions"][i] for entry in indicators]
        markup = mark_safe("".join(_matrix_cell(cell, numbers, words) for cell in cells))
        rows.append({"region": first["region"], "cells": cells, "cells_html": markup})
    return rows


MATRIX_CELL = (
    '<td><span class="cell-figure">{figure}</span>\n<span class="progress-cell"><svg width="60" height="8" '
    'viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect width="100" '
    'height="10" fill="#eeeeee"/><rect width="{bar}" height="10" fill="#7a1f5c"/></svg>\n{percent}</span>\n'
    "{change}</td>"
)


def _matrix_cell(cell, numbers, words):
    """One region's figure of one indicator, its bar and its change, as the template wrote them
    when it included one per cell: the matrix holds some 120 cells, and the includes took a third
    of the page's time. Escaped as Change.html() is, for the same reason."""
    figure = html.escape(numbers.whole(cell["actual"]))
    if cell["target"] is not None:
        # As {% blocktranslate %} writes it: the translation as it is, the numbers escaped.
        figure = words["of"] % {"actual": figure, "target": html.escape(numbers.whole(cell["target"]))}
    percent = words["no_target"] if cell["percent"] is None else f"{html.escape(numbers.tenth(cell['percent']))} %"
    return MATRIX_CELL.format(figure=figure, bar=int(cell["bar"]), percent=percent, change=cell["change"].html())


def _total(rows, numbers):
    """The regions added up, as in the national summary (reports.progress): the targets that are
    set are summed; no region with a target leaves the total without one."""
    actual = sum(row["actual"] for row in rows)
    targets = [row["target"] for row in rows if row["target"] is not None]
    target = sum(targets) if targets else None
    percent = round(100 * actual / target, 1) if target else None
    shown = {
        "actual": numbers.whole(actual),
        "target": None if target is None else numbers.whole(target),
        "percent": None if percent is None else numbers.tenth(percent),
    }
    return {"actual": actual, "target": target, "percent": percent, "bar": _bar(percent), "shown": shown}


def _bar(percent):
    """The filled part of a progress bar, out of 100: a bar never runs past its box."""
    return 0 if percent is None else round(min(percent, 100))


# --- The map --------------------------------------------------------------------------------------

# Progress bins (lower bound, colour), light to dark: the portal's accent at the top.
SHADES = ((0, "#f6e9f1"), (25, "#e2bcd5"), (50, "#c67fae"), (75, "#a04c84"), (100, "#7a1f5c"))
NO_TARGET = "#d9d9d9"


def _progress_map(regions, indicators, numbers):
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
        table.append(
            {
                "region": region,
                "progress": progress,
                "progress_shown": None if progress is None else numbers.tenth(progress),
                "with_target": len(values),
                "colour": _shade(progress),
            }
        )
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
    """The regions with a boundary, each shaded by its progress. Their outlines are drawn once per
    process and boundary (charts.outlines): the regions come with a digest of their boundary
    (_filters_form), which is how an edited boundary is seen at the next load."""
    areas = [
        Area(row["region"].pk, row["region"].boundary_version, row["region"].boundary, row["colour"], _map_label(row))
        for row in table
        if row["region"].boundary
    ]
    return region_map(areas, title=_("Progress against targets by region")) if areas else ""


def _map_label(row):
    if row["progress"] is None:
        return _("%(region)s: no target") % {"region": row["region"].name}
    return _("%(region)s: %(progress)s %%") % {
        "region": row["region"].name,
        "progress": number_format(row["progress"], 1),
    }
