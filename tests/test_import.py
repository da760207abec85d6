"""Importing activities from a spreadsheet: the region's template, the dry run that lists every
error by row and column and saves nothing, the import in one transaction, idempotent re-uploads,
region scoping, hostile and oversized files refused with a message, and large files checked and
imported by the workers as a job whose progress the page follows."""

import datetime
import io
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activities import import_views, importing, tasks
from activities.forms import ActivityForm
from activities.models import Activity, ImportJob
from programs.models import Objective, Service
from regions.models import Region

# The reports' real Celery worker (a subprocess on the test's Redis database), reused as is.
from tests.reports.conftest import broker, start_worker  # noqa: F401

from .factories import InstitutionFactory, UserFactory, coordinator


@pytest.fixture(autouse=True)
def _spanish():
    with translation.override("es"):
        yield


@pytest.fixture
def partner(amazonas):
    return InstitutionFactory(region=amazonas, name="I.E. 18001 Chachapoyas")


def good_row(region, **overrides):
    """What a coordinator types into one row of the template: a valid OE1 workshop."""
    row = {
        "region": region.name,
        "objective": Objective.objects.get(code="OE1").display_name,
        "service": str(Service.objects.select_related("program").get(slug="mujeres-acompanando-mujeres")),
        "title": "Taller de prevención en la comunidad",
        "description": "Sesión con madres y padres de familia.",
        "start_date": datetime.date(2025, 4, 2),
        "end_date": datetime.date(2025, 4, 3),
        "modality": "Presencial",
        "place_name": "Local comunal",
        "district": "Chachapoyas",
        "adolescent_girls": 10,
        "women": 4,
        "men": 2,
        "families": 6,
    }
    row.update(overrides)
    return row


def many_rows(region, count, **overrides):
    """`count` valid rows titled "Taller 0", "Taller 1"…, the reference names read once."""
    row = good_row(region, **overrides)
    return [{**row, "title": f"Taller {n}"} for n in range(count)]


def workbook(rows, *, columns=None, far_cell=None, formula_at=None):
    """An XLSX like the template filled in: titles in row 1, one dict per row from row 2."""
    columns = columns or importing.COLUMNS
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for index, name in enumerate(columns):
        sheet.write_string(0, index, importing.column_title(name))
    for number, row in enumerate(rows, start=1):
        for index, name in enumerate(columns):
            value = row.get(name)
            if isinstance(value, datetime.date):
                sheet.write_datetime(number, index, datetime.datetime.combine(value, datetime.time()), dates)
            elif isinstance(value, str):
                sheet.write_string(number, index, value)
            elif value is not None:
                sheet.write_number(number, index, value)
    if formula_at:
        sheet.write_formula(*formula_at, "=2+2")
    if far_cell:
        sheet.write_string(*far_cell, "x")
    book.close()
    return out.getvalue()


def upload(client, data, name="actividades.xlsx", **extra):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("activities:import"), {"file": file, **extra})


def dry_run(client, data, **extra):
    response = upload(client, data, **extra)
    return response, response.context.get("result") if response.context else None


def refusal(response):
    return response.context["form"].errors["file"][0]


def offered(response):
    """The job the page offers to confirm, if any."""
    return response.context.get("job") if response.context else None


def confirm(client, response):
    return client.post(reverse("activities:import_confirm", args=[offered(response).pk]))


class TestTemplate:
    def test_the_file_is_named_in_the_readers_language(self, amazonas_client, amazonas):
        response = amazonas_client.get("/en/panel/import/template.xlsx", {"region": amazonas.pk})
        assert 'filename="activities-amazonas.xlsx"' in response["Content-Disposition"]

    def test_a_coordinator_downloads_their_regions_template_with_dropdowns(self, amazonas_client, amazonas, partner):
        InstitutionFactory(region=amazonas.__class__.objects.get(slug="puno"), name="Municipalidad de Juliaca")
        response = amazonas_client.get(reverse("activities:import_template"), {"region": amazonas.pk})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert 'filename="actividades-amazonas.xlsx"' in response["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        data, lists = book.worksheets
        assert lists.sheet_state == "hidden"
        titles = [cell.value for cell in data[1]]
        assert titles[:3] == ["Región", "Objetivo", "Servicio"]
        assert titles[-1] == "client_uuid"
        assert "Mujeres (18+)" in titles
        listed = {cell.value for column in lists.iter_cols() for cell in column}
        assert {"Amazonas", "I.E. 18001 Chachapoyas", "Presencial"} <= listed
        assert "Municipalidad de Juliaca" not in listed and "Puno" not in listed
        sources = {v.formula1 for v in data.data_validations.dataValidation if v.type == "list"}
        assert any(source.startswith("Lists!$") for source in sources)
        assert data.cell(1, len(titles)).comment is not None  # client_uuid explained

    def test_titles_follow_the_users_language(self, amazonas_client, amazonas):
        with translation.override("en"):
            response = amazonas_client.get(reverse("activities:import_template"), {"region": amazonas.pk})
        titles = [cell.value for cell in openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0][1]]
        assert titles[:2] == ["Region", "Objective"] and "Women (18+)" in titles

    def test_a_coordinator_cannot_download_another_regions_template(self, amazonas_client, puno):
        assert amazonas_client.get(reverse("activities:import_template"), {"region": puno.pk}).status_code == 404
        assert amazonas_client.get(reverse("activities:import_template"), {"region": "x"}).status_code == 404

    def test_staff_who_do_not_log_activities_are_forbidden(self, client, staff, amazonas):
        client.force_login(staff)
        assert client.get(reverse("activities:import_template"), {"region": amazonas.pk}).status_code == 403
        assert client.get(reverse("activities:import")).status_code == 403

    def test_an_administrator_downloads_any_region(self, client, admin_user, puno):
        client.force_login(admin_user)
        response = client.get(reverse("activities:import_template"), {"region": puno.pk})
        assert response.status_code == 200

    def test_the_page_links_the_coordinators_templates_only(self, amazonas_client, amazonas, puno):
        response = amazonas_client.get(reverse("activities:import"))
        assert response.status_code == 200
        assert f"?region={amazonas.pk}" in response.content.decode()
        assert f"?region={puno.pk}" not in response.content.decode()

    def test_the_panel_links_to_the_import(self, amazonas_client):
        assert reverse("activities:import") in amazonas_client.get(reverse("activities:panel")).content.decode()

    def test_wrong_methods_are_not_allowed(self, amazonas_client):
        assert amazonas_client.put(reverse("activities:import")).status_code == 405
        assert amazonas_client.post(reverse("activities:import_template")).status_code == 405


