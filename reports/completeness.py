"""Completeness and timeliness: per region and month, what the targets lead staff to expect, what the
region logged, where it stands in the review, and how long reporting and reviewing took. The
ministry's first question, as DHIS2's reporting rates and timeliness answer it.

The rules, said once here and on the page (EXPECTATION_RULE, LOGGED_RULE, TIMING_RULE):

- A month's activities are those whose start date falls in it, in any status: a draft is logged,
  not yet sent. A draft with no start date belongs to no month yet.
- Expected: targets are set per indicator, region and year (quarter 0) or quarter. For each
  indicator counted in activities (one per objective: OE1, OE2 and OE4 in the campaign's reference
  data), a month expects its quarter's target / 3 when the quarter has one, else the year's target
  / 12; the region's expectation is the sum, None when no such target is set. Logged counts every
  objective (the question is whether the region reports at all), so it may pass what is expected.
- Days to submit: from the activity's end date to the day (in Lima) of its latest submission.
  Days to decide: from that submission to the approval or return that followed it, in whole hours
  shown as days; an activity still waiting has none. Medians over the activities of the cell that
  have one.

Four queries whatever the number of regions, months or activities: the regions, the targets, and
two over the tallies (reports.tally), which every write of an activity keeps exact: its statuses
summed by region and month, and the histograms of its timings, from which the medians are exact.
"""

import csv
import datetime
import io
from dataclasses import dataclass
from itertools import groupby

import xlsxwriter
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from activities.models import Activity
from programs.models import Indicator, Target
from regions.models import Region

from .generators import FORMULA_STARTS, XLSX_OPTIONS
from .models import Tally, TimingTally

# The longest range the page, exports and API accept: 15 regions × 24 months is a table a person
# can still read, and the query stays well under a second on a million activities.
MAX_MONTHS = 24
DEFAULT_MONTHS = 6

EXPECTATION_RULE = gettext_lazy(
    "Expected: for each indicator counted in activities, the month's share of its target, that is "
    "the quarter's target divided by 3 when one is set for the quarter, otherwise the year's target "
    "divided by 12; added up over those indicators. “No target” means none is set."
)
LOGGED_RULE = gettext_lazy(
    "Logged: the activities whose start date falls in the month, in any status, drafts included, "
    "for every objective. A draft without a start date is in no month yet."
)
TIMING_RULE = gettext_lazy(
    "Days to submit: from the activity's end date to its latest submission. Days to decide: from that "
    "submission to the approval or return that followed it, counted in whole hours. Medians over the "
    "activities that have one."
)

Status = Activity.Status
Kind = TimingTally.Kind
COUNTS = ("logged", "drafts", "submitted", "approved", "returned")
STATUS_COUNTS = {Status.DRAFT: "drafts", Status.SUBMITTED: "submitted", Status.APPROVED: "approved",
                 Status.RETURNED: "returned"}  # fmt: skip
TIMING_KEYS = {Kind.SUBMIT: "days_to_submit", Kind.DECIDE: "days_to_decide"}


def month_start(day):
    return day.replace(day=1)


def add_months(month, count):
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first, last):
    """The first days of the months from first to last, both included."""
    months = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def default_range(today=None):
    """The last DEFAULT_MONTHS months, this one included."""
    last = month_start(today or timezone.localdate())
    return add_months(last, 1 - DEFAULT_MONTHS), last


@dataclass(frozen=True)
class Table:
    months: list  # first days, oldest first
    rows: list  # one dict per region and month: by region name, then month
    latest: datetime.date | None  # the range's last month that has begun, whose silent regions stand out
    silent: list  # region dicts with nothing logged in `latest` (and launched by then)

    @property
    def latest_is_current(self):
        return self.latest == month_start(timezone.localdate())


def completeness(*, first, last, regions=None):
    """The table for the months from `first` to `last` (any day in them) and `regions` (a queryset,
    ids or objects; None for every region):

    Table(rows=[{"region": {"id", "name", "slug"}, "month": date (first day), "expected": float or
    None, "logged", "drafts", "submitted", "approved", "returned": int, "logged_percent": int or None,
    "days_to_submit", "days_to_decide": float or None, "launched": bool, "nothing_logged": bool}, ...])

    `nothing_logged` marks a month, up to this one, in which a region launched by then logged nothing.
    """
    months = months_between(first, last)
    region_list = list(_regions(regions))
    # Every region: no filter, rather than a list of all their ids.
    cells = _cells(months, None if regions is None else [region.pk for region in region_list])
    expected = _expected(months, region_list)
    current = month_start(timezone.localdate())
    rows = [_row(region, month, cells, expected, current) for region in region_list for month in months]
    # The silent regions of the range's last month that has begun: a month to come is not late yet.
    latest = max((month for month in months if month <= current), default=None)
    silent = [row["region"] for row in rows if row["month"] == latest and row["nothing_logged"]]
    return Table(months=months, rows=rows, latest=latest, silent=silent)


def _regions(regions):
    found = Region.objects.order_by("name").only("id", "name", "slug", "launched_on")
    if regions is None:
        return found
    if isinstance(regions, QuerySet):
        return found.filter(pk__in=regions.order_by().values("pk"))
    return found.filter(pk__in=[getattr(region, "pk", region) for region in regions])


def _row(region, month, cells, expected, current):
    cell = cells.get((region.pk, month), {})
    counts = {key: cell.get(key, 0) for key in COUNTS}
    # A region launched in the middle of a month is expected to report from that month on.
    launched = region.launched_on is None or month_start(region.launched_on) <= month
    wanted = expected.get((region.pk, month)) if launched else None
    return {
        "region": {"id": region.pk, "name": region.name, "slug": region.slug},
        "month": month,
        "expected": wanted,
        **counts,
        "logged_percent": round(100 * counts["logged"] / wanted) if wanted else None,
        "days_to_submit": cell.get("days_to_submit"),
        "days_to_decide": cell.get("days_to_decide"),
        "launched": launched,
        # A month still to come is not late yet.
        "nothing_logged": launched and month <= current and counts["logged"] == 0,
    }


