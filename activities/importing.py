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
import decimal
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from programs.models import Objective, Service
from regions import access
from regions.models import Region

from .forms import ActivityForm
from .models import Activity, Institution, KnownReferences, SupportNetwork, activities_loaded

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
# An import this large refreshes the planner's statistics of the tables it filled.
ANALYZE_FROM_ROWS = 1_000

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
class Sheet:
    """An upload read safely: which field each column holds, and the rows that are not empty."""

    columns: dict
    rows: list
    file_hash: str


def read_sheet(data, references):
    """Raises FileRefused for whatever refuses the file as a whole (see read_rows, map_header)."""
    titles, rows = read_rows(data)
    return Sheet(map_header(titles, references), rows, hashlib.sha256(data).hexdigest())


@dataclass
class CheckedRow:
    """A row that passed every check: the unsaved activity the form filled in, and its partners."""

    number: int
    activity: Activity
    client_uuid: uuid.UUID
    institution_ids: list


def check_rows(data, *, user, default_region=None, progress=None):
    """The dry run: every row through the activity form. Returns (ImportResult, rows that passed)."""
    references = References(user)
    sheet = read_sheet(data, references)
    return check_sheet(sheet, references, user=user, default_region=default_region, progress=progress)


def check_sheet(sheet, references, *, user, default_region=None, progress=None):
    """`progress(done, total)`, when given, hears how far the rows are checked."""
    result = ImportResult()
    seen_uuids = {}
    checked = []
    row_forms = RowForms(user)
    for number, values in sheet.rows:
        result.rows += 1
        cells = {name: values[index] if index < len(values) else None for index, name in sheet.columns.items()}
        row_errors = []
        form_data, region_id = row_form_data(cells, references, default_region, row_errors)
        key = as_text(cells.get("client_uuid"), "client_uuid")
        row_uuid = uuid.uuid5(IMPORT_NAMESPACE, f"{region_id}:{key}" if key else f"{sheet.file_hash}:{number}")
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
            institution_ids = [institution.pk for institution in form.cleaned_data["institutions"]]
            checked.append(CheckedRow(number, form.instance, row_uuid, institution_ids))
        if progress is not None:
            progress(result.rows, len(sheet.rows))
    return result, set_aside_existing(result, checked)


def set_aside_existing(result, checked):
    """The rows whose activity does not exist yet; the others are counted as already imported."""
    fresh = not_yet_imported(checked)
    result.already, result.new = len(checked) - len(fresh), len(fresh)
    return fresh


def not_yet_imported(checked):
    existing = existing_uuids([row.client_uuid for row in checked])
    return [row for row in checked if row.client_uuid not in existing]


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
        self.known = KnownReferences()

    def bind(self, data):
        form = copy.copy(self.prototype)
        form.data, form.is_bound, form._errors = data, True, None
        form._bound_fields_cache = {}
        form.instance = Activity()
        # The model's own checks, answered from what was read once (see Activity.known_references).
        form.instance.known_references = self.known
        return form


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


# --- Between the dry run and the import ------------------------------------------------------------

# What an imported activity takes from its row, by attribute (region_id, not region).
STORED_FIELDS = [Activity._meta.get_field(name) for name in ActivityForm.Meta.fields if name != "institutions"]


def checked_rows_dump(checked):
    """The rows that passed the dry run, as JSON: what the confirmation imports without reading the
    file again."""
    return [
        [row.number, str(row.client_uuid), [_json_value(row.activity, f) for f in STORED_FIELDS], row.institution_ids]
        for row in checked
    ]


def _json_value(activity, field):
    value = getattr(activity, field.attname)
    if isinstance(value, (datetime.date, decimal.Decimal)):
        return str(value)
    return value


def checked_rows_load(dumped):
    rows = []
    for number, key, values, institution_ids in dumped:
        fields = {field.attname: field.to_python(value) for field, value in zip(STORED_FIELDS, values, strict=True)}
        rows.append(CheckedRow(number, Activity(**fields), uuid.UUID(key), institution_ids))
    return rows


