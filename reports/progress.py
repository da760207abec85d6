"""The progress reports: a region's (regional_progress) or the whole campaign's (national_summary),
as a printable PDF or a workbook.

Both formats are drawn from one content dict built section by section (`collect`), so the PDF
and the workbook always hold the same figures. These reports are internal (staff and the
region's coordinators): counts are exact, but no person's name and no activity's title,
place or description ever enters them, only counts and the names of regions, indicators,
partner institutions and support networks.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

import xlsxwriter
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from activities.models import Institution, SupportNetwork
from programs.models import Objective, Service
from regions.models import Region

from . import selectors
from .charts import bar_chart
from .generators import register
from .models import Report

# --- The period ---------------------------------------------------------------------------

MONTH = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    """The days a report covers, by the activities' start date."""

    date_from: datetime.date
    date_to: datetime.date

    @property
    def year(self):
        """The year of the targets the indicators are held against: the period's last."""
        return self.date_to.year

    @property
    def until(self):
        """The last day the indicators count (from 1 January), when the period ends before the year does."""
        return None if (self.date_to.month, self.date_to.day) == (12, 31) else self.date_to

    @property
    def label(self):
        first, last = self.date_from, self.date_to
        if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
            return str(first.year)
        if first.day == 1 and (first.year, first.month) == (last.year, last.month) and last == _month_end(first):
            return capfirst(date_format(first, "YEAR_MONTH_FORMAT"))
        return f"{date_format(first, 'DATE_FORMAT')} – {date_format(last, 'DATE_FORMAT')}"

    def months(self):
        """The first day of each month in the period, oldest first."""
        months, day = [], self.date_from.replace(day=1)
        while day <= self.date_to:
            months.append(day)
            day = _month_end(day) + datetime.timedelta(days=1)
        return months


def _month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def report_period(parameters, today=None):
    """The period of a progress report's parameters: `date_from` and/or `date_to` (ISO dates, as
    services.report_request stores them and the monthly schedule sends them), or `month`
    ("YYYY-MM"), or `year`; without any, the current year. Raises ValueError on anything else."""
    if parameters.get("date_from") or parameters.get("date_to"):
        return _dates_period(parameters.get("date_from"), parameters.get("date_to"))
    if parameters.get("month"):
        match = MONTH.match(str(parameters["month"]))
        if not match:
            raise ValueError(f"Unreadable month {parameters['month']!r}; expected YYYY-MM.")
        first = datetime.date(int(match["year"]), int(match["month"]), 1)
        return Period(first, _month_end(first))
    year = int(parameters.get("year") or (today or timezone.localdate()).year)
    if not 2000 <= year <= 2100:
        raise ValueError(f"Implausible year {year!r}.")
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def _dates_period(date_from, date_to):
    """From one date to the other; a missing end is its year's first or last day."""
    first = datetime.date.fromisoformat(str(date_from)) if date_from else None
    last = datetime.date.fromisoformat(str(date_to)) if date_to else None
    first = first or last.replace(month=1, day=1)
    last = last or first.replace(month=12, day=31)
    if first > last:
        raise ValueError(f"The period ends ({last}) before it starts ({first}).")
    return Period(first, last)


# --- The content, section by section ------------------------------------------------------


def collect(report, progress):
    """The report's content; calls progress(done, total) after each section, leaving the last
    step (writing the file) to the caller. Returns (content, total)."""
    parameters = report.parameters or {}
    period = report_period(parameters)
    national = report.region_id is None
    content = {
        "title": Report.Kind(report.kind).label,
        "national": national,
        "region_name": _("National (all regions)") if national else report.region.name,
        "period": period,
        "period_label": period.label,
        "filters_label": _filters_label(parameters),
        "service_filtered": bool(parameters.get("service")),
        "generated_at": timezone.localtime(),
        "language": report.language,
    }
    steps = [_figures, _by_month, _indicators, _by_region if national else _partners]
    total = len(steps) + 1
    for done, step in enumerate(steps, start=1):
        content.update(step(report, content))
        progress(done, total)
    return content, total


def _filters(report, content):
    """The selectors' filters: the region, the period, and the objective or service if one was chosen."""
    period, parameters = content["period"], report.parameters or {}
    return {
        "region": report.region_id,
        "objective": parameters.get("objective"),
        "service": parameters.get("service"),
        "date_from": period.date_from,
        "date_to": period.date_to,
    }


