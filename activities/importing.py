"""Loading activities from a spreadsheet: the template, reading an upload safely, the dry run and
the import.

Every row is checked by `ActivityForm`, the very form a coordinator fills in, so an import can
never store what the form would refuse (region scoping included: the form offers only the regions
the user may author in). The dry run and the import run the same checks; the import then stores
every row in one transaction, as drafts, or nothing at all.

Drafts only: submitting needs evidence (a photo or PDF), which a spreadsheet cannot carry, so an
imported activity is submitted from its page once its evidence is attached.
"""

import copy
import datetime
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass, field

import openpyxl
import xlsxwriter
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from programs.models import Objective, Service
from regions import access
from regions.models import Region

from .forms import ActivityForm
from .models import MAX_COUNT, Activity, Institution, SupportNetwork

# Limits on what an upload may be. A spreadsheet of 10,000 activities is well under 2 MB.
MAX_FILE_BYTES = 5 * 1024 * 1024
# Sum of the members' declared sizes. Python's zipfile never inflates a member past its declared
# size (it stops there and the CRC check fails), so this bounds the memory a zip bomb can take.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
MAX_ROWS = 10_000
# A sheet may declare a million rows or hold 100,000 empty ones. Reading stops after this many
# empty rows in a row and refuses the file: what lies below them would otherwise be dropped unseen.
MAX_EMPTY_RUN = 1_000
# Errors listed in full; past this the page says how many more there are.
MAX_ERRORS_SHOWN = 1_000
TEMPLATE_ROWS = 10_000

COLUMNS = [*ActivityForm.Meta.fields, "client_uuid"]
DATE_COLUMNS = {"start_date", "end_date"}
COUNT_COLUMNS = {"girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men", "families"}
# Several institutions go in one cell, separated by this.
LIST_SEPARATOR = ";"

# Row identifiers are uuid5 names under this namespace, so the same file (or the same identifier
# typed in the client_uuid column, in the same region) always gives the same activity.
IMPORT_NAMESPACE = uuid.UUID("6f1c2c55-2a8e-4b43-9f0e-0b7a4d3c9e21")


NOT_XLSX = gettext_lazy("This is not an Excel workbook (.xlsx). Save the spreadsheet as .xlsx and upload it again.")
MACROS = gettext_lazy("The workbook contains macros, which are refused. Save it as a plain .xlsx file.")
TOO_LARGE_UNPACKED = gettext_lazy("The workbook is too large once unpacked; it cannot be an activity spreadsheet.")