# Ten rows each of five kinds of mistake, with what the message must say: the form's own words
# (Django's, already in Spanish), or the value the row holds.
MISTAKES = [
    ("women", "muchas", "Mujeres (18+)", "Introduzca un número entero."),
    ("start_date", "31/02/2025", "Fecha de inicio", "Introduzca una fecha válida."),
    ("objective", "OE9 · Inventado", "Objetivo", "OE9 · Inventado"),
    (
        "end_date",
        datetime.date(2025, 1, 1),
        "Fecha de término",
        str(_("The end date cannot be before the start date.")),
    ),
    ("institutions", "Colegio que no existe", "Instituciones aliadas", "Colegio que no existe"),
]


class TestDryRun:
    def test_a_thousand_rows_with_fifty_errors_lists_all_fifty_and_saves_nothing(self, amazonas_client, amazonas):
        rows = many_rows(amazonas, 1000)
        expected = set()
        for n in range(50):
            field, value, column, _message = MISTAKES[n % 5]
            index = 7 + n * 19
            rows[index][field] = value
            expected.add((index + 2, column))
        response, result = dry_run(amazonas_client, workbook(rows))
        assert response.status_code == 200
        assert result.rows == 1000
        assert result.error_count == 50
        assert {(e.row, e.column) for e in result.errors} == expected
        for error in result.errors:
            field, value, column, message = next(m for m in MISTAKES if m[2] == error.column)
            assert message in error.message, error
        assert result.new == 950
        assert not offered(response)
        page = response.content.decode()
        assert page.count('<tr><th scope="row">') == 50
        assert not Activity.objects.exists()

    def test_a_date_outside_the_campaign_is_named_per_cell(self, amazonas_client, amazonas):
        # "0025" typed for "2025": the form's rule, said on the cell; nothing saved.
        rows = [good_row(amazonas, start_date="0025-04-02", end_date="2025-04-03"), good_row(amazonas)]
        _response, result = dry_run(amazonas_client, workbook(rows))
        assert [(e.row, e.column, e.value) for e in result.errors] == [(2, "Fecha de inicio", "0025-04-02")]
        assert "Indique una fecha del 1 de enero de 2024 al 31 de diciembre de" in result.errors[0].message
        assert not Activity.objects.exists()

    def test_wrong_types_are_named_per_cell(self, amazonas_client, amazonas):
        rows = [good_row(amazonas, men="dos", families=2.5, end_date="mañana")]
        _response, result = dry_run(amazonas_client, workbook(rows))
        found = {(e.row, e.column, e.value) for e in result.errors}
        assert found == {
            (2, "Hombres (18+)", "dos"),
            (2, "Familias alcanzadas", "2.5"),
            (2, "Fecha de término", "mañana"),
        }
        assert not Activity.objects.exists()

    def test_a_valid_file_is_offered_for_confirmation_and_nothing_is_saved_yet(self, amazonas_client, amazonas):
        response, result = dry_run(amazonas_client, workbook([good_row(amazonas)] * 3))
        assert result.is_valid and result.new == 3
        assert offered(response).status == ImportJob.Status.READY
        assert not Activity.objects.exists()

    def test_an_unknown_column_refuses_the_file(self, amazonas_client, amazonas):
        data = workbook([good_row(amazonas)])
        book = openpyxl.load_workbook(io.BytesIO(data))
        book.worksheets[0]["B1"] = "Objetivo principal"
        out = io.BytesIO()
        book.save(out)
        response, _result = dry_run(amazonas_client, out.getvalue())
        assert response.status_code == 400
        assert "Objetivo principal" in refusal(response)


