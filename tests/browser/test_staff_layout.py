"""Staff pages at a ministry laptop's 1366x768 and on a 360-px phone: the work pages take the screen's
width, no table cell breaks inside a word (wide tables scroll in their own box), and every indicator of
the dashboard and the targets grid is in view at 1366 px. Screenshots go to /tmp for a person to look at."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from activities.models import Activity
from programs.models import Indicator, Objective, Target
from regions.models import Region
from tests.factories import ActivityFactory, SupportNetworkFactory, app_device, approved_on

pytestmark = pytest.mark.browser
User = get_user_model()

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}
SCREENS = {"1366": LAPTOP, "360": PHONE}
# The day the staff pages' approved activities took place.
APRIL_8 = datetime.date(2025, 4, 8)

# Every word (split where a browser may wrap: spaces and hyphens) of every visible table cell on the
# page: a word drawn on two lines was broken, a word wider than its cell spills over it.
BROKEN_WORDS_JS = """
(scope) => {
  const problems = [];
  const root = document.querySelector(scope) || document.body;
  for (const cell of root.querySelectorAll("td, th")) {
    if (!cell.getClientRects().length || cell.closest(".visually-hidden")) continue;
    const box = cell.getBoundingClientRect();
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(".visually-hidden")) continue;
      for (const match of node.data.matchAll(/[^\\s\\-\\u2010]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        if (!rects.length) continue;
        const tops = new Set(rects.map((r) => Math.round(r.top)));
        const right = Math.max(...rects.map((r) => r.right));
        const left = Math.min(...rects.map((r) => r.left));
        if (tops.size > 1) problems.push(`broken: "${match[0]}" in <${cell.tagName}> "${cell.innerText.slice(0, 60)}"`);
        else if (right > box.right + 1 || left < box.left - 1)
          problems.push(`spills: "${match[0]}" in <${cell.tagName}> "${cell.innerText.slice(0, 60)}"`);
      }
    }
  }
  return problems;
}
"""

# How many lines an element's text takes.
LINES_JS = """
(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
}
"""

# Whether a box hides part of its content behind a horizontal scroll.
SCROLLS_JS = "(el) => el.scrollWidth > el.clientWidth + 1"


@pytest.fixture
def workload(amazonas, puno, coord_amazonas, coord_puno):
    """A queue of submitted activities with long words, dates and every status; approved activities and
    targets for every indicator in a few regions, so that the dashboard's matrix is full."""
    madre = Region.objects.get(slug="madre-de-dios")
    network = SupportNetworkFactory(region=amazonas)
    long_titles = [
        "Fortalecimiento de capacidades interinstitucionales en prevención",
        "Taller de autoevaluación con docentes y auxiliares de educación",
        "Sensibilización comunitaria sobre violencia sexual en adolescentes",
    ]
    for i, title in enumerate(long_titles * 2):
        ActivityFactory(
            title=title,
            region=(amazonas, puno)[i % 2],
            objective=Objective.objects.get(code=f"OE{i % 4 + 1}"),
            status="submitted",
            created_by=(coord_amazonas, coord_puno)[i % 2],
            start_date=datetime.date(2025, 7, 25),
            end_date=datetime.date(2025, 7, 25),
        )
    for code in ("OE1", "OE2", "OE3", "OE4"):
        for region in (amazonas, puno, madre):
            ours = region == amazonas
            approved_on(APRIL_8, region, code, partner=ours, families=6, support_network=network if ours else None)
    ActivityFactory(status="returned", region=amazonas, review_comment="Indique las familias.")
    ActivityFactory(status="draft", region=amazonas, title="")
    for indicator in Indicator.objects.all():
        for region in (amazonas, puno, madre):
            Target.objects.create(indicator=indicator, region=region, year=2025, value=12345)
    return Activity.objects.count()


STAFF_PAGES = [
    ("review-queue", "/es/panel/review/"),
    ("activity-list", "/es/panel/activities/"),
    ("targets", "/es/panel/targets/?year=2025"),
    ("dashboard", "/es/panel/dashboard/?year=2025"),
    ("admin-index", "/admin/"),
    ("admin-activities", "/admin/activities/activity/"),
]


def open_as_staff(new_page, login, screen):
    # Staff sign in with a second factor: an enrolled authenticator app, so login() gives its code.
    app_device(User.objects.get(username="staff"))
    return login(new_page(viewport=SCREENS[screen]), "staff")