def _filters_label(parameters):
    """The objective and service the report is narrowed to, in words; empty when it covers all."""
    parts = []
    if parameters.get("objective"):
        objective = Objective.objects.filter(pk=parameters["objective"]).first()
        parts.append(_("Objective: %(code)s") % {"code": objective.code if objective else "?"})
    if parameters.get("service"):
        service = Service.objects.filter(pk=parameters["service"]).first()
        parts.append(_("Service: %(name)s") % {"name": service.localized("name") if service else "?"})
    return " · ".join(parts)


def _figures(report, content):
    figures = selectors.approved_figures(**_filters(report, content))
    headline = [
        (_("Approved activities"), figures["activities"]),
        (_("Participants"), figures["participants"]),
        (_("Families reached"), figures["families"]),
        (_("Support networks"), figures["networks"]),
        (_("Leaders in the support networks"), figures["network_leaders"]),
        (_("Partner institutions"), figures["institutions"]),
    ]
    return {"figures": figures, "headline": headline, "sex_age": _sex_age(figures)}


def _sex_age(figures):
    sexes = {"female": pgettext("sex", "Female"), "male": pgettext("sex", "Male")}
    return [{**row, "sex_label": sexes[row["sex"]]} for row in selectors.sex_age_rows(figures)]


def _by_month(report, content):
    period = content["period"]
    found = {row["month"]: row for row in selectors.approved_breakdown("month", **_filters(report, content))}
    months = []
    # Bars name the month alone within one year, and the month and year across two.
    short = "M" if period.date_from.year == period.date_to.year else "M y"
    for first_day in period.months():
        row = found.get(first_day.strftime("%Y-%m"), {})
        months.append(
            {
                "month": first_day.strftime("%Y-%m"),
                "label": capfirst(date_format(first_day, "YEAR_MONTH_FORMAT")),
                "short": date_format(first_day, short),
                "activities": row.get("activities", 0),
                "participants": row.get("participants", 0),
                "families": row.get("families", 0),
            }
        )
    description = _("By the month the activities started, %(period)s.") % {"period": period.label}
    charts = [
        _chart_figure(title, [(m["short"], m[key]) for m in months], description, f"chart-month-{key}")
        for key, title in (
            ("activities", _("Approved activities by month")),
            ("participants", _("Participants by month")),
        )
    ]
    return {"months": months, "month_charts": charts}


def _indicators(report, content):
    """Indicators count from 1 January to the period's end, against the year's targets, so that a
    monthly report says how far the year has come. They belong to an objective, so a service
    filter does not narrow them; an objective filter keeps that objective's."""
    period = content["period"]
    rows = selectors.indicator_progress(
        year=period.year,
        regions=None if report.region_id is None else [report.region_id],
        objective=(report.parameters or {}).get("objective"),
        until=period.until,
    )
    if report.region_id is None:
        return {"indicators": _national_indicators(rows), "indicator_cells": rows}
    return {"indicators": rows, "indicator_cells": rows}


def _national_indicators(rows):
    """One row per indicator: the regions' values and targets added up. Each network and
    institution belongs to one region, so the sums count none twice."""
    merged = {}
    for row in rows:
        total = merged.setdefault(row["indicator"]["id"], {"indicator": row["indicator"], "actual": 0, "target": None})
        total["actual"] += row["actual"]
        if row["target"] is not None:
            total["target"] = (total["target"] or 0) + row["target"]
    for total in merged.values():
        target = total["target"]
        total["percent"] = round(100 * total["actual"] / target, 1) if target else None
    return list(merged.values())


def _partners(report, content):
    institutions = Institution.objects.filter(region=report.region_id).order_by("name")
    networks = SupportNetwork.objects.filter(region=report.region_id).order_by("name")
    return {
        "institutions": [
            {"name": i.name, "sector": i.get_sector_display(), "since": i.actuemos_ya_since} for i in institutions
        ],
        "networks": [{"name": n.name, "leaders": n.leaders, "formed_on": n.formed_on} for n in networks],
    }


