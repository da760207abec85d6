"""Importing activities from a spreadsheet: the region's template, the dry run that lists every
error by row and column and saves nothing, the import in one transaction, idempotent re-uploads,
region scoping, and hostile files refused with a message."""

import datetime
import io
import zipfile

import openpyxl
import pytest
import xlsxwriter
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from activities import importing
from activities.models import Activity
from programs.models import Objective, Service

from .factories import InstitutionFactory, UserFactory


@pytest.fixture(autouse=True)
def _spanish():
    with translation.override("es"):
        yield


@pytest.fixture
def amazonas_client(client, coord_amazonas):
    client.force_login(coord_amazonas)
    return client


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


class TestTemplate:
    def test_a_coordinator_downloads_their_regions_template_with_dropdowns(self, amazonas_client, amazonas, partner):
        InstitutionFactory(region=amazonas.__class__.objects.get(slug="puno"), name="Municipalidad de Juliaca")
        response = amazonas_client.get(reverse("activities:import_template"), {"region": amazonas.pk})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert 'filename="activities-amazonas.xlsx"' in response["Content-Disposition"]
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
        rows = [good_row(amazonas, title=f"Taller {n}") for n in range(1000)]
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
        assert "token" not in response.context
        page = response.content.decode()
        assert page.count('<tr><th scope="row">') == 50
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
        assert response.context["token"]
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
        rows = [good_row(amazonas, title=f"Taller {n}", institutions=partner.name) for n in range(25)]
        rows[3]["region"] = ""  # takes the region chosen on the page
        response, result = dry_run(amazonas_client, workbook(rows), region=amazonas.pk)
        assert result.new == 25
        response = amazonas_client.post(reverse("activities:import"), {"token": response.context["token"]})
        assert response.status_code == 302
        created = Activity.objects.all()
        assert created.count() == 25
        assert set(created.values_list("status", "region", "created_by")) == {("draft", amazonas.pk, coord_amazonas.pk)}
        assert all(list(a.institutions.all()) == [partner] for a in created)
        assert Activity.history.filter(history_type="+").count() == 25
        activity = created.get(title="Taller 0")
        assert activity.start_date == datetime.date(2025, 4, 2) and activity.women == 4

    def test_a_failure_midway_saves_nothing(self, amazonas, coord_amazonas, partner, monkeypatch):
        rows = [good_row(amazonas, title=f"Taller {n}", institutions=partner.name) for n in range(2500)]
        through = Activity.institutions.through.objects

        def fail(*args, **kwargs):
            raise RuntimeError("database went away")

        # The activities are written (in batches of 1,000); the partner links after them fail.
        monkeypatch.setattr(through, "bulk_create", fail)
        with pytest.raises(RuntimeError):
            importing.activities_import(workbook(rows), user=coord_amazonas)
        assert not Activity.objects.exists()
        assert not Activity.history.exists()

    def test_an_expired_confirmation_saves_nothing(self, amazonas_client):
        response = amazonas_client.post(reverse("activities:import"), {"token": "not-a-real-token"})
        assert response.status_code == 302
        assert not Activity.objects.exists()

    def test_another_users_confirmation_token_is_not_theirs(self, client, amazonas_client, amazonas, coord_amazonas):
        response, _result = dry_run(amazonas_client, workbook([good_row(amazonas)]))
        other = UserFactory(username="coord-amazonas-2")
        other.memberships.create(region=amazonas)
        client.force_login(other)
        client.post(reverse("activities:import"), {"token": response.context["token"]})
        assert not Activity.objects.exists()


class TestReupload:
    def test_the_same_file_again_creates_nothing_new(self, amazonas_client, amazonas, coord_amazonas):
        data = workbook([good_row(amazonas, title=f"Taller {n}") for n in range(10)])
        assert importing.activities_import(data, user=coord_amazonas).created == 10
        response, result = dry_run(amazonas_client, data)
        assert (result.new, result.already) == (0, 10)
        assert "token" not in response.context
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
        assert "token" not in response.context
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
    def refused(self, client, data, name="actividades.xlsx"):
        response = upload(client, data, name=name)
        assert response.status_code == 400
        assert not Activity.objects.exists()
        assert "token" not in response.context
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
        assert "5 MB" in self.refused(amazonas_client, b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024))
