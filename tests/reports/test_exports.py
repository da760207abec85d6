"""The activities export, CSV and XLSX: one row per activity the requester may see and the filters
keep, whose counts add up to the database's own sums, with headers in the report's language,
nothing about a person, and no cell a spreadsheet would run as a formula."""

import csv
import datetime
import io
import tempfile
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from activities.models import PARTICIPANT_FIELDS, Activity
from programs.models import Objective
from reports import generators
from reports.generators import GENERATORS
from reports.services import report_build

from ..factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

COUNTS = (*PARTICIPANT_FIELDS, "families")
SPANISH_COUNT_HEADERS = (
    "Niñas (0–11)",
    "Niños (0–11)",
    "Adolescentes mujeres (12–17)",
    "Adolescentes hombres (12–17)",
    "Mujeres (18+)",
    "Hombres (18+)",
    "Familias alcanzadas",
)
ENGLISH_HEADERS = [
    "ID",
    "Region",
    "Objective",
    "Service",
    "Title",
    "Start date",
    "End date",
    "Modality",
    "Place",
    "District",
    "Latitude",
    "Longitude",
    "Girls (0–11)",
    "Boys (0–11)",
    "Adolescent girls (12–17)",
    "Adolescent boys (12–17)",
    "Women (18+)",
    "Men (18+)",
    "Participants",
    "Families reached",
    "Status",
    "Partner institutions",
    "Support network",
]


def day(*parts):
    return datetime.date(*parts)


@pytest.fixture
def campaign(amazonas, puno, coord_amazonas):
    """Amazonas: two approved 2025 activities (one with partners and a network), a draft, and an
    approved one from 2024; Puno: one approved. Every count differs, so a wrong filter shows."""
    school = InstitutionFactory(region=amazonas, name="I.E. 18001")
    clinic = InstitutionFactory(region=amazonas, name="Centro de Salud Chachapoyas")
    network = SupportNetworkFactory(region=amazonas, name="Red Chachapoyas")
    first = ActivityFactory(
        region=amazonas,
        status="approved",
        start_date=day(2025, 3, 10),
        end_date=day(2025, 3, 11),
        girls=1,
        boys=2,
        adolescent_girls=3,
        adolescent_boys=4,
        women=5,
        men=6,
        families=7,
        support_network=network,
        latitude=Decimal("-6.229400"),
        longitude=Decimal("-77.872800"),
        place_name="Local comunal",
        district="Chachapoyas",
        created_by=coord_amazonas,
        description="Relato privado que no debe salir",
    )
    first.institutions.set([school, clinic])
    ActivityFactory(
        region=amazonas,
        objective=Objective.objects.get(code="OE3"),
        status="approved",
        start_date=day(2025, 4, 2),
        end_date=day(2025, 4, 2),
        girls=10,
        women=20,
        men=30,
        families=40,
        modality="virtual",
    )
    ActivityFactory(region=amazonas, status="draft", start_date=day(2025, 3, 20), end_date=day(2025, 3, 20), women=100)
    ActivityFactory(region=amazonas, status="approved", start_date=day(2024, 11, 5), end_date=day(2024, 11, 5), men=200)
    ActivityFactory(region=puno, status="approved", start_date=day(2025, 5, 1), end_date=day(2025, 5, 1), women=300)


def export(format, *, user, region=None, language="es", **parameters):
    """Runs the generator as the worker does; returns (rows it reported, progress calls, file bytes)."""
    report = report_build(kind="activities", format=format, region=region, parameters=parameters, language=language)
    report.requested_by = user
    output, calls = io.BytesIO(), []
    with translation.override(language):
        rows = GENERATORS[("activities", format)](report, output, lambda done, total: calls.append((done, total)))
    return rows, calls, output.getvalue()


def csv_table(data):
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_table(data):
    """Every sheet's rows, the header once: a long export continues on further sheets."""
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    table = []
    for sheet in workbook.worksheets:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        table += rows if not table else rows[1:]
    return table