def references_unchanged(checked, *, user):
    """Whether what the dry run checked these rows against still holds: the user may still log
    activities in each row's region, and every objective, service, network and partner still exists,
    serves or belongs where it did. A few queries for the whole file; when this says no, the
    confirmation checks the file again row by row, so that each row says what changed."""
    allowed = set(author_regions(user).values_list("pk", flat=True))
    known = KnownReferences()
    objectives = {None, *Objective.objects.values_list("pk", flat=True)}
    services = {None, *Service.objects.values_list("pk", flat=True)}
    regions = Region.objects.in_bulk({row.activity.region_id for row in checked})
    networks = dict(SupportNetwork.objects.values_list("pk", "region_id"))
    institution_ids = {pk for row in checked for pk in row.institution_ids}
    institutions = dict(Institution.objects.filter(pk__in=institution_ids).values_list("pk", "region_id"))
    for row in checked:
        activity, region_id = row.activity, row.activity.region_id
        point = (activity.latitude, activity.longitude)
        changed = (
            region_id not in allowed
            or activity.objective_id not in objectives
            or activity.service_id not in services
            or (
                activity.objective_id
                and activity.service_id
                and not known.serves(activity.objective_id, activity.service_id)
            )
            or (activity.support_network_id and networks.get(activity.support_network_id) != region_id)
            or any(institutions.get(pk) != region_id for pk in row.institution_ids)
            or (activity.latitude is not None and not regions[region_id].contains(*point))
        )
        if changed:
            return False
    return True


# --- The import ----------------------------------------------------------------------------------


class ImportConflict(Exception):
    """Another import of the same rows committed first."""


def activities_import(data, *, user, default_region=None, progress=None):
    """Check every row again, then create the new ones as drafts, all in one transaction or none.

    Returns the ImportResult; `created` is 0 when any row has an error (nothing is saved then).
    """
    result, checked = check_rows(data, user=user, default_region=default_region)
    if result.is_valid and checked:
        result.created = checked_import(checked, user=user, progress=progress)
    return result


def checked_import(checked, *, user, progress=None):
    """Create the activities of rows that passed the dry run, as drafts, in one transaction or not
    at all; returns how many. `progress(done, total)` hears each batch written."""
    activities = []
    for row in checked:
        activity = row.activity
        activity.created_by = user
        activity.status = Activity.Status.DRAFT
        activity.client_uuid = row.client_uuid
        activities.append(activity)
    try:
        with transaction.atomic():
            store(activities, [row.institution_ids for row in checked], user, progress)
    except IntegrityError as exc:
        # The same rows imported meanwhile (client_uuid is unique); any other violation is a bug.
        diag = getattr(exc.__cause__, "diag", None)
        if "client_uuid" not in (getattr(diag, "constraint_name", None) or str(exc)):
            raise
        raise ImportConflict from exc
    if len(activities) >= ANALYZE_FROM_ROWS:
        refresh_statistics()
    return len(activities)


def refresh_statistics():
    """PostgreSQL here runs without autovacuum: after a large import the planner would go on
    planning the panel's and the dashboard's queries for the row counts it saw before."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Activity, Activity.history.model, Activity.institutions.through):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def store(activities, links, user, progress=None, batch=1_000):
    for start in range(0, len(activities), batch):
        written = activities[start : start + batch]
        bulk_create_with_history(written, Activity, default_user=user)
        if any(a.pk is None for a in written):
            # bulk_create sets primary keys where the database returns them; elsewhere read them back.
            uuids = [a.client_uuid for a in written]
            ids = dict(Activity.objects.filter(client_uuid__in=uuids).values_list("client_uuid", "pk"))
            for activity in written:
                activity.pk = ids[activity.client_uuid]
        if progress is not None:
            progress(start + len(written), len(activities))
    Through = Activity.institutions.through
    Through.objects.bulk_create(
        [
            Through(activity_id=activity.pk, institution_id=institution_id)
            for activity, institution_ids in zip(activities, links, strict=True)
            for institution_id in institution_ids
        ],
        batch_size=5_000,
    )
    activities_loaded.send(sender=Activity, ids=[activity.pk for activity in activities])


def can_import(user):
    return access.is_admin(user) or bool(access.member_region_ids(user))