def _by_region(report, content):
    """Every region side by side, those without approved activities too."""
    found = {row["region"]["id"]: row for row in selectors.approved_breakdown("region", **_filters(report, content))}
    institutions = dict(Institution.objects.values_list("region").annotate(n=Count("pk")).order_by())
    networks = dict(SupportNetwork.objects.values_list("region").annotate(n=Count("pk")).order_by())
    regions = [
        {
            "name": region.name,
            "activities": found.get(region.pk, {}).get("activities", 0),
            "participants": found.get(region.pk, {}).get("participants", 0),
            "families": found.get(region.pk, {}).get("families", 0),
            "institutions": institutions.get(region.pk, 0),
            "networks": networks.get(region.pk, 0),
        }
        for region in Region.objects.order_by("name")
    ]
    chart = _chart_figure(
        _("Participants by region"),
        [(r["name"], r["participants"]) for r in regions],
        _("Participants in approved activities, %(period)s.") % {"period": content["period_label"]},
        "chart-region-participants",
    )
    return {"regions": regions, "region_chart": chart}


def _chart_figure(title, bars, description, chart_id):
    """A chart and the title printed above it (an SVG's own <title> is for screen readers only)."""
    return {"title": title, "svg": bar_chart(bars, title=title, description=description, chart_id=chart_id, height=200)}


# --- The generators ----------------------------------------------------------------------


@register(Report.Kind.REGIONAL_PROGRESS, Report.Format.PDF)
@register(Report.Kind.NATIONAL_SUMMARY, Report.Format.PDF)
def progress_pdf(report, output, progress):
    with translation.override(report.language):
        content, total = collect(report, progress)
        html = render_to_string("reports/progress.html", content)
    write_pdf(html, output)
    progress(total, total)
    return content["figures"]["activities"]


@register(Report.Kind.REGIONAL_PROGRESS, Report.Format.XLSX)
@register(Report.Kind.NATIONAL_SUMMARY, Report.Format.XLSX)
def progress_xlsx(report, output, progress):
    with translation.override(report.language):
        content, total = collect(report, progress)
        write_workbook(content, output)
    progress(total, total)
    return content["figures"]["activities"]


# --- PDF -----------------------------------------------------------------------------------


def write_pdf(html, output):
    """Prints the page with WeasyPrint, offline: the template holds its styles and charts,
    and any other URL (a stray link to a stylesheet, an image) is refused, never fetched."""
    # Imported here: WeasyPrint takes a second to load, and only the worker ever prints.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    # PDF/UA-1: tagged (headings, tables, lists, reading order), titled and with its language, so
    # that a screen reader reads the report as it reads the page.
    HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(output, pdf_variant="pdf/ua-1")


# --- XLSX ----------------------------------------------------------------------------------

# Characters Excel refuses in a sheet's name, and its length limit.
SHEET_NAME_JUNK = re.compile(r"[\\[\]:*?/]")
SHEET_NAME_MAX = 31


def write_workbook(content, output):
    """One sheet per section, with a native chart beside the monthly (and regional) figures."""
    # In memory: a progress report is a few hundred cells, and the output may be any file object.
    # Names typed in the admin (institutions, networks) stay text: never a formula or a link.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(output, options)
    styles = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "head": workbook.add_format({"bold": True, "bg_color": "#F5EEF3", "border": 1}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "percent": workbook.add_format({"num_format": "0.0"}),
        # Excel writes the grouping of the reader's own language: "43 386" in Lima, "43,386" elsewhere.
        "count": workbook.add_format({"num_format": "#,##0"}),
    }
    _sheet_figures(workbook, styles, content)
    _sheet_sex_age(workbook, styles, content)
    _sheet_indicators(workbook, styles, content)
    _sheet_months(workbook, styles, content)
    if content["national"]:
        _sheet_regions(workbook, styles, content)
        _sheet_indicator_cells(workbook, styles, content)
    else:
        _sheet_partners(workbook, styles, content)
    workbook.close()


def _sheet(workbook, name):
    return workbook.add_worksheet(SHEET_NAME_JUNK.sub(" ", str(name))[:SHEET_NAME_MAX])


def _table(sheet, styles, first_row, headings, rows):
    """Writes a heading row and the rows under it; returns the next free row."""
    sheet.write_row(first_row, 0, [str(h) for h in headings], styles["head"])
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write_datetime(first_row + offset, column, value, styles["date"])
            elif isinstance(value, float):
                sheet.write_number(first_row + offset, column, value, styles["percent"])
            elif isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(first_row + offset, column, value, styles["count"])
            elif value is None:
                sheet.write_blank(first_row + offset, column, None)
            else:
                sheet.write(first_row + offset, column, value)
    return first_row + len(rows) + 2


