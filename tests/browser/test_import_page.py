"""The spreadsheet import in Chromium: axe-core finds nothing on the upload form, a dry run with
errors, one ready to confirm, a job in progress and each of its outcomes, in Spanish and in English;
the errors table never squeezes a cell below its longest word at 1366 px or at 360 px; the progress
bar moves and the outcome replaces it by itself, and without JavaScript a link reloads the page."""

import datetime

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from activities.models import ImportJob
from tests.browser.test_accessibility import LANGUAGES
from tests.browser.test_staff_layout import BROKEN_WORDS_JS, SCREENS
from tests.test_import import MISTAKES, many_rows, workbook

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_LABEL = {"es": "Hoja de cálculo (.xlsx)", "en": "Spreadsheet (.xlsx)"}
CHECK = {"es": "Verificar el archivo", "en": "Check the file"}
IMPORT = {"es": "Importar", "en": "Import"}
# Values as people type them, long words included: the table must widen for them, not break them.
LONG_VALUES = {
    "institutions": "Municipalidad Provincial de Rodríguez de Mendoza",
    "district": "Huancas",
    "women": "veinticuatro",
}


@pytest.fixture
def spreadsheets(amazonas):
    """A file of 40 rows with 10 errors (the test suite's five kinds, long values), and a valid one."""
    with translation.override("es"):
        rows = many_rows(amazonas, 40)
        for n in range(8):
            field, value, _column, _message = MISTAKES[n % 5]
            rows[3 + n * 4][field] = value
        rows[36]["institutions"] = LONG_VALUES["institutions"]
        rows[37]["women"] = LONG_VALUES["women"]
        return {"errors": workbook(rows), "valid": workbook(many_rows(amazonas, 3))}


def upload(page, lang, data):
    page.goto(f"/{lang}/panel/import/")
    page.get_by_label(FILE_LABEL[lang]).set_input_files({"name": "actividades.xlsx", "mimeType": XLSX, "buffer": data})
    page.get_by_role("button", name=CHECK[lang]).click()
    page.wait_for_load_state()


def job_in(user, status, **fields):
    values = {"user": user, "file_name": "actividades-amazonas.xlsx", "status": status, "language": "es", **fields}
    return ImportJob.objects.create(**values)


def broken_words(page):
    found = page.evaluate(BROKEN_WORDS_JS, "main")
    if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
        found.append("the page scrolls sideways")
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_import_pages_have_no_axe_violations(new_page, login, audit, coord_amazonas, spreadsheets, lang):
    page = login(new_page(), "coord-amazonas", lang=lang)
    page.goto(f"/{lang}/panel/import/")
    audit(page, "upload form")
    upload(page, lang, b"not a spreadsheet")
    expect(page.locator("#error-summary")).to_be_visible()
    audit(page, "upload refused")
    upload(page, lang, spreadsheets["errors"])
    expect(page.locator("table.import-errors tbody tr")).to_have_count(10)
    audit(page, "dry run with errors")
    upload(page, lang, spreadsheets["valid"])
    expect(page.get_by_role("button", name=IMPORT[lang])).to_be_visible()
    audit(page, "dry run ready to import")

    errors = [{"row": 4, "column": "Mujeres (18+)", "value": "muchas", "message": "Introduzca un número entero."}]
    finished = timezone.now()
    states = [
        ("job being checked", job_in(coord_amazonas, "checking", progress=40)),
        ("job being imported", job_in(coord_amazonas, "importing", progress=80)),
        ("job checked with errors", job_in(coord_amazonas, "checked", rows=3, error_count=1, errors=errors)),
        ("job imported", job_in(coord_amazonas, "done", rows=3, created=3, progress=100, finished_at=finished)),
        ("job refused", job_in(coord_amazonas, "failed", failure="El archivo no se pudo leer.")),
        (
            "job ready, expired",
            job_in(coord_amazonas, "ready", rows=3, new=3, expires_at=finished - datetime.timedelta(minutes=1)),
        ),
    ]
    for what, job in states:
        page.goto(f"/{lang}/panel/import/{job.pk}/")
        audit(page, what)
    audit.assert_clean()


@pytest.mark.parametrize("screen", SCREENS)
def test_no_cell_of_the_errors_table_is_narrower_than_its_longest_word(
    new_page, login, coord_amazonas, spreadsheets, screen
):
    page = login(new_page(viewport=SCREENS[screen]), "coord-amazonas")
    upload(page, "es", spreadsheets["errors"])
    table = page.locator("table.import-errors")
    expect(table.locator("tbody tr")).to_have_count(10)
    expect(table).to_contain_text(LONG_VALUES["institutions"])
    page.screenshot(path=f"/tmp/import-{screen}.png", full_page=True)
    assert not broken_words(page)
    errors = [
        {"row": 38, "column": "Instituciones aliadas", "value": LONG_VALUES["institutions"], "message": "No existe."}
    ]
    job = job_in(coord_amazonas, "checked", rows=40, error_count=1, errors=errors)
    page.goto(f"/es/panel/import/{job.pk}/")
    expect(page.locator("table.import-errors tbody tr")).to_have_count(1)
    assert not broken_words(page)


def test_the_checker_sees_a_squeezed_errors_table(new_page, login, coord_amazonas, spreadsheets):
    """The check above must be able to fail: let the cells break words, as a careless style would."""
    page = login(new_page(viewport=SCREENS["360"]), "coord-amazonas")
    upload(page, "es", spreadsheets["errors"])
    page.add_style_tag(content=".import-errors td, .import-errors th { overflow-wrap: anywhere !important; }")
    page.add_style_tag(content=".import-errors { table-layout: fixed; width: 100% !important; }")
    assert page.evaluate(BROKEN_WORDS_JS, "main")


def test_the_progress_moves_and_the_outcome_replaces_it(new_page, login, coord_amazonas):
    job = job_in(coord_amazonas, "importing", rows=3, new=3, progress=10)
    # In English, whose words are the messages' own ids.
    page = login(new_page(), "coord-amazonas", lang="en")
    page.goto(f"/en/panel/import/{job.pk}/")
    bar = page.locator("progress#import-progress-bar")
    expect(bar).to_have_attribute("value", "10")
    expect(page.get_by_role("progressbar", name="Progress")).to_be_visible()
    ImportJob.objects.filter(pk=job.pk).update(progress=60)
    expect(bar).to_have_js_property("value", 60, timeout=10_000)
    expect(page.locator("[data-progress-text]")).to_have_text("60 %")
    ImportJob.objects.filter(pk=job.pk).update(status="done", progress=100, created=3, finished_at=timezone.now())
    heading = page.locator("#import-result-title")
    expect(heading).to_be_visible(timeout=10_000)
    expect(bar).to_have_count(0)
    expect(heading).to_be_focused()
    page.screenshot(path="/tmp/import-360-done.png", full_page=True)


def test_without_javascript_a_link_reloads_the_progress(new_context, login, coord_amazonas):
    job = job_in(coord_amazonas, "checking", progress=25)
    page = login(new_context(java_script_enabled=False).new_page(), "coord-amazonas", lang="en")
    page.goto(f"/en/panel/import/{job.pk}/")
    expect(page.locator("progress#import-progress-bar")).to_have_attribute("value", "25")
    page.screenshot(path="/tmp/import-360-progress.png", full_page=True)
    ImportJob.objects.filter(pk=job.pk).update(progress=75)
    page.get_by_role("link", name="Reload it to see the progress.").click()
    expect(page.locator("progress#import-progress-bar")).to_have_attribute("value", "75")