def totals(table, headers):
    """{count field: sum of its column} over the table's data rows."""
    at = {name: table[0].index(header) for name, header in headers.items()}
    return {name: sum(int(row[column] or 0) for row in table[1:]) for name, column in at.items()}


def database_totals(activities):
    figures = activities.aggregate(activities=Count("pk"), **{field: Sum(field) for field in COUNTS})
    figures = {key: value or 0 for key, value in figures.items()}
    figures["participants"] = sum(figures[field] for field in PARTICIPANT_FIELDS)
    return figures


def header_names(language):
    """{count field: its column's header} in the language."""
    with translation.override(language):
        headers = generators.activity_headers()
    return {name: headers[generators.ACTIVITY_COLUMNS.index(name)] for name in (*COUNTS, "participants")}


FILTERS = [
    ({}, {}),
    ({"status": "approved"}, {"status": "approved"}),
    ({"date_from": "2025-01-01", "date_to": "2025-03-31"}, {"start_date__range": (day(2025, 1, 1), day(2025, 3, 31))}),
    ({"objective": "OE3"}, {"objective__code": "OE3"}),
    ({"status": "approved", "date_to": "2024-12-31"}, {"status": "approved", "start_date__lte": day(2024, 12, 31)}),
]


@pytest.mark.parametrize("format", ["csv", "xlsx"])
@pytest.mark.parametrize(("parameters", "lookups"), FILTERS)
def test_a_regions_export_adds_up_to_the_databases_totals(campaign, staff, amazonas, format, parameters, lookups):
    rows, calls, data = export(format, user=staff, region=amazonas, **parameters)
    table = csv_table(data) if format == "csv" else xlsx_table(data)

    expected = database_totals(Activity.objects.filter(region=amazonas, **lookups))
    assert rows == len(table) - 1 == expected.pop("activities")
    assert totals(table, header_names("es")) == expected
    if rows:
        assert calls[-1] == (rows, rows)


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_national_export_holds_every_region(campaign, staff, format):
    rows, _, data = export(format, user=staff, status="approved")
    table = csv_table(data) if format == "csv" else xlsx_table(data)
    expected = database_totals(Activity.objects.approved())
    assert rows == expected.pop("activities") == 4
    assert totals(table, header_names("es")) == expected
    assert {row[1] for row in table[1:]} == {"Amazonas", "Puno"}


def test_rows_come_in_id_order_one_per_activity(campaign, staff, amazonas):
    _, _, data = export("csv", user=staff, region=amazonas)
    ids = [int(row[0]) for row in csv_table(data)[1:]]
    assert ids == sorted(Activity.objects.filter(region=amazonas).values_list("pk", flat=True))


def test_a_row_reads_as_in_the_panel(campaign, staff, amazonas):
    _, _, data = export(
        "csv", user=staff, region=amazonas, date_from="2025-01-01", date_to="2025-03-15", status="approved"
    )
    [header, row] = csv_table(data)
    cells = dict(zip(header, row, strict=True))
    assert cells["Región"] == "Amazonas"
    assert cells["Objetivo"] == "OE1"
    assert (cells["Fecha de inicio"], cells["Fecha de término"]) == ("2025-03-10", "2025-03-11")
    assert (cells["Modalidad"], cells["Estado"]) == ("Presencial", "Aprobada")
    assert (cells["Lugar"], cells["Distrito"]) == ("Local comunal", "Chachapoyas")
    assert Decimal(cells["Latitud"]) == Decimal("-6.2294")
    assert cells["Participantes"] == "21"
    assert cells["Instituciones aliadas"] == "Centro de Salud Chachapoyas; I.E. 18001"
    assert cells["Red de soporte"] == "Red Chachapoyas"