class TestImport:
    def test_confirming_creates_the_rows_as_drafts_in_one_go(self, amazonas_client, amazonas, coord_amazonas, partner):
        rows = many_rows(amazonas, 25, institutions=partner.name)
        rows[3]["region"] = ""  # takes the region chosen on the page
        response, result = dry_run(amazonas_client, workbook(rows), region=amazonas.pk)
        assert result.new == 25
        response = confirm(amazonas_client, response)
        assert response.status_code == 302
        created = Activity.objects.all()
        assert created.count() == 25
        assert set(created.values_list("status", "region", "created_by")) == {("draft", amazonas.pk, coord_amazonas.pk)}
        assert all(list(a.institutions.all()) == [partner] for a in created)
        assert Activity.history.filter(history_type="+").count() == 25
        activity = created.get(title="Taller 0")
        assert activity.start_date == datetime.date(2025, 4, 2) and activity.women == 4

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
    def test_a_large_import_leaves_the_planner_statistics_of_what_it_filled(self, amazonas, coord_amazonas, partner):
        # PostgreSQL here runs without autovacuum: without ANALYZE the planner would go on planning
        # the panel's and the dashboard's queries for the empty table it saw last.
        def estimated_rows():
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'activities_activity'")
                return cursor.fetchone()[0]

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE activities_activity")
        assert estimated_rows() == 0
        importing.activities_import(workbook(many_rows(amazonas, 1234, institutions=partner.name)), user=coord_amazonas)
        assert Activity.objects.count() == estimated_rows() == 1234

    def test_a_failure_midway_saves_nothing(self, amazonas, coord_amazonas, partner, monkeypatch):
        rows = many_rows(amazonas, 2500, institutions=partner.name)
        through = Activity.institutions.through.objects

        def fail(*args, **kwargs):
            raise RuntimeError("database went away")

        # The activities are written (in batches of 1,000); the partner links after them fail.
        monkeypatch.setattr(through, "bulk_create", fail)
        with pytest.raises(RuntimeError):
            importing.activities_import(workbook(rows), user=coord_amazonas)
        assert not Activity.objects.exists()
        assert not Activity.history.exists()

    def test_an_expired_confirmation_saves_nothing(self, amazonas_client, amazonas):
        response, _result = dry_run(amazonas_client, workbook([good_row(amazonas)]))
        ImportJob.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
        assert confirm(amazonas_client, response).status_code == 302
        assert not Activity.objects.exists()
        assert ImportJob.objects.get().status == ImportJob.Status.READY  # the sweep ends it, with the file

    def test_another_users_confirmation_is_not_theirs(self, client, amazonas_client, amazonas, coord_amazonas):
        response, _result = dry_run(amazonas_client, workbook([good_row(amazonas)]))
        other = UserFactory(username="coord-amazonas-2")
        other.memberships.create(region=amazonas)
        client.force_login(other)
        assert confirm(client, response).status_code == 404
        assert not Activity.objects.exists()
        assert ImportJob.objects.get().status == ImportJob.Status.READY


class TestReupload:
    def test_the_same_file_again_creates_nothing_new(self, amazonas_client, amazonas, coord_amazonas):
        data = workbook(many_rows(amazonas, 10))
        assert importing.activities_import(data, user=coord_amazonas).created == 10
        response, result = dry_run(amazonas_client, data)
        assert (result.new, result.already) == (0, 10)
        assert not offered(response)
        assert importing.activities_import(data, user=coord_amazonas).created == 0
        assert Activity.objects.count() == 10

    def test_a_file_with_one_row_more_adds_only_that_row_when_ids_are_given(self, amazonas, coord_amazonas):
        rows = [good_row(amazonas, title=f"Taller {n}", client_uuid=f"SIS-{n}") for n in range(3)]
        importing.activities_import(workbook(rows), user=coord_amazonas)
        rows.append(good_row(amazonas, title="Taller nuevo", client_uuid="SIS-99"))
        result = importing.activities_import(workbook(rows), user=coord_amazonas)
        assert (result.created, result.already) == (1, 3)
        assert Activity.objects.count() == 4

    def test_a_repeated_identifier_in_one_file_is_an_error(self, amazonas, coord_amazonas):
        rows = [good_row(amazonas, client_uuid="SIS-1"), good_row(amazonas, client_uuid="SIS-1")]
        result = importing.activities_import(workbook(rows), user=coord_amazonas)
        assert [(e.row, e.column) for e in result.errors] == [(3, "client_uuid")]
        assert not Activity.objects.exists()