class FileRefused(Exception):
    """The upload is not a spreadsheet we read: the message says why, for the person."""


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    new: int = 0
    already: int = 0
    created: int = 0

    @property
    def is_valid(self):
        return self.error_count == 0

    def add_error(self, row, column, value, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(RowError(row, str(column), "" if value is None else str(value), str(message)))

    @property
    def hidden_errors(self):
        return self.error_count - len(self.errors)


def column_title(name):
    if name == "client_uuid":
        return "client_uuid"
    return capfirst(str(Activity._meta.get_field(name).verbose_name))


def author_regions(user):
    return ActivityForm._author_regions(user)


# --- The template --------------------------------------------------------------------------------


def reference_lists(region):
    """What each dropdown offers, as the person reads it in the page's language."""
    return {
        "region": [region.name],
        "objective": [o.display_name for o in Objective.objects.all()],
        "service": [str(s) for s in Service.objects.select_related("program")],
        "modality": [str(label) for label in Activity.Modality.labels],
        "institutions": list(Institution.objects.filter(region=region).order_by("name").values_list("name", flat=True)),
        "support_network": list(
            SupportNetwork.objects.filter(region=region).order_by("name").values_list("name", flat=True)
        ),
    }


def build_template(region):
    """An XLSX to fill in for `region`: the form's columns titled in the active language, the
    reference lists as dropdowns (from a hidden sheet), counts and dates validated as typed."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(_("Activities")[:31])
    lists = book.add_worksheet("Lists")
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    references = reference_lists(region)
    for index, name in enumerate(COLUMNS):
        sheet.write_string(0, index, column_title(name), header)
        sheet.set_column(index, index, 28 if name in ("title", "description", "objective", "service") else 16)
        note = column_note(name)
        if note:
            sheet.write_comment(0, index, note, {"x_scale": 2.5, "y_scale": 2})
        last = TEMPLATE_ROWS
        if name in references:
            items = references[name] or [""]
            column = len([n for n in COLUMNS[:index] if n in references])
            lists.write_string(0, column, column_title(name))
            for offset, item in enumerate(items, start=1):
                lists.write_string(offset, column, item)
            letter = xlsxwriter.utility.xl_col_to_name(column)
            sheet.data_validation(
                1, index, last, index,
                {
                    "validate": "list",
                    "source": f"=Lists!${letter}$2:${letter}${len(items) + 1}",
                    # Several institutions may share a cell (separated by ";"): a warning, not a stop.
                    "error_type": "information" if name == "institutions" else "stop",
                },
            )  # fmt: skip
        elif name in COUNT_COLUMNS:
            sheet.data_validation(
                1,
                index,
                last,
                index,
                {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": MAX_COUNT},
            )
        elif name in DATE_COLUMNS:
            sheet.set_column(index, index, 14, date_format)
            sheet.data_validation(
                1, index, last, index, {"validate": "date", "criteria": ">=", "value": datetime.date(2000, 1, 1)}
            )
    sheet.freeze_panes(1, 0)
    lists.hide()
    book.close()
    return out.getvalue()


def column_note(name):
    if name == "client_uuid":
        return _(
            "Leave this column empty. Each row is identified by the file and its row number, so uploading "
            "the same file again creates nothing new. If your own records give each activity an identifier, "
            "you may write it here instead: the same identifier in the same region is then never imported twice."
        )
    if name == "region":
        return _("Rows that leave the region empty go to the region chosen on the upload page.")
    if name == "institutions":
        return _("Choose one from the list, or write several names separated by “;”.")
    if name in DATE_COLUMNS:
        return _("A date cell, or a date written as YYYY-MM-DD.")
    help_text = Activity._meta.get_field(name).help_text if name in COLUMNS[:-1] else ""
    return str(help_text) if help_text else ""


# --- Reading an upload ---------------------------------------------------------------------------


def check_package(data):
    """Refuse, before any parser sees it, what is not a plain XLSX package of reasonable size."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(_("The file is larger than %(size)s MB.") % {"size": MAX_FILE_BYTES // (1024 * 1024)})
    not_xlsx = str(NOT_XLSX)
    if not data.startswith(b"PK\x03\x04"):
        raise FileRefused(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRefused(not_xlsx) from exc
    names = {member.filename.lower() for member in members}
    if any(name.endswith("vbaproject.bin") for name in names):
        raise FileRefused(str(MACROS))
    if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused(not_xlsx)
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
        raise FileRefused(str(TOO_LARGE_UNPACKED))


def read_rows(data):
    """The header titles and the data rows as (row number, values), after the package's checks.

    Raises FileRefused for what is refused as a whole: a formula anywhere, too many rows, an
    unreadable workbook. Formulas are refused rather than read: their stored results were computed
    by whatever program last saved the file, and openpyxl evaluates nothing. So the workbook is
    opened with data_only=False, where a formula shows as such (data_only=True would hide it behind
    its cached result).
    """
    check_package(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise FileRefused(_("The workbook could not be read. Save it again as .xlsx and upload it.")) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_col=len(COLUMNS) + 10)
        header = next(rows, ())
        titles = [cell_text(cell) for cell in header]
        found, empty_run = [], 0
        for number, cells in enumerate(rows, start=2):
            column = next((i for i, c in enumerate(cells) if getattr(c, "data_type", None) == "f"), None)
            if column is not None:
                title = titles[column] if column < len(titles) and titles[column] else cells[column].column_letter
                raise FileRefused(
                    _("Row %(row)s, column “%(column)s” holds a formula. Formulas are refused: paste values only.")
                    % {"row": number, "column": title}
                )
            values = [c.value for c in cells]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                empty_run += 1
                if empty_run >= MAX_EMPTY_RUN:
                    raise FileRefused(
                        _(
                            "The sheet has more than %(max)s empty rows in a row, from row %(row)s. Delete the "
                            "empty rows (and anything below them) and upload the file again."
                        )
                        % {"max": f"{MAX_EMPTY_RUN:,}", "row": number - empty_run + 1}
                    )
                continue
            empty_run = 0
            if len(found) >= MAX_ROWS:
                raise FileRefused(
                    _("The file has more than %(max)s rows; split it into smaller files.") % {"max": f"{MAX_ROWS:,}"}
                )
            found.append((number, values))
        return titles, found
    finally:
        book.close()


def cell_text(cell):
    return "" if cell.value is None else str(cell.value).strip()


# --- Checking rows -------------------------------------------------------------------------------


def _folded(text):
    return " ".join(str(text).split()).casefold()


class References:
    """Names as people write them, to the ids the form takes. Built once per file, in every
    language the portal speaks, so a template downloaded in English reads back on a Spanish page."""

    def __init__(self, user):
        self.regions = {_folded(r.name): r for r in Region.objects.all()}
        self.allowed_region_ids = set(author_regions(user).values_list("pk", flat=True))
        self.objectives, self.services, self.modalities = {}, {}, {}
        objectives = list(Objective.objects.all())
        services = list(Service.objects.select_related("program"))
        for language in ("es", "en"):
            with translation.override(language):
                for objective in objectives:
                    self.objectives[_folded(objective.display_name)] = objective.pk
                for service in services:
                    self.services[_folded(str(service))] = service.pk
                for value, label in Activity.Modality.choices:
                    self.modalities[_folded(label)] = value
        for objective in objectives:
            self.objectives.setdefault(_folded(objective.code), objective.pk)
        for value in Activity.Modality.values:
            self.modalities.setdefault(_folded(value), value)
        self.institutions = {
            (region_id, _folded(name)): pk
            for pk, region_id, name in Institution.objects.values_list("pk", "region_id", "name")
        }
        self.networks = {
            (region_id, _folded(name)): pk
            for pk, region_id, name in SupportNetwork.objects.values_list("pk", "region_id", "name")
        }
        self.titles = {}
        for language in ("es", "en"):
            with translation.override(language):
                for name in COLUMNS:
                    self.titles[_folded(column_title(name))] = name
        for name in COLUMNS:
            self.titles.setdefault(_folded(name), name)


def map_header(titles, references):
    """Which field each column holds; an unknown or repeated title refuses the file, since
    ignoring a misspelt column would silently drop its figures."""
    columns = {}
    for index, title in enumerate(titles):
        if not title:
            continue
        name = references.titles.get(_folded(title))
        if name is None:
            raise FileRefused(
                _(
                    "The column “%(title)s” is not one of the template's columns. "
                    "Download the template and use its columns."
                )
                % {"title": title}
            )
        if name in columns.values():
            raise FileRefused(_("The column “%(title)s” appears twice.") % {"title": title})
        columns[index] = name
    if not columns:
        raise FileRefused(_("The first row must hold the template's column titles."))
    return columns


def as_text(value, name):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if name in DATE_COLUMNS else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class CheckedRow:
    number: int
    form: ActivityForm
    client_uuid: uuid.UUID


def check_rows(data, *, user, default_region=None):
    """The dry run: every row through the activity form. Returns (ImportResult, rows that passed)."""
    result = ImportResult()
    references = References(user)
    titles, rows = read_rows(data)
    columns = map_header(titles, references)
    file_hash = hashlib.sha256(data).hexdigest()
    seen_uuids = {}
    checked = []
    row_forms = RowForms(user)
    for number, values in rows:
        result.rows += 1
        cells = {name: values[index] if index < len(values) else None for index, name in columns.items()}
        row_errors = []
        form_data, region_id = row_form_data(cells, references, default_region, row_errors)
        key = as_text(cells.get("client_uuid"), "client_uuid")
        row_uuid = uuid.uuid5(IMPORT_NAMESPACE, f"{region_id}:{key}" if key else f"{file_hash}:{number}")
        if row_uuid in seen_uuids:
            row_errors.append(
                ("client_uuid", key, _("The same identifier as row %(row)s.") % {"row": seen_uuids[row_uuid]})
            )
        seen_uuids.setdefault(row_uuid, number)
        form = row_forms.bind(form_data)
        reported = {name for name, _value, _message in row_errors}
        # A row for a region the user may not author in says only that.
        if "region" not in reported and not form.is_valid():
            for name, messages in form.errors.items():
                if name in reported:
                    continue
                for message in messages:
                    value = as_text(cells.get(name), name) if name in cells else ""
                    row_errors.append((name, value, message))
        for name, value, message in row_errors:
            title = column_title(name) if name in COLUMNS else (_("Row") if name == "__all__" else name)
            result.add_error(number, title, value, message)
        if not row_errors:
            checked.append(CheckedRow(number, form, row_uuid))
    if result.rows:
        existing = existing_uuids([row.client_uuid for row in checked])
        result.already = sum(1 for row in checked if row.client_uuid in existing)
        checked = [row for row in checked if row.client_uuid not in existing]
        result.new = len(checked)
    return result, checked


class CachedChoices:
    """A model choice field's lookups answered from the rows it offers, read once per file: the
    form's own querysets decide what is offered (region scoping included), only the per-row
    queries are saved."""

    def __init__(self, field):
        self.field = field
        self.by_pk = {str(obj.pk): obj for obj in field.queryset}

    def to_python(self, value):
        if value in self.field.empty_values:
            return None
        try:
            return self.by_pk[str(value)]
        except KeyError:
            raise ValidationError(
                self.field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from None

    def check_values(self, values):
        return [self.to_python(value) for value in values]


class RowForms:
    """ActivityForm for each row, set up once per file.

    Building an ActivityForm reads the user's regions, partners and services; 10,000 rows would
    repeat that 10,000 times. A prototype is built once and each row gets a shallow copy with its
    own data and instance, so every row still runs the form's and the model's full checks.
    """

    def __init__(self, user):
        self.prototype = ActivityForm(data={}, user=user)
        for name in ("region", "objective", "service", "support_network"):
            field = self.prototype.fields[name]
            field.to_python = CachedChoices(field).to_python
        institutions = self.prototype.fields["institutions"]
        institutions._check_values = CachedChoices(institutions).check_values

    def bind(self, data):
        form = copy.copy(self.prototype)
        form.data, form.is_bound, form._errors = data, True, None
        form._bound_fields_cache = {}
        form.instance = Activity()
        # Activity's check constraints are each restated by Activity.clean() with a message on its
        # field (dates, counts, the point), or concern the status and version the import sets; the
        # INSERT enforces them again. Checked one by one they cost six round trips a row.
        form.instance.validate_constraints = skip_constraints
        return form


def skip_constraints(exclude=None):
    return None


def row_form_data(cells, references, default_region, row_errors):
    """The row as the form would receive it from the page; names the form cannot take are errors."""
    data = {name: as_text(cells.get(name), name) for name in COLUMNS if name not in ("institutions", "client_uuid")}
    region_name = data["region"]
    region = references.regions.get(_folded(region_name)) if region_name else default_region
    region_id = region.pk if region else None
    if region_name and region is None:
        row_errors.append(("region", region_name, _("There is no region called “%(name)s”.") % {"name": region_name}))
    elif region is not None and region.pk not in references.allowed_region_ids:
        row_errors.append(
            ("region", region.name, _("You cannot log activities in %(region)s.") % {"region": region.name})
        )
    data["region"] = region_id or ""
    for name, lookup in (
        ("objective", references.objectives),
        ("service", references.services),
        ("modality", references.modalities),
    ):
        if data[name]:
            found = lookup.get(_folded(data[name]))
            if found is None:
                row_errors.append((name, data[name], _("“%(value)s” is not in the list.") % {"value": data[name]}))
            data[name] = found or ""
    if not data["modality"] and "modality" not in {e[0] for e in row_errors}:
        data["modality"] = Activity.Modality.IN_PERSON
    if data["support_network"]:
        found = references.networks.get((region_id, _folded(data["support_network"])))
        if found is None:
            row_errors.append(("support_network", data["support_network"], not_in_region(data["support_network"])))
        data["support_network"] = found or ""
    institutions = []
    text = as_text(cells.get("institutions"), "institutions")
    for name in filter(None, (part.strip() for part in text.split(LIST_SEPARATOR))):
        found = references.institutions.get((region_id, _folded(name)))
        if found is None:
            row_errors.append(("institutions", name, not_in_region(name)))
        else:
            institutions.append(found)
    data["institutions"] = institutions
    for name in COUNT_COLUMNS:
        data[name] = data[name] or "0"
    return data, region_id


def not_in_region(name):
    return _("“%(name)s” is not one of the region's partners; check the spelling in the template's list.") % {
        "name": name
    }


def existing_uuids(uuids, chunk=2_000):
    found = set()
    for start in range(0, len(uuids), chunk):
        found.update(
            Activity.objects.filter(client_uuid__in=uuids[start : start + chunk]).values_list("client_uuid", flat=True)
        )
    return found


# --- The import ----------------------------------------------------------------------------------


class ImportConflict(Exception):
    """Another import of the same rows committed first."""


def activities_import(data, *, user, default_region=None):
    """Check every row again, then create the new ones as drafts, all in one transaction or none.

    Returns the ImportResult; `created` is 0 when any row has an error (nothing is saved then).
    """
    result, checked = check_rows(data, user=user, default_region=default_region)
    if not result.is_valid or not checked:
        return result
    activities, links = [], []
    for row in checked:
        activity = row.form.instance  # the form has already filled it from the row
        activity.created_by = user
        activity.status = Activity.Status.DRAFT
        activity.client_uuid = row.client_uuid
        activities.append(activity)
        links.append(row.form.cleaned_data["institutions"])
    try:
        with transaction.atomic():
            store(activities, links, user)
    except IntegrityError as exc:
        # The same rows imported meanwhile (client_uuid is unique); any other violation is a bug.
        diag = getattr(exc.__cause__, "diag", None)
        if "client_uuid" not in (getattr(diag, "constraint_name", None) or str(exc)):
            raise
        raise ImportConflict from exc
    result.created = len(activities)
    return result


def store(activities, links, user):
    created = bulk_create_with_history(activities, Activity, batch_size=1_000, default_user=user)
    if len(created) != len(activities) or any(a.pk is None for a in created):
        # bulk_create sets primary keys on PostgreSQL; elsewhere read them back by client_uuid.
        ids = dict(
            Activity.objects.filter(client_uuid__in=[a.client_uuid for a in activities]).values_list(
                "client_uuid", "pk"
            )
        )
        for activity in activities:
            activity.pk = ids[activity.client_uuid]
    Through = Activity.institutions.through
    Through.objects.bulk_create(
        [
            Through(activity_id=activity.pk, institution_id=institution.pk)
            for activity, institutions in zip(activities, links, strict=True)
            for institution in institutions
        ],
        batch_size=5_000,
    )


def can_import(user):
    return access.is_admin(user) or bool(access.member_region_ids(user))
