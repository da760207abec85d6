"""Report generators: one function per (kind, format), found through `GENERATORS`.

A generator has the signature `generate(report, output, progress) -> rows`:
- `report` is a Report (saved, or unsaved for the operators' command); its filters are
  `report.region` and `report.parameters` as `services.report_request` normalised them;
- `output` is a binary file the runner opened; the generator writes the whole file into it
  and does not close it;
- `progress(done, total)` tells the runner how far it is; call it as often as is convenient,
  the runner writes at most one small UPDATE every second or so;
- it returns the number of data rows it wrote.
The runner calls it under `translation.override(report.language)`, so gettext speaks the
report's language.

Exports are internal (staff, and coordinators for their own regions) and so hold every status
and exact coordinates, but never a person: no user names or e-mails, and no descriptions.
"""

import csv
import datetime
import io
import tempfile
from itertools import islice

import xlsxwriter
from django.contrib.postgres.aggregates import StringAgg
from django.db import connection, transaction
from django.db.models import Case, CharField, F, Max, Min, Value, When
from django.db.models.functions import Cast, Concat, Left, NullIf
from django.db.models.lookups import In
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from activities.models import PARTICIPANT_FIELDS, Activity

from .models import Report

__all__ = ["GENERATORS", "activity_filters", "generator_for", "register", "report_activities", "selector_filters"]

GENERATORS = {}