class TestScoping:
    def test_a_coordinator_cannot_import_into_another_region(self, amazonas_client, amazonas, puno):
        rows = [good_row(amazonas), good_row(puno, district="Juliaca")]
        response, result = dry_run(amazonas_client, workbook(rows))
        assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "Región", "Puno")]
        assert "Puno" in result.errors[0].message
        assert not offered(response)
        assert not Activity.objects.exists()

    def test_the_service_refuses_another_regions_rows_too(self, puno, coord_amazonas):
        result = importing.activities_import(workbook([good_row(puno)]), user=coord_amazonas)
        assert result.created == 0 and result.error_count == 1
        assert not Activity.objects.exists()

    def test_another_regions_partner_is_refused(self, amazonas, puno, coord_amazonas):
        InstitutionFactory(region=puno, name="Municipalidad de Juliaca")
        rows = [good_row(amazonas, institutions="Municipalidad de Juliaca")]
        result = importing.activities_import(workbook(rows), user=coord_amazonas)
        assert [(e.column, e.value) for e in result.errors] == [("Instituciones aliadas", "Municipalidad de Juliaca")]
        assert not Activity.objects.exists()


def rezip(data, extra=(), drop=()):
    """The same XLSX package with members added or left out."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename not in drop:
                target.writestr(item, source.read(item))
        for name, content in extra:
            target.writestr(name, content)
    return out.getvalue()


class TestHostileFiles:
    def refused(self, client, data, name="actividades.xlsx", status=400):
        response = upload(client, data, name=name)
        assert response.status_code == status
        assert not Activity.objects.exists()
        assert not ImportJob.objects.exists()
        assert not (Path(settings.MEDIA_ROOT) / "imports").exists()  # nor the upload
        assert not offered(response)
        return refusal(response)

    def test_a_formula_is_refused_with_its_row_and_column(self, amazonas_client, amazonas):
        women = importing.COLUMNS.index("women")
        data = workbook([good_row(amazonas)] * 3, formula_at=(3, women))
        message = self.refused(amazonas_client, data)
        assert "4" in message and "Mujeres (18+)" in message

    def test_a_workbook_with_macros_is_refused(self, amazonas_client, amazonas):
        data = rezip(workbook([good_row(amazonas)]), extra=[("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")])
        assert self.refused(amazonas_client, data, name="actividades.xlsm") == str(importing.MACROS)

    def test_a_zip_bomb_is_refused_before_it_is_unpacked(self, amazonas_client, amazonas):
        bomb = rezip(workbook([good_row(amazonas)]), extra=[("xl/media/padding.bin", b"\0" * (60 * 1024 * 1024))])
        assert len(bomb) < 200_000  # small on the wire, 60 MB declared once unpacked
        assert self.refused(amazonas_client, bomb) == str(importing.TOO_LARGE_UNPACKED)

    def test_a_hundred_thousand_empty_rows_are_refused_quickly(self, amazonas_client, amazonas):
        data = workbook([good_row(amazonas)], far_cell=(100_002, 0))
        import time

        started = time.monotonic()
        message = self.refused(amazonas_client, data)
        assert time.monotonic() - started < 10
        assert "1,000" in message and " 3" in message  # the empty run starts below the one row

    def test_a_hundred_thousand_written_empty_rows_are_refused(self, amazonas_client, amazonas):
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        sheet = book.add_worksheet()
        sheet.write_string(0, 0, "Región")
        blank = book.add_format({"bold": True})
        for row in range(1, 100_001):
            sheet.write_blank(row, 0, None, blank)
        book.close()
        assert "1,000" in self.refused(amazonas_client, out.getvalue())

    def test_more_than_ten_thousand_rows_are_refused(self, amazonas_client, amazonas):
        rows = [{"title": f"T{n}"} for n in range(importing.MAX_ROWS + 1)]
        assert "10,000" in self.refused(amazonas_client, workbook(rows, columns=["title"]))

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("actividades.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
            ("actividades.csv", "Título;Mujeres\nTaller;4\n".encode()),
            ("actividades.xlsx", b"PK\x03\x04 not really a zip"),
        ],
    )
    def test_a_file_that_is_not_xlsx_is_refused(self, amazonas_client, name, content):
        assert self.refused(amazonas_client, content, name=name) == str(importing.NOT_XLSX)

    def test_a_zip_that_is_not_a_workbook_is_refused(self, amazonas_client, amazonas):
        data = rezip(workbook([good_row(amazonas)]), drop=("xl/workbook.xml",))
        assert self.refused(amazonas_client, data) == str(importing.NOT_XLSX)

    def test_a_file_over_five_megabytes_is_refused(self, amazonas_client):
        assert "5 MB" in self.refused(amazonas_client, b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024), status=413)


# --- Oversized uploads ---------------------------------------------------------------------------


@pytest.fixture
def nothing_stored(monkeypatch):
    """Django's own handlers keep an upload in memory or in a temporary file: neither may see a byte
    of an import upload. Returns the bytes the import's cap took in."""
    taken = []

    def stored(*args, **kwargs):
        raise AssertionError("the upload reached one of Django's storing handlers")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", stored)
    monkeypatch.setattr(MemoryFileUploadHandler, "receive_data_chunk", stored)
    original = import_views.ImportUploadCap.receive_data_chunk

    def counted(self, raw_data, start):
        taken.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(import_views.ImportUploadCap, "receive_data_chunk", counted)
    return taken