def test_the_headers_speak_the_reports_language(campaign, staff, amazonas):
    _, _, spanish = export("csv", user=staff, region=amazonas, language="es")
    _, _, english = export("xlsx", user=staff, region=amazonas, language="en")
    assert tuple(csv_table(spanish)[0][12:20]) == SPANISH_COUNT_HEADERS[:6] + ("Participantes", "Familias alcanzadas")
    assert xlsx_table(english)[0] == ENGLISH_HEADERS


def test_labels_and_services_speak_the_reports_language(campaign, staff, amazonas):
    _, _, data = export("xlsx", user=staff, region=amazonas, language="en", objective="OE3")
    [_, row] = xlsx_table(data)
    activity = Activity.objects.get(region=amazonas, objective__code="OE3")
    assert row[3] == activity.service.name  # a proper name, in Spanish in every language
    assert (row[7], row[20]) == ("Virtual", "Approved")


def test_the_workbook_keeps_dates_and_numbers_typed(campaign, staff, amazonas):
    _, _, data = export(
        "xlsx", user=staff, region=amazonas, date_from="2025-01-01", date_to="2025-03-15", status="approved"
    )
    [_, row] = xlsx_table(data)
    assert row[5] == datetime.datetime(2025, 3, 10)
    assert row[10] == pytest.approx(-6.2294)
    assert row[12:20] == [1, 2, 3, 4, 5, 6, 21, 7]


def test_no_person_leaves_in_an_export(campaign, staff, coord_amazonas, amazonas):
    for format in ("csv", "xlsx"):
        _, _, data = export(format, user=staff, region=amazonas)
        text = str(csv_table(data) if format == "csv" else xlsx_table(data))
        assert coord_amazonas.username not in text
        assert coord_amazonas.email not in text
        assert "Relato privado" not in text


def test_a_coordinator_exports_their_region_in_every_status(campaign, coord_amazonas, amazonas):
    rows, _, _ = export("csv", user=coord_amazonas, region=amazonas)
    assert rows == Activity.objects.filter(region=amazonas).count() == 4


FORMULA = '=HYPERLINK("http://example.org/x","Ver")'


def test_text_that_looks_like_a_formula_stays_text(staff, amazonas):
    partner = InstitutionFactory(region=amazonas, name="@Municipalidad")
    activity = ActivityFactory(region=amazonas, title=FORMULA, place_name="+51 local", district="-Chachapoyas")
    activity.institutions.set([partner])

    _, _, data = export("csv", user=staff, region=amazonas)
    row = csv_table(data)[1]
    assert (row[4], row[8], row[9], row[21]) == ("'" + FORMULA, "'+51 local", "'-Chachapoyas", "'@Municipalidad")

    _, _, data = export("xlsx", user=staff, region=amazonas)
    workbook = load_workbook(io.BytesIO(data))
    title = workbook.worksheets[0]["E2"]
    assert (title.value, title.data_type) == (FORMULA, "s")


def test_a_workbook_longer_than_a_sheet_continues_on_the_next(monkeypatch, staff, amazonas):
    monkeypatch.setattr(generators, "XLSX_MAX_ROWS", 3)
    ActivityFactory.create_batch(7, region=amazonas)

    rows, _, data = export("xlsx", user=staff, region=amazonas)
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert [sheet.title for sheet in workbook.worksheets] == ["Actividades", "Actividades 2", "Actividades 3"]
    assert [sheet.max_row for sheet in workbook.worksheets] == [4, 4, 2]
    assert rows == len(xlsx_table(data)) - 1 == 7


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_an_empty_export_still_has_its_headers(staff, amazonas, format):
    rows, calls, data = export(format, user=staff, region=amazonas)
    table = csv_table(data) if format == "csv" else xlsx_table(data)
    assert rows == 0
    assert len(table) == 1
    assert table[0][0] == "ID"


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_the_rows_come_a_chunk_at_a_time_and_say_how_far(monkeypatch, staff, amazonas, format):
    monkeypatch.setattr(generators, "CHUNK_SIZE", 2)
    monkeypatch.setattr(generators, "COPY_IDS", 2)
    ActivityFactory.create_batch(7, region=amazonas)
    rows, calls, _ = export(format, user=staff, region=amazonas)
    assert rows == 7
    assert [done for done, _ in calls] == [2, 4, 6, 7]
    assert {total for _, total in calls} == {7}


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_the_queries_do_not_grow_with_the_rows(staff, amazonas, format):
    # Partner institutions are looked up a chunk at a time (or by the database itself), never
    # one activity at a time.
    def queries():
        with CaptureQueriesContext(connection) as captured:
            export(format, user=staff, region=amazonas)
        return len(captured)

    for activity in ActivityFactory.create_batch(3, region=amazonas):
        activity.institutions.set([InstitutionFactory(region=amazonas)])
    few = queries()
    for activity in ActivityFactory.create_batch(30, region=amazonas):
        activity.institutions.set([InstitutionFactory(region=amazonas)])
    assert queries() == few