# --- Expected, from the targets ---------------------------------------------------------------------


def _expected(months, regions):
    """{(region_id, month): float}, by the rule in EXPECTATION_RULE; one query."""
    if not months or not regions:
        return {}
    targets = Target.objects.filter(
        indicator__computation=Indicator.Computation.ACTIVITIES,
        region__in=[region.pk for region in regions],
        year__in={month.year for month in months},
    ).values_list("indicator_id", "region_id", "year", "quarter", "value")
    by_period = {(indicator, region, year, quarter): value for indicator, region, year, quarter, value in targets}
    pairs = {(indicator, region) for indicator, region, _year, _quarter in by_period}
    expected = {}
    for month in months:
        quarter = (month.month - 1) // 3 + 1
        for indicator, region in pairs:
            share = _monthly_share(by_period, indicator, region, month.year, quarter)
            if share is not None:
                key = (region, month)
                expected[key] = expected.get(key, 0) + share
    return {key: round(value, 1) for key, value in expected.items()}


def _monthly_share(by_period, indicator, region, year, quarter):
    quarterly = by_period.get((indicator, region, year, quarter))
    if quarterly is not None:
        return quarterly / 3
    yearly = by_period.get((indicator, region, year, Target.WHOLE_YEAR))
    return None if yearly is None else yearly / 12


# --- Logged, status and timing, from the tallies ---------------------------------------------------


def _cells(months, region_ids):
    """{(region_id, month): {"logged", "drafts", ..., "days_to_submit", "days_to_decide"}}: the
    status counts from the Tally, the medians from the TimingTally's histograms (reports.tally)."""
    if not months or region_ids == []:
        return {}
    within = {"month__gte": months[0], "month__lt": add_months(months[-1], 1)}
    if region_ids is not None:
        within["region_id__in"] = region_ids
    cells = {}
    statuses = Tally.objects.filter(**within).values_list("region_id", "month", "status").order_by()
    for region_id, month, status, n in statuses.annotate(n=Sum("activities")):
        cell = cells.setdefault((region_id, month), {key: 0 for key in COUNTS})
        cell["logged"] += n
        cell[STATUS_COUNTS[status]] += n
    timings = TimingTally.objects.filter(**within, activities__gt=0).order_by("region_id", "month", "kind", "value")
    histogram = timings.values_list("region_id", "month", "kind", "value", "activities")
    for (region_id, month, kind), rows in groupby(histogram, key=lambda row: row[:3]):
        middle = median_of_counts([(value, n) for *_key, value, n in rows])
        cell = cells.setdefault((region_id, month), {key: 0 for key in COUNTS})
        # Hours to decide are shown as days, like days to submit.
        cell[TIMING_KEYS[kind]] = _one_decimal(middle if kind == Kind.SUBMIT else middle / 24)
    return cells


def median_of_counts(histogram):
    """The median of the values a histogram [(value, how many), ...] (by value) counts: the middle
    one, or the mean of the two middle ones, as statistics.median and percentile_cont(0.5) give."""
    total = sum(n for _value, n in histogram)
    wanted, found, seen = [(total - 1) // 2, total // 2], [], 0
    for value, n in histogram:
        seen += n
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return sum(found) / 2


def _one_decimal(value):
    return None if value is None else round(float(value), 1)


# --- The same table as a file ------------------------------------------------------------------------


def export_header():
    return [
        _("Region"),
        _("Month"),
        _("Expected"),
        _("Logged"),
        _("Logged, % of expected"),
        _("Drafts"),
        _("Awaiting review"),
        _("Approved"),
        _("Returned"),
        _("Median days to submit"),
        _("Median days to decide"),
        _("Nothing logged"),
    ]


def export_values(row):
    """A row's cells: numbers stay numbers, an empty figure is an empty cell."""
    flag = _("Yes") if row["nothing_logged"] else ""
    if not row["launched"]:
        flag = _("Not launched yet")
    return [
        row["region"]["name"],
        row["month"].strftime("%Y-%m"),
        row["expected"],
        row["logged"],
        row["logged_percent"],
        row["drafts"],
        row["submitted"],
        row["approved"],
        row["returned"],
        row["days_to_submit"],
        row["days_to_decide"],
        flag,
    ]


def _spreadsheet_safe(value):
    # The region's name is typed by staff in the admin: it must never run as a formula (CSV injection).
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def write_csv(table):
    """UTF-8 with a byte-order mark, so that Excel reads the accents; text cells formula-safe."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(export_header())
    for row in table.rows:
        writer.writerow([_spreadsheet_safe(value) for value in export_values(row)])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def write_xlsx(table):
    """One sheet, typed cells (a name starting with "=" stays text), the header row frozen."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {**XLSX_OPTIONS, "constant_memory": False, "in_memory": True})
    sheet = workbook.add_worksheet(_("Completeness")[:31])
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    sheet.write_row(0, 0, export_header(), bold)
    for line, row in enumerate(table.rows, start=1):
        for column, value in enumerate(export_values(row)):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(line, column, value)
            else:
                sheet.write_number(line, column, value)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 10, 12)
    sheet.set_column(11, 11, 16)
    sheet.freeze_panes(1, 1)
    workbook.close()
    return output.getvalue()


def export_filename(table, extension):
    first, last = table.months[0], table.months[-1]
    what = pgettext("file name", "completeness")
    return f"{what}-{first:%Y-%m}-{last:%Y-%m}.{extension}"