# Rows fetched, and partner institutions looked up, per round trip: large enough that the
# per-query cost vanishes on a million rows, small enough that memory stays flat.
CHUNK_SIZE = 5_000
# Ids per COPY on PostgreSQL: about a second of work on a million activities, so that the progress
# moves, while the cost of each statement stays a few per cent of the export.
COPY_IDS = 100_000
# Excel's limit is 1,048,576 rows a sheet, header included; a longer export continues on another sheet.
XLSX_MAX_ROWS = 1_048_575
XLSX_OPTIONS = {
    "constant_memory": True,
    "default_date_format": "yyyy-mm-dd",
    # Cells are typed: a title that starts with "=" stays text, and no text becomes a link.
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
# A cell that starts with one of these is run as a formula by spreadsheet programs (CSV injection):
# a title typed in the panel must never become a link or a command on a reviewer's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def register(kind, format):
    """Decorator: `@register("regional_progress", "pdf")` makes the function that kind's generator."""
    if format not in Report.FORMATS.get(kind, ()):
        raise ValueError(f"{kind!r} reports are not made in {format!r}.")

    def decorate(function):
        GENERATORS[(kind, format)] = function
        return function

    return decorate


def generator_for(kind, format):
    """The registered generator; LookupError when none is registered (yet)."""
    try:
        return GENERATORS[(kind, format)]
    except KeyError:
        raise LookupError(f"No generator is registered for {kind!r} in {format!r}.") from None


# --- Filters ---------------------------------------------------------------------------------


def selector_filters(report):
    """The report's filters as `reports.selectors` takes them: region, objective and service
    ids and date_from, date_to dates, each None when not set. Status is left out: the
    selectors count approved activities only."""
    parameters = report.parameters or {}
    return {
        "region": report.region_id,
        "objective": parameters.get("objective"),
        "service": parameters.get("service"),
        "date_from": _date(parameters.get("date_from")),
        "date_to": _date(parameters.get("date_to")),
    }


def activity_filters(report):
    """The same filters as keyword arguments of `Activity.objects.filter`; dates are start dates."""
    filters = selector_filters(report)
    lookups = {
        "region_id": filters["region"],
        "objective_id": filters["objective"],
        "service_id": filters["service"],
        "start_date__gte": filters["date_from"],
        "start_date__lte": filters["date_to"],
        "status": (report.parameters or {}).get("status"),
    }
    return {lookup: value for lookup, value in lookups.items() if value is not None}


def report_activities(report):
    """Every activity the export covers, in any status the filters allow.

    Through `visible_to(requested_by)`, so a coordinator's export never reaches past their
    regions whatever its filters say. A report without a requester is the operators' command
    or a schedule, which are national."""
    activities = Activity.objects.all()
    if report.requested_by_id is not None:
        activities = Activity.objects.visible_to(report.requested_by)
    return activities.filter(**activity_filters(report))


def _date(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


# --- The activities export -------------------------------------------------------------------

# The columns, in order: a model field whose verbose name is the header, or a header of its own.
ACTIVITY_COLUMNS = (
    "id",
    "region",
    "objective",
    "service",
    "title",
    "start_date",
    "end_date",
    "modality",
    "place_name",
    "district",
    "latitude",
    "longitude",
    *PARTICIPANT_FIELDS,
    "participants",
    "families",
    "status",
    "institutions",
    "support_network",
)
DATE_COLUMNS = (ACTIVITY_COLUMNS.index("start_date"), ACTIVITY_COLUMNS.index("end_date"))
# Text typed in the panel, which a spreadsheet could take for a formula.
TYPED_TEXT = ("title", "place_name", "district", "support_network")
TEXT_COLUMNS = tuple(ACTIVITY_COLUMNS.index(name) for name in (*TYPED_TEXT, "institutions"))
# Dates and numbers, which CSV writes as text.
TYPED_COLUMNS = ("start_date", "end_date", "latitude", "longitude", *PARTICIPANT_FIELDS, "participants", "families")


def activity_headers():
    """The headers in the active language: the fields' own verbose names, so they read as in the panel."""
    headers = []
    for name in ACTIVITY_COLUMNS:
        if name == "participants":
            label = _("participants")
        elif name == "id":
            label = Activity._meta.pk.verbose_name
        else:
            label = Activity._meta.get_field(name).verbose_name
        headers.append(capfirst(str(label)))
    return headers


def _row_values(*, as_text, institutions=None):
    """The values_list expressions in column order; the institutions' only when an expression for
    them is given (otherwise they are looked up per chunk).

    Labels, the participants total and the service's name in the report's language are worked
    out by the database, so that a row reaches Python ready to write. For CSV (`as_text`), the
    database also writes numbers and dates as text, as its own COPY would, blank text as nothing,
    and text typed in the panel formula-safe."""
    # A service's name is a proper name, in Spanish in every language (programs.models.ProperlyNamed).
    service = F("service__name")
    values = {
        "region": F("region__name"),
        "objective": F("objective__code"),
        "service": service,
        "modality": _labels("modality", Activity.Modality),
        "participants": sum((F(field) for field in PARTICIPANT_FIELDS[1:]), F(PARTICIPANT_FIELDS[0])),
        "status": _labels("status", Activity.Status),
        "institutions": institutions,
        "support_network": F("support_network__name"),
    }
    if as_text:
        for name in TYPED_COLUMNS:
            values[name] = Cast(values.get(name, F(name)), output_field=CharField())
        for name in TYPED_TEXT:
            values[name] = _formula_safe(NullIf(values.get(name, F(name)), Value("")))
    columns = [values.get(name, F(name)) for name in ACTIVITY_COLUMNS]
    return [column for column in columns if column is not None]


def _labels(field, choices):
    return Case(*(When(**{field: value}, then=Value(str(label))) for value, label in choices.choices), default=field)


def _formula_safe(text):
    # A leading apostrophe makes a spreadsheet show the text as it was typed, never run it.
    first = Left(text, 1)
    return Case(When(In(first, FORMULA_STARTS), then=Concat(Value("'"), text)), default=text)


def activity_chunks(report, *, as_text=False):
    """The export's rows, CHUNK_SIZE at a time, each a list in ACTIVITY_COLUMNS order.

    One streaming query for the activities (ordered by id; a server-side cursor on PostgreSQL)
    and one query per chunk for the partner institutions of its activities."""
    activities = report_activities(report).order_by("id")
    rows = activities.values_list(*_row_values(as_text=as_text)).iterator(chunk_size=CHUNK_SIZE)
    at = ACTIVITY_COLUMNS.index("institutions")
    while chunk := list(islice(rows, CHUNK_SIZE)):
        names = _institution_names(activities, chunk[0][0], chunk[-1][0], as_text=as_text)
        yield [[*row[:at], names.get(row[0], ""), *row[at:]] for row in chunk]


def _institution_names(activities, first, last, *, as_text):
    """{activity id: "Name one; Name two"} for the exported activities with ids from first to last.

    An id range, not a list of 5,000 ids: PostgreSQL reads it with one index range scan instead of
    5,000 lookups (0.4 ms against 58 ms a chunk on a million activities)."""
    ids = {"activity_id__gte": first, "activity_id__lte": last}
    links = Activity.institutions.through.objects.filter(
        **ids, activity__in=activities.filter(id__gte=first, id__lte=last).values("id")
    )
    names = {}
    for activity_id, name in links.order_by("activity_id", "institution__name").values_list(
        "activity_id", "institution__name"
    ):
        names.setdefault(activity_id, []).append(_escape(name) if as_text else name)
    return {activity_id: "; ".join(each) for activity_id, each in names.items()}


def _escape(text):
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _count(report):
    return report_activities(report).count()


@register(Report.Kind.ACTIVITIES, Report.Format.CSV)
def activities_csv(report, output, progress):
    """One row per activity, UTF-8 with a byte-order mark so that Excel reads the accents.

    On PostgreSQL the database writes the rows itself (COPY), within twice the time of its own
    COPY of the same columns (bench/export_csv.sh times both); elsewhere Python writes the same
    bytes from the same values."""
    total = _count(report)
    _write_csv(output, [activity_headers()], encoding="utf-8-sig")
    write_rows = _copy_csv_rows if connection.vendor == "postgresql" else _write_csv_rows
    return write_rows(report, output, lambda done: progress(done, total))


def _write_csv(output, rows, encoding="utf-8"):
    # Lines end in "\n", as COPY ends them, so that both ways write the same file.
    text = io.TextIOWrapper(output, encoding=encoding, newline="")
    csv.writer(text, lineterminator="\n").writerows(rows)
    text.flush()
    # The runner owns the file: let go of it without closing it.
    text.detach()


def _write_csv_rows(report, output, progress):
    done = 0
    for chunk in activity_chunks(report, as_text=True):
        _write_csv(output, chunk)
        done += len(chunk)
        progress(done)
    return done


def _copy_csv_rows(report, output, progress):
    """PostgreSQL writes the rows itself: one COPY per range of COPY_IDS ids, because a COPY holds
    the connection until it ends and the progress UPDATE needs it between two ranges."""
    activities = report_activities(report)
    ids = activities.aggregate(first=Min("id"), last=Max("id"))
    done = 0
    for start in range(ids["first"] or 0, (ids["last"] or -1) + 1, COPY_IDS):
        done += _copy(*_csv_range_sql(activities, start, start + COPY_IDS), output)
        progress(done)
    return done


def _csv_range_sql(activities, start, stop):
    """(sql, params) of the CSV rows of the exported activities with ids from start to stop (excluded).

    The partner institutions of the range are aggregated once (GROUP BY) and joined by id, both
    sides read in id order (a merge join): a subquery per activity cost 12 µs a row, two thirds
    of the export on a million activities. Django cannot join a grouped subquery, so the two
    compiled queries are joined here."""
    quote = connection.ops.quote_name
    values = _row_values(as_text=True)
    names = [f"column_{number}" for number in range(len(values))]
    chosen = activities.filter(id__gte=start, id__lt=stop).order_by()
    rows_sql, rows_params = chosen.values(**dict(zip(names, values, strict=True))).query.sql_with_params()
    partners_sql, partners_params = _partner_names(chosen.values("id"), start, stop).query.sql_with_params()
    columns = [f"activity.{quote(name)}" for name in names]
    columns.insert(ACTIVITY_COLUMNS.index("institutions"), f"partners.{quote('names')}")
    activity_id = f"activity.{quote(names[0])}"
    sql = (
        f"SELECT {', '.join(columns)} FROM ({rows_sql}) activity"
        f" LEFT JOIN ({partners_sql}) partners ON partners.{quote('activity_id')} = {activity_id}"
        f" ORDER BY {activity_id}"
    )
    return sql, (*rows_params, *partners_params)


def _partner_names(chosen_ids, start, stop):
    """Each chosen activity's partner institutions in one cell, as `_institution_names` joins them.

    The id range is repeated because PostgreSQL does not carry a range through a join; the
    chosen ids keep a region's export from aggregating every region's partners."""
    links = Activity.institutions.through.objects.filter(
        activity_id__gte=start, activity_id__lt=stop, activity_id__in=chosen_ids
    )
    names = StringAgg(_formula_safe(F("institution__name")), delimiter="; ", order_by="institution__name")
    return links.order_by().values("activity_id").annotate(names=names)


def _copy(sql, params, output):
    """Writes the rows of the query as CSV through COPY; returns how many."""
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Compiling this query to machine code (JIT) takes PostgreSQL about 0.3 s, once per range:
        # a third of the export on a million activities, for no gain on 100,000 rows.
        cursor.execute("SET LOCAL jit = off")
        # Parallel workers would each aggregate the range's partner institutions again (that side
        # of the join is not shared between them): on a worker's two cores, slower, not faster.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            # COPY sends one row a message.
            for line in copy:
                output.write(line)
                rows += 1
    return rows


@register(Report.Kind.ACTIVITIES, Report.Format.XLSX)
def activities_xlsx(report, output, progress):
    """One row per activity in a workbook written row by row (constant memory)."""
    total = _count(report)
    # Constant memory keeps each sheet's rows in a scratch file; in a folder of its own, it goes
    # even when the export stops half-way.
    with tempfile.TemporaryDirectory(prefix="report-xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(output, {**XLSX_OPTIONS, "tmpdir": scratch})
        header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        sheet, line, done = None, XLSX_MAX_ROWS, 0
        for chunk in activity_chunks(report):
            for row in chunk:
                if line == XLSX_MAX_ROWS:
                    sheet, line = _activities_sheet(workbook, header), 0
                line += 1
                sheet.write_row(line, 0, row)
            done += len(chunk)
            progress(done, total)
        if sheet is None:
            _activities_sheet(workbook, header)
        workbook.close()
    return done


def _activities_sheet(workbook, header):
    number = len(workbook.worksheets()) + 1
    name = capfirst(str(Activity._meta.verbose_name_plural))
    sheet = workbook.add_worksheet(name if number == 1 else f"{name} {number}")
    for column in DATE_COLUMNS:
        sheet.set_column(column, column, 11)
    for column in TEXT_COLUMNS:
        sheet.set_column(column, column, 30)
    sheet.write_row(0, 0, activity_headers(), header)
    sheet.freeze_panes(1, 0)
    return sheet