class TestOversize:
    def test_a_body_over_the_limit_is_refused_unread(self, amazonas_client, nothing_stored):
        response = upload(amazonas_client, b"PK\x03\x04" + b"\0" * (6 * 1024 * 1024))
        assert response.status_code == 413
        assert "5 MB" in refusal(response)
        assert sum(nothing_stored) == 0
        assert not ImportJob.objects.exists() and not Activity.objects.exists()

    def test_a_file_one_byte_over_is_dropped_at_that_byte(self, amazonas_client, nothing_stored):
        response = upload(amazonas_client, b"PK\x03\x04" + b"\0" * (importing.MAX_FILE_BYTES - 3))
        assert response.status_code == 413
        assert "5 MB" in refusal(response)
        assert importing.MAX_FILE_BYTES < sum(nothing_stored) <= importing.MAX_FILE_BYTES + 64 * 1024
        assert not ImportJob.objects.exists()

    def test_a_file_at_the_limit_is_read_and_judged_on_its_content(self, amazonas_client, nothing_stored):
        response = upload(amazonas_client, b"PK\x03\x04" + b"\0" * (importing.MAX_FILE_BYTES - 4))
        assert response.status_code == 400
        assert refusal(response) == str(importing.NOT_XLSX)

    def test_the_refusal_reads_in_english_on_english_pages(self, amazonas_client):
        file = io.BytesIO(b"\0" * (6 * 1024 * 1024))
        file.name = "activities.xlsx"
        with translation.override("en"):
            response = amazonas_client.post(reverse("activities:import"), {"file": file})
        assert response.status_code == 413
        assert "The file is larger than 5 MB." in response.content.decode()

    def test_the_upload_still_needs_its_csrf_token(self, coord_amazonas, amazonas):
        client = Client(enforce_csrf_checks=True)
        client.force_login(coord_amazonas)
        assert upload(client, workbook([good_row(amazonas)])).status_code == 403
        assert not ImportJob.objects.exists()
        page = client.get(reverse("activities:import"))
        token = page.cookies["csrftoken"].value
        assert upload(client, workbook([good_row(amazonas)]), csrfmiddlewaretoken=token).status_code == 200
        assert ImportJob.objects.get().status == ImportJob.Status.READY

    def test_other_uploads_pass_through_the_cap_untouched(self):
        request = RequestFactory().post(reverse("activities:evidence_upload", args=[1]))
        cap = import_views.ImportUploadCap(request)
        assert not cap.active
        assert cap.receive_data_chunk(b"data", 0) == b"data"


# --- Large files: the job, checked and imported by the workers -------------------------------------


@pytest.fixture
def background(monkeypatch, eager_tasks):
    """Files of more than five rows go to the workers; Celery runs their jobs in this process once
    the request commits, as it does without REDIS_URL."""
    monkeypatch.setattr(import_views, "INLINE_ROWS", 5)


def job_url(name, job):
    return reverse(f"activities:{name}", args=[job.pk])


def upload_in_background(client, data, capture, **extra):
    with capture(execute=True):
        response = upload(client, data, **extra)
        # Nothing runs inside the request's transaction: the job waits for the commit.
        assert ImportJob.objects.get().status == ImportJob.Status.QUEUED
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job_url("import_job", job)
    job.refresh_from_db()
    return job


def confirm_in_background(client, job, capture):
    with capture(execute=True):
        response = client.post(job_url("import_confirm", job))
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CONFIRMED
    assert response.status_code == 302 and response.url == job_url("import_job", job)
    job.refresh_from_db()
    return job


