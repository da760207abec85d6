"""axe-core on the dashboard and the targets grid, in Spanish and in English, on a phone-sized Chromium,
with figures, targets, a map and reports on the page, and with a form's errors showing."""

import datetime

import pytest

from programs.models import Indicator, Objective, Target
from regions.models import Region
from reports.models import Report
from tests.browser.test_accessibility import AXE_SOURCE, LANGUAGES, Audit
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

pytestmark = pytest.mark.browser

AMAZONAS_BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[-78.5, -5.5], [-77.5, -5.5], [-77.5, -6.8], [-78.5, -6.8], [-78.5, -5.5]]],
}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci`")
    return AXE_SOURCE.read_text()


@pytest.fixture
def audit(axe_source):
    return Audit(axe_source)


@pytest.fixture
def figures(amazonas, puno, coord_amazonas):
    """A year with approved activities in two regions, targets met, missed and zero, one region on
    the map, one activity waiting for review and a report ready."""
    Region.objects.filter(pk=amazonas.pk).update(boundary=AMAZONAS_BOUNDARY)
    network = SupportNetworkFactory(region=amazonas)
    for code, region in (("OE1", amazonas), ("OE2", amazonas), ("OE3", puno)):
        activity = ActivityFactory(
            region=region,
            objective=Objective.objects.get(code=code),
            status="approved",
            start_date=datetime.date(2025, 4, 8),
            end_date=datetime.date(2025, 4, 8),
            families=6,
            support_network=network if region == amazonas else None,
        )
        if region == amazonas:
            activity.institutions.set([InstitutionFactory(region=amazonas)])
    ActivityFactory(status="submitted", created_by=coord_amazonas)
    for code, value in (("oe1-people-reached", 50), ("oe1-awareness-activities", 0), ("oe2-families-reached", 4)):
        Target.objects.create(indicator=Indicator.objects.get(code=code), region=amazonas, year=2025, value=value)
    Report.objects.create(kind="regional_progress", format="pdf", region=amazonas, status="done")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_dashboard_and_targets(new_page, login, audit, lang, staff, figures, puno):
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
def test_coordinator_dashboard(new_page, login, audit, lang, coord_amazonas, figures):
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