def _sheet_figures(workbook, styles, content):
    sheet = _sheet(workbook, _("Figures"))
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 24)
    sheet.write(0, 0, str(content["title"]), styles["title"])
    facts = [
        (_("Region"), content["region_name"]),
        (_("Period"), content["period_label"]),
        *([(_("Filters"), content["filters_label"])] if content["filters_label"] else []),
        (_("Generated on"), content["generated_at"].strftime("%Y-%m-%d %H:%M")),
    ]
    for row, (label, value) in enumerate(facts, start=1):
        sheet.write(row, 0, str(label), styles["head"])
        sheet.write(row, 1, str(value))
    _table(sheet, styles, len(facts) + 2, (_("Figure"), _("Total")), content["headline"])


def _sheet_sex_age(workbook, styles, content):
    sheet = _sheet(workbook, _("Sex and age"))
    sheet.set_column(0, 0, 30)
    rows = [(row["label"], row["sex_label"], row["age_group"], row["count"]) for row in content["sex_age"]]
    _table(sheet, styles, 0, (_("Group"), _("Sex"), _("Age"), _("Participants")), rows)


def _sheet_indicators(workbook, styles, content):
    sheet = _sheet(workbook, _("Indicators"))
    sheet.set_column(0, 0, 48)
    rows = [
        (r["indicator"]["name"], r["indicator"]["unit"], r["actual"], r["target"], r["percent"])
        for r in content["indicators"]
    ]
    _table(sheet, styles, 0, (_("Indicator"), _("Unit"), _("Achieved"), _("Target"), _("% of target")), rows)


def _sheet_indicator_cells(workbook, styles, content):
    sheet = _sheet(workbook, _("Indicators by region"))
    sheet.set_column(0, 1, 36)
    rows = [
        (r["indicator"]["name"], r["region"]["name"], r["actual"], r["target"], r["percent"])
        for r in content["indicator_cells"]
    ]
    _table(sheet, styles, 0, (_("Indicator"), _("Region"), _("Achieved"), _("Target"), _("% of target")), rows)


def _sheet_months(workbook, styles, content):
    name = _("By month")
    sheet = _sheet(workbook, name)
    sheet.set_column(0, 0, 20)
    rows = [(m["label"], m["activities"], m["participants"], m["families"]) for m in content["months"]]
    _table(sheet, styles, 0, (_("Month"), _("Activities"), _("Participants"), _("Families reached")), rows)
    _chart(workbook, sheet, _("Approved activities and participants by month"), len(rows), (1, 2), "F2")


def _sheet_regions(workbook, styles, content):
    sheet = _sheet(workbook, _("By region"))
    sheet.set_column(0, 0, 24)
    headings = (
        _("Region"),
        _("Activities"),
        _("Participants"),
        _("Families reached"),
        _("Partner institutions"),
        _("Support networks"),
    )
    rows = [
        (r["name"], r["activities"], r["participants"], r["families"], r["institutions"], r["networks"])
        for r in content["regions"]
    ]
    _table(sheet, styles, 0, headings, rows)
    _chart(workbook, sheet, _("Participants by region"), len(rows), (2,), "H2")


def _chart(workbook, sheet, title, count, columns, anchor):
    """A native column chart of `columns` of the table at the sheet's top left, by its first column."""
    if not count:
        return
    chart = workbook.add_chart({"type": "column"})
    for column in columns:
        chart.add_series(
            {
                "name": [sheet.name, 0, column],
                "categories": [sheet.name, 1, 0, count, 0],
                "values": [sheet.name, 1, column, count, column],
            }
        )
    chart.set_title({"name": str(title)})
    chart.set_size({"width": 640, "height": 320})
    sheet.insert_chart(anchor, chart)


def _sheet_partners(workbook, styles, content):
    sheet = _sheet(workbook, _("Partners"))
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 2, 20)
    institutions = [(i["name"], i["sector"], i["since"]) for i in content["institutions"]]
    next_row = _table(
        sheet, styles, 0, (_("Partner institution"), _("Sector"), _("Implements ¡Actuemos Ya! since")), institutions
    )
    networks = [(n["name"], n["leaders"], n["formed_on"]) for n in content["networks"]]
    _table(sheet, styles, next_row, (_("Support network"), _("Leaders"), _("Formed on")), networks)