@pytest.mark.usefixtures("background")
class TestJobs:
    def test_a_large_file_is_checked_then_imported_with_its_counts(
        self, amazonas_client, amazonas, coord_amazonas, partner, settings, django_capture_on_commit_callbacks
    ):
        rows = many_rows(amazonas, 12, institutions=partner.name)
        job = upload_in_background(amazonas_client, workbook(rows), django_capture_on_commit_callbacks)
        assert (job.status, job.rows, job.new, job.already, job.error_count, job.progress) == (
            "ready",
            12,
            12,
            0,
            0,
            100,
        )
        assert not Activity.objects.exists()
        upload_name = job.file.name
        assert upload_name.startswith("imports/") and default_storage.exists(upload_name)
        assert amazonas_client.get(settings.MEDIA_URL + upload_name).status_code == 404  # never served by URL
        page = amazonas_client.get(job_url("import_job", job)).content.decode()
        assert f'action="{job_url("import_confirm", job)}"' in page
        status = amazonas_client.get(job_url("import_job_status", job)).json()
        assert (status["status"], status["active"], status["new"]) == ("ready", False, 12)

        job = confirm_in_background(amazonas_client, job, django_capture_on_commit_callbacks)
        assert (job.status, job.created, job.already, job.progress) == ("done", 12, 0, 100)
        created = Activity.objects.all()
        assert set(created.values_list("status", "region", "created_by")) == {("draft", amazonas.pk, coord_amazonas.pk)}
        assert all(list(activity.institutions.all()) == [partner] for activity in created)
        # The upload and the checked rows go once the job has finished.
        assert not default_storage.exists(upload_name)
        assert (job.file.name, job.checked_rows) == ("", None)
        status = amazonas_client.get(job_url("import_job_status", job)).json()
        assert (status["status"], status["active"], status["created"]) == ("done", False, 12)

    def test_the_same_file_again_creates_nothing_new(
        self, amazonas_client, amazonas, django_capture_on_commit_callbacks
    ):
        data = workbook(many_rows(amazonas, 12))
        first = upload_in_background(amazonas_client, data, django_capture_on_commit_callbacks)
        first_upload = first.file.name
        confirm_in_background(amazonas_client, first, django_capture_on_commit_callbacks)
        ImportJob.objects.all().delete()
        again = upload_in_background(amazonas_client, data, django_capture_on_commit_callbacks)
        assert (again.status, again.new, again.already) == ("checked", 0, 12)
        assert not again.file and not default_storage.exists(first_upload)
        assert amazonas_client.post(job_url("import_confirm", again)).status_code == 302
        assert Activity.objects.count() == 12

    def test_a_coordinator_cannot_import_into_another_region(
        self, amazonas_client, amazonas, puno, django_capture_on_commit_callbacks
    ):
        rows = many_rows(amazonas, 12)
        rows[5] = good_row(puno, district="Juliaca")
        job = upload_in_background(amazonas_client, workbook(rows), django_capture_on_commit_callbacks)
        assert job.status == "checked"
        assert [(e["row"], e["column"], e["value"]) for e in job.errors] == [(7, "Región", "Puno")]
        page = amazonas_client.get(job_url("import_job", job)).content.decode()
        assert page.count('<tr><th scope="row">') == 1 and "import_confirm" not in page
        assert "/confirm/" not in page
        assert not Activity.objects.exists()

    def test_only_the_owner_and_national_staff_see_a_job(
        self, client, amazonas_client, amazonas, coord_puno, staff, admin_user, django_capture_on_commit_callbacks
    ):
        job = upload_in_background(
            amazonas_client, workbook([good_row(amazonas)] * 12), django_capture_on_commit_callbacks
        )
        colleague = UserFactory(username="coord-amazonas-2")
        colleague.memberships.create(region=amazonas)
        for other in (coord_puno, colleague):
            client.force_login(other)
            for name in ("import_job", "import_job_status"):
                assert client.get(job_url(name, job)).status_code == 404, (other, name)
            assert client.post(job_url("import_confirm", job)).status_code == 404
        client.force_login(staff)
        assert client.get(job_url("import_job_status", job)).json()["status"] == "ready"
        page = client.get(job_url("import_job", job))
        assert page.status_code == 200 and job_url("import_confirm", job) not in page.content.decode()
        assert client.post(job_url("import_confirm", job)).status_code == 403  # staff do not log activities
        client.force_login(admin_user)
        assert client.post(job_url("import_confirm", job)).status_code == 404  # nor confirm another's upload
        client.logout()
        assert client.get(job_url("import_job_status", job)).status_code == 302
        assert ImportJob.objects.get().status == "ready" and not Activity.objects.exists()

    def test_wrong_methods_on_a_job(self, amazonas_client, amazonas, django_capture_on_commit_callbacks):
        job = upload_in_background(
            amazonas_client, workbook([good_row(amazonas)] * 12), django_capture_on_commit_callbacks
        )
        assert amazonas_client.post(job_url("import_job", job)).status_code == 405
        assert amazonas_client.post(job_url("import_job_status", job)).status_code == 405
        assert amazonas_client.get(job_url("import_confirm", job)).status_code == 405
        assert amazonas_client.get(reverse("activities:import_job", args=[job.pk + 1])).status_code == 404

    def test_a_message_delivered_twice_runs_each_step_once(
        self, amazonas_client, amazonas, django_capture_on_commit_callbacks
    ):
        job = upload_in_background(
            amazonas_client, workbook([good_row(amazonas, title=f"T {n}") for n in range(12)]),
            django_capture_on_commit_callbacks,
        )  # fmt: skip
        tasks.check_import(job.pk)
        assert ImportJob.objects.get().status == "ready"
        job = confirm_in_background(amazonas_client, job, django_capture_on_commit_callbacks)
        tasks.run_import(job.pk)
        assert (ImportJob.objects.get().created, Activity.objects.count()) == (12, 12)