TRICKY = [
    {"title": 'Taller "Mi cuerpo es mío", con familias', "place_name": "", "district": "Bagua"},
    {"title": "Feria\ncomunitaria en dos líneas", "place_name": "Plaza, frente a la iglesia", "district": ""},
    {"title": "-Charla para papás y mamás", "place_name": "\tLocal", "district": "Ñuñoa"},
    {"title": "=1+1", "place_name": "Colegio; aula 3", "district": "Luya", "latitude": None, "longitude": None},
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize("language", ["es", "en"])
def test_copy_writes_the_same_bytes_as_the_python_writer(campaign, staff, amazonas, language):
    partners = [InstitutionFactory(region=amazonas, name=name) for name in ("+Radio local", 'Red "Juntos"', "Ávila")]
    for fields in TRICKY:
        ActivityFactory(region=amazonas, **fields).institutions.set(partners)
    report = report_build(kind="activities", format="csv", region=amazonas, language=language)
    report.requested_by = staff

    written = {}
    for name, write_rows in (("copy", generators._copy_csv_rows), ("python", generators._write_csv_rows)):
        output = io.BytesIO()
        with translation.override(language):
            rows = write_rows(report, output, lambda done: None)
        written[name] = (rows, output.getvalue())
    assert written["copy"] == written["python"]
    assert written["copy"][0] == Activity.objects.filter(region=amazonas).count() == 8


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_joins_the_partner_institutions_once_not_per_activity(staff, amazonas):
    report = report_build(kind="activities", format="csv", region=amazonas)
    report.requested_by = staff
    sql, params = generators._csv_range_sql(generators.report_activities(report), 0, 1_000)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "SubPlan" not in plan
    assert "GroupAggregate" in plan or "HashAggregate" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_regions_copy_keeps_its_own_partners_among_other_regions(staff, amazonas, puno):
    school = InstitutionFactory(region=amazonas, name="I.E. 18001")
    radio = InstitutionFactory(region=puno, name="Radio Puno")
    for region, partners in ((amazonas, [school]), (puno, [radio, school]), (amazonas, []), (puno, [radio])):
        ActivityFactory(region=region).institutions.set(partners)

    _, _, data = export("csv", user=staff, region=amazonas)

    assert [row[21] for row in csv_table(data)[1:]] == ["I.E. 18001", ""]


def test_a_workbook_stopped_half_way_leaves_no_scratch_files(monkeypatch, tmp_path, staff, amazonas):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(generators, "CHUNK_SIZE", 2)
    ActivityFactory.create_batch(5, region=amazonas)
    report = report_build(kind="activities", format="xlsx", region=amazonas)
    report.requested_by = staff

    def superseded(done, total):
        raise RuntimeError("the sweep gave the report to another run")

    with pytest.raises(RuntimeError):
        GENERATORS[("activities", "xlsx")](report, io.BytesIO(), superseded)
    assert list(tmp_path.iterdir()) == []