def shoot(page, name, screen):
    page.screenshot(path=f"/tmp/staff-layout-{name}-{screen}.png", full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_no_table_cell_breaks_inside_a_word_on_staff_pages(new_page, login, staff, workload, screen):
    page = open_as_staff(new_page, login, screen)
    problems = {}
    for name, url in STAFF_PAGES:
        page.goto(url)
        assert page.locator("table").count(), f"{name}: no table to check"
        shoot(page, name, screen)
        found = page.evaluate(BROKEN_WORDS_JS, "#content" if "/admin/" in url else "main")
        # A wide table scrolls in its own box: the page itself never scrolls sideways.
        if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
            found.append("the page scrolls sideways")
        if found:
            problems[name] = found[:5]
    assert not problems


def test_the_checker_sees_a_broken_word(new_page, login, staff, workload):
    """The check above must be able to fail: squeeze the queue's table as the old stylesheet did."""
    page = open_as_staff(new_page, login, "360")
    page.goto("/es/panel/review/")
    squeeze = "main td, main th { overflow-wrap: anywhere !important; white-space: normal !important; }"
    page.add_style_tag(content=squeeze)
    assert page.evaluate(BROKEN_WORDS_JS, "main")


def test_the_badge_and_dates_stay_on_one_line_on_a_phone(new_page, login, staff, workload):
    page = open_as_staff(new_page, login, "360")
    for url in ("/es/panel/review/", "/es/panel/activities/?status=submitted"):
        page.goto(url)
        date = page.locator("main td", has_text="25/07/2025").first
        assert date.evaluate(LINES_JS) == 1, url
        # The table scrolls in its own box, the page itself does not.
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), url
        assert page.locator("main .table-wrap").first.evaluate(SCROLLS_JS), url
    badge = page.locator("main td .status-submitted").first
    assert badge.inner_text() == "Enviada"
    assert badge.evaluate(LINES_JS) == 1


@pytest.mark.parametrize("name, url", STAFF_PAGES[:4], ids=[name for name, _ in STAFF_PAGES[:4]])
def test_staff_pages_use_the_screens_width_at_1366(new_page, login, staff, workload, name, url):
    page = open_as_staff(new_page, login, "1366")
    page.goto(url)
    width = page.locator("main").evaluate("(el) => el.getBoundingClientRect().width")
    assert width >= 1200, f"{name}: main is {width} px wide"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_the_public_site_keeps_its_reading_width(new_page, server):
    page = new_page(viewport=LAPTOP)
    page.goto("/es/")
    assert page.locator("main").evaluate("(el) => el.getBoundingClientRect().width") <= 60 * 16


def test_every_indicator_is_in_view_on_the_dashboard_at_1366(new_page, login, staff, workload):
    page = open_as_staff(new_page, login, "1366")
    page.goto("/es/panel/dashboard/?year=2025")
    indicators = Indicator.objects.count()
    assert indicators == 8
    headers = page.locator("#indicator-matrix thead th")
    assert headers.count() == 1 + indicators
    wrap = page.locator(".table-wrap:has(#indicator-matrix)")
    assert not wrap.evaluate(SCROLLS_JS), "the matrix hides indicators behind a horizontal scroll"
    for i in range(headers.count()):
        assert headers.nth(i).is_visible()
        box = headers.nth(i).bounding_box()
        assert box["x"] + box["width"] <= LAPTOP["width"], headers.nth(i).inner_text()
    assert page.locator("#indicator-totals tbody tr").count() == indicators


def test_the_targets_grid_shows_oe4_without_scrolling_at_1366(new_page, login, staff, workload):
    page = open_as_staff(new_page, login, "1366")
    page.goto("/es/panel/targets/?year=2025")
    assert not page.locator(".table-wrap:has(.targets-grid)").evaluate(SCROLLS_JS)
    oe4 = page.locator(".targets-grid thead th", has_text="OE4")
    box = oe4.bounding_box()
    assert box["x"] + box["width"] <= LAPTOP["width"]
    last_input = page.locator(".targets-grid tbody tr").first.locator("input.cell").last
    box = last_input.bounding_box()
    assert box["x"] + box["width"] <= LAPTOP["width"]


def test_the_admin_activity_list_fits_1366(new_page, login, staff, workload):
    page = open_as_staff(new_page, login, "1366")
    page.goto("/admin/activities/activity/")
    results = page.locator("#changelist .results")
    assert not results.evaluate(SCROLLS_JS), "the admin's activity list scrolls sideways"
    headers = [text.strip() for text in page.locator("#result_list thead th").all_inner_texts()]
    for column in ("Región", "Estado", "Participantes"):
        assert any(column.lower() in header.lower() for header in headers), headers
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