class TestConfirmation:
    """The confirmation imports the rows the dry run checked, after a few queries that say whether
    anything they depend on changed meanwhile; only then is the file checked again, row by row."""

    def test_it_does_not_read_the_file_again_when_nothing_changed(
        self, amazonas_client, amazonas, partner, monkeypatch, django_assert_max_num_queries
    ):
        rows = many_rows(amazonas, 1000, institutions=partner.name)
        response, result = dry_run(amazonas_client, workbook(rows))
        assert result.new == 1000

        def read_again(*args, **kwargs):
            raise AssertionError("the confirmation read the file again")

        monkeypatch.setattr(importing, "read_rows", read_again)
        # Sessions, the user, the job, the bulk checks, the INSERTs in batches and their history: not one
        # query a row (SQLite's batches are smaller, for its 999 variables a statement).
        with django_assert_max_num_queries(100):
            response = confirm(amazonas_client, response)
        assert response.status_code == 302 and response.url == reverse("activities:list")
        assert Activity.objects.count() == 1000
        assert Activity.institutions.through.objects.count() == 1000

    def test_a_partner_moved_to_another_region_meanwhile_is_named_and_nothing_saved(
        self, amazonas_client, amazonas, puno, partner
    ):
        rows = many_rows(amazonas, 3, institutions=partner.name)
        response, _result = dry_run(amazonas_client, workbook(rows))
        partner.region = puno
        partner.save()
        response = confirm(amazonas_client, response)
        job = ImportJob.objects.get()
        assert response.url == job_url("import_job", job)
        assert job.status == "checked" and job.failure
        assert {(e["row"], e["column"]) for e in job.errors} == {
            (2, "Instituciones aliadas"),
            (3, "Instituciones aliadas"),
            (4, "Instituciones aliadas"),
        }
        assert not Activity.objects.exists()
        page = amazonas_client.get(response.url).content.decode()
        assert page.count('<tr><th scope="row">') == 3

    def test_a_membership_ended_meanwhile_saves_nothing(self, amazonas_client, amazonas, puno, coord_amazonas):
        response, _result = dry_run(amazonas_client, workbook([good_row(amazonas)] * 2))
        coord_amazonas.memberships.create(region=puno)  # still a coordinator, of Puno only
        coord_amazonas.memberships.filter(region=amazonas).delete()
        confirm(amazonas_client, response)
        job = ImportJob.objects.get()
        assert job.status == "checked"
        assert {(e["column"], e["value"]) for e in job.errors} == {("Región", "Amazonas")}
        assert not Activity.objects.exists()

    def test_rows_imported_meanwhile_by_another_upload_count_as_already_imported(
        self, amazonas_client, amazonas, coord_amazonas
    ):
        data = workbook([good_row(amazonas, title=f"Taller {n}", client_uuid=f"SIS-{n}") for n in range(4)])
        response, _result = dry_run(amazonas_client, data)
        importing.activities_import(workbook([good_row(amazonas, client_uuid="SIS-2")]), user=coord_amazonas)
        confirm(amazonas_client, response)
        job = ImportJob.objects.get()
        assert (job.status, job.created, job.already) == ("done", 3, 1)
        assert Activity.objects.count() == 4


class PlainForms(importing.RowForms):
    """The activity form as the panel builds it, with every query it makes, for the rows named; the
    others (valid rows like a thousand before them) take the fast path, to keep the test short."""

    plain_rows = set()

    def __init__(self, user):
        super().__init__(user)
        self.user = user

    def bind(self, data):
        if int(data["title"].split()[-1]) in self.plain_rows:
            return ActivityForm(data=data, user=self.user)
        return super().bind(data)


def test_the_fast_path_finds_exactly_what_the_plain_form_finds(
    amazonas, coord_amazonas, partner, monkeypatch, django_assert_max_num_queries
):
    rows = many_rows(amazonas, 1000, institutions=partner.name)
    wrong = {7 + n * 19 for n in range(50)}
    for n, index in enumerate(sorted(wrong)):
        field, value, _column, _message = MISTAKES[n % 5]
        rows[index][field] = value
    amazonas.boundary = {
        "type": "Polygon",
        "coordinates": [[[-78.5, -6.5], [-77.5, -6.5], [-77.5, -5.5], [-78.5, -5.5], [-78.5, -6.5]]],
    }
    amazonas.save(update_fields=["boundary"])
    rows[3].update(objective=Objective.objects.get(code="OE4").display_name)  # a service OE4 does not offer
    rows[5].update(latitude=-12.05, longitude=-77.04)  # Lima: outside Amazonas
    rows[6].update(latitude=-6.2, longitude=-77.9)  # Chachapoyas: inside
    data = workbook(rows)
    with django_assert_max_num_queries(40):
        fast, fast_rows = importing.check_rows(data, user=coord_amazonas)
    monkeypatch.setattr(PlainForms, "plain_rows", wrong | {3, 5, 6} | set(range(0, 1000, 20)))
    monkeypatch.setattr(importing, "RowForms", PlainForms)
    plain, plain_rows = importing.check_rows(data, user=coord_amazonas)
    assert fast.error_count == plain.error_count == 52
    assert [asdict(error) for error in fast.errors] == [asdict(error) for error in plain.errors]
    assert importing.checked_rows_dump(fast_rows) == importing.checked_rows_dump(plain_rows)
    assert {(e.row, e.column) for e in fast.errors} >= {(5, "Servicio"), (7, "Latitud")}


