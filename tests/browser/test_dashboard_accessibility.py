"""axe-core on the dashboard and the targets grid, in Spanish and in English, on a phone-sized Chromium,
with figures, targets, a map, the comparison with earlier periods and reports on the page, with a
form's errors showing, and after "Export this view"; and the comparison's tables at a laptop's and
a phone's width, where no cell may break a word."""

import datetime
import re

import pytest

from programs.models import Indicator, Target
from regions.models import Region
from reports.models import Report
from tests.browser.test_accessibility import LANGUAGES
from tests.browser.test_staff_layout import APRIL_8, BROKEN_WORDS_JS, SCREENS, open_as_staff
from tests.factories import ActivityFactory, SupportNetworkFactory, approved_on

pytestmark = pytest.mark.browser

AMAZONAS_BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[-78.5, -5.5], [-77.5, -5.5], [-77.5, -6.8], [-78.5, -6.8], [-78.5, -5.5]]],
}


@pytest.fixture
def figures(amazonas, puno, coord_amazonas):
    """A year with approved activities in two regions, targets met, missed and zero, one region on
    the map, one activity waiting for review and a report ready."""
    Region.objects.filter(pk=amazonas.pk).update(boundary=AMAZONAS_BOUNDARY)
    network = SupportNetworkFactory(region=amazonas)
    for code, region in (("OE1", amazonas), ("OE2", amazonas), ("OE3", puno)):
        ours = region == amazonas
        approved_on(APRIL_8, region, code, partner=ours, families=6, support_network=network if ours else None)
    ActivityFactory(status="submitted", created_by=coord_amazonas)
    for code, value in (("oe1-people-reached", 50), ("oe1-awareness-activities", 0), ("oe2-families-reached", 4)):
        Target.objects.create(indicator=Indicator.objects.get(code=code), region=amazonas, year=2025, value=value)
    Report.objects.create(kind="regional_progress", format="pdf", region=amazonas, status="done")


@pytest.fixture
def earlier_figures(figures, amazonas, puno):
    """Approved activities in the periods the second quarter of 2025 and the year 2025 are compared
    with (Q1 2025, Q2 2024, 2024), so that the page shows changes up, down, none and from nothing,
    with numbers in the thousands."""
    for code, region, day, families in (
        ("OE1", amazonas, (2025, 2, 3), 1250),
        ("OE1", amazonas, (2025, 3, 3), 4),
        ("OE2", amazonas, (2024, 5, 6), 6),
        ("OE3", puno, (2024, 6, 6), 2),
        ("OE4", puno, (2024, 11, 6), 9),
    ):
        approved_on(datetime.date(*day), region, code, families=families)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_dashboard_and_targets(new_page, login, audit, lang, staff, earlier_figures, puno):
    page = login(new_page(), "staff", lang=lang)
    for what, url in [
        ("dashboard, all regions", f"/{lang}/panel/dashboard/?year=2025"),
        ("dashboard, one region and a quarter", f"/{lang}/panel/dashboard/?year=2025&quarter=2&region={puno.pk}"),
        ("dashboard with a wrong filter", f"/{lang}/panel/dashboard/?year=1990"),
        ("targets grid", f"/{lang}/panel/targets/?year=2025"),
    ]:
        page.goto(url)
        audit(page, what)
    page.locator("input.cell").first.fill("-5")
    page.locator("#targets-form button[type=submit]").click()
    page.locator("#error-summary").wait_for()
    audit(page, "targets grid with an error")
    audit.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_export_this_view(new_page, login, audit, lang, staff, earlier_figures, puno):
    """The export form, the page that refuses a tampered filter, and the report's page it opens."""
    page = login(new_page(), "staff", lang=lang)
    page.goto(f"/{lang}/panel/dashboard/?year=2025&quarter=2&region={puno.pk}")
    assert page.locator("#headline-compared .change").count() == 12  # six figures, two periods
    export = page.locator("form.dashboard-export")
    export.locator("input[name=year]").evaluate("(input) => { input.value = '1990'; }")
    export.locator("button[value=pdf]").click()
    page.locator("#error-summary").wait_for()
    audit(page, "dashboard export with a wrong filter")
    assert not Report.objects.filter(region=puno).exists()

    page.goto(f"/{lang}/panel/dashboard/?year=2025&quarter=2&region={puno.pk}")
    page.locator("form.dashboard-export button[value=xlsx]").click()
    page.wait_for_url(re.compile(rf"/{lang}/panel/reports/[0-9]+/$"))
    report = Report.objects.get(region=puno)
    assert (report.kind, report.format, report.language) == ("regional_progress", "xlsx", lang)
    assert report.parameters == {"date_from": "2025-04-01", "date_to": "2025-06-30"}
    audit(page, "the exported report's page")
    audit.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_no_cell_of_the_comparison_breaks_a_word(new_page, login, staff, earlier_figures, screen, lang):
    """The headline comparison, the indicators' totals and the matrix with a change in every cell, at
    1366 and 360 px: a word drawn on two lines, or wider than its cell, is a problem; wide tables
    scroll in their own box, never the page."""
    page = open_as_staff(new_page, login, screen)
    problems = {}
    for query in ("year=2025&quarter=2", "year=2025"):
        page.goto(f"/{lang}/panel/dashboard/?{query}")
        assert page.locator("#headline-compared tbody tr").count() == 6
        assert page.locator("#indicator-matrix .change").count() == Indicator.objects.count() * Region.objects.count()
        found = page.evaluate(BROKEN_WORDS_JS, "main")
        if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
            found.append("the page scrolls sideways")
        if found:
            problems[query] = found[:5]
        if query.endswith("quarter=2") and lang == "es":
            page.screenshot(path=f"/tmp/dash-{screen}.png", full_page=True)
    assert not problems


@pytest.mark.parametrize("lang", LANGUAGES)
def test_coordinator_dashboard(new_page, login, audit, lang, coord_amazonas, earlier_figures):
    page = login(new_page(), "coord-amazonas", lang=lang)
    page.goto(f"/{lang}/panel/dashboard/?year=2025")
    audit(page, "coordinator dashboard")
    audit.assert_clean()


def test_the_targets_grid_is_filled_with_the_keyboard(new_page, login, staff, amazonas):
    """Tab moves from cell to cell along a region's row; Enter in a cell saves the grid."""
    page = login(new_page(), "staff", lang="en")
    page.goto("/en/panel/targets/?year=2025")
    people = Indicator.objects.get(code="oe1-people-reached")
    page.get_by_label(f"{people.name_en} – Amazonas").focus()
    page.keyboard.type("120")
    page.keyboard.press("Tab")
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    page.get_by_text("Targets saved: 2 new, 0 changed, 0 removed.").wait_for()
    values = dict(Target.objects.filter(region=amazonas, year=2025).values_list("indicator__code", "value"))
    assert values == {"oe1-people-reached": 120, "oe1-awareness-activities": 6}