@pytest.mark.django_db(transaction=True)
def test_the_progress_is_seen_while_the_import_writes(reference_data, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: the import's transaction; its progress shows at the commit")
    """The import writes in one transaction; its progress goes through a connection of its own, so
    that the page sees it move before the commit."""
    amazonas = Region.objects.get(slug="amazonas")
    user = coordinator("coord-progress", amazonas)
    data = workbook(many_rows(amazonas, 2500))
    result, checked = importing.check_rows(data, user=user)
    job = tasks.import_job_ready(
        user=user, region=None, data=data, file_name="a.xlsx", language="es", result=result, checked=checked
    )
    monkeypatch.setattr(tasks, "PROGRESS_EVERY_SECONDS", 0)
    seen, reader = [], connections.create_connection("default")
    original = tasks.Progress.__call__

    def watched(progress, done, total):
        original(progress, done, total)
        with reader.cursor() as cursor:
            cursor.execute("SELECT progress FROM activities_importjob WHERE id = %s", [job.pk])
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(tasks.Progress, "__call__", watched)
    try:
        assert tasks.import_job_confirm(job)
        tasks.import_job_import(tasks.claim(job.pk, "confirmed", "importing"))
    finally:
        reader.close()
    job.refresh_from_db()
    assert (job.status, job.created, job.progress) == ("done", 2500, 100)
    assert seen == [40, 80, 99]


class TestSweep:
    def test_beat_runs_the_sweep_every_five_minutes(self, settings):
        entry = settings.CELERY_BEAT_SCHEDULE["sweep-import-jobs"]
        assert entry == {"task": tasks.sweep_import_jobs.name, "schedule": 300.0}

    def make_job(self, user, **fields):
        job = ImportJob(user=user, file_name="a.xlsx", **fields)
        job.file.save("upload.xlsx", io.BytesIO(b"PK"), save=False)
        job.save()
        return job

    def test_an_unconfirmed_dry_run_expires_and_its_file_goes(self, coord_amazonas):
        job = self.make_job(coord_amazonas, status="ready", expires_at=timezone.now() - datetime.timedelta(seconds=1))
        assert tasks.sweep_import_jobs()["expired"] == 1
        job.refresh_from_db()
        assert (job.status, job.failure) == ("failed", str(tasks.EXPIRED_MESSAGE))
        assert not job.file and job.checked_rows is None

    def test_a_step_whose_worker_died_is_stopped(self, coord_amazonas):
        started = timezone.now() - ImportJob.TIME_LIMIT - datetime.timedelta(minutes=1)
        job = self.make_job(coord_amazonas, status="importing", started_at=started)
        fresh = self.make_job(coord_amazonas, status="checking", started_at=timezone.now())
        assert tasks.sweep_import_jobs()["stopped"] == 1
        assert ImportJob.objects.get(pk=job.pk).status == "failed"
        assert ImportJob.objects.get(pk=fresh.pk).status == "checking"

    def test_a_lost_message_is_sent_again(self, coord_amazonas, amazonas, eager_tasks):
        job = ImportJob(user=coord_amazonas, status="queued", queued_at=timezone.now() - datetime.timedelta(minutes=3))
        job.file.save("upload.xlsx", io.BytesIO(workbook([good_row(amazonas)])), save=False)
        job.save()
        assert tasks.sweep_import_jobs()["resent"] == 1
        assert ImportJob.objects.get().status == "ready"

    def test_finished_jobs_are_deleted_after_their_retention(self, coord_amazonas):
        old = timezone.now() - ImportJob.RETENTION - datetime.timedelta(hours=1)
        self.make_job(coord_amazonas, status="done", finished_at=old)
        kept = self.make_job(coord_amazonas, status="done", finished_at=timezone.now())
        assert tasks.sweep_import_jobs()["deleted"] == 1
        assert list(ImportJob.objects.all()) == [kept]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_checks_and_imports_a_large_file(start_worker, client, monkeypatch):  # noqa: F811
    """Through Redis and a `celery worker` process: queued, checked, confirmed, imported; the page's
    status endpoint tells each step."""
    amazonas = Region.objects.get(slug="amazonas")
    user = coordinator("coord-worker", amazonas)
    client.force_login(user)
    monkeypatch.setattr(import_views, "INLINE_ROWS", 5)
    start_worker()
    response = upload(client, workbook(many_rows(amazonas, 30)))
    job = ImportJob.objects.get()
    assert response.url == job_url("import_job", job)
    seen = [follow(client, job, "ready")]
    with translation.override("es"):
        assert client.post(job_url("import_confirm", job)).url == job_url("import_job", job)
    seen.append(follow(client, job, "done"))
    assert seen[-1]["created"] == 30 and seen[0]["new"] == 30
    assert Activity.objects.filter(created_by=user, status="draft").count() == 30


def follow(client, job, awaited, timeout=60):
    """Polls the status endpoint as the page's script does, until the job is `awaited`."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(job_url("import_job_status", job)).json()
        if body["status"] == awaited:
            return body
        assert body["status"] in ImportJob.ACTIVE, body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
