"""The public site in Chromium, on a phone: every page opens in Spanish and English with no axe-core
violation, the language switch keeps the page, the map's filters update the map and the list, the
quick exit leaves at one click or two Escapes without the page in the back button, the keyboard finds
the skip link and sees where it is, and the home page stays under 150 KB."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from campaign.content import NEUTRAL_SITE
from campaign.models import News
from programs.models import Objective, Service
from publication.services import release_publish
from regions.models import Region
from tests.factories import ActivityFactory

from ..campaign import public
from .test_staff_layout import BROKEN_WORDS_JS

pytestmark = pytest.mark.browser

LANGUAGES = ["es", "en"]
PAGES = [*public.PAGES, "noticias/lanzamiento/"]
HOME_BUDGET = 150 * 1024
NEUTRAL_PAGE = "<!DOCTYPE html><html lang='es'><title>Clima</title><p>Clima</p></html>"


@pytest.fixture
def public_site(server):
    """Three approved activities in three regions, under two objectives and three services, and a news item."""
    cache.clear()
    oe1, oe2 = Objective.objects.get(code="OE1"), Objective.objects.get(code="OE2")
    places = [
        ("amazonas", oe1, "hombres-por-la-igualdad", "Taller con padres en Chachapoyas", "-6.23", "-77.87"),
        ("puno", oe1, "mujeres-acompanando-mujeres", "Encuentro de lideresas en Puno", "-15.84", "-70.03"),
        ("cusco", oe2, "familias-con-punche", "Escuela de familias en Cusco", "-13.52", "-71.98"),
    ]
    for slug, objective, service, title, lat, lon in places:
        ActivityFactory(
            region=Region.objects.get(slug=slug), objective=objective, service=Service.objects.get(slug=service),
            title=title, status="approved", latitude=lat, longitude=lon,
        )  # fmt: skip
    News.objects.create(
        title="Lanzamiento en Amazonas", slug="lanzamiento", body="La campaña llega a **Amazonas**.",
        published_at=timezone.now(),
    )  # fmt: skip
    release_publish()  # the public pages show the release, not the live activities
    cache.clear()
    yield server
    cache.clear()


def neutral_site(page):
    """Answers the neutral site from here (the test never leaves the machine) and records the visit."""
    visits = []

    def answer(route):
        visits.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)

    page.route(re.compile(r"^https://www\.google\.com/.*"), answer)
    return visits


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_opens_with_no_axe_violation(new_page, public_site, audit, lang):
    page = new_page()
    for path in PAGES:
        response = page.goto(f"/{lang}/{path}")
        assert response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("#quick-exit")).to_be_visible()
        if path == "mapa/":
            page.locator("#activity-map .leaflet-interactive").first.wait_for()
        audit(page, f"/{lang}/{path}")
    audit.assert_clean()


@pytest.mark.parametrize("width", [360, 1366])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_table_breaks_a_word_and_no_page_scrolls_sideways(new_page, public_site, lang, width):
    """On a phone the region names stacked a letter per line ("A/r/e/q/u/i/p/a") and the statistics
    page grew to twelve screens: each word must sit on one line inside its cell."""
    page = new_page(viewport={"width": width, "height": 800})
    problems = {}
    for path in PAGES:
        page.goto(f"/{lang}/{path}")
        found = page.evaluate(BROKEN_WORDS_JS, "main")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            found.append(f"the page scrolls sideways by {overflow} px")
        if found:
            problems[path] = found
        if path == "estadisticas/":
            page.screenshot(path=f"/tmp/statistics-{lang}-{width}.png", full_page=True)
    assert problems == {}


def test_the_language_switch_keeps_the_page(new_page, public_site):
    page = new_page()
    page.goto("/es/regiones/amazonas/")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/en/regiones/amazonas/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Español").click()
    expect(page).to_have_url(re.compile(r"/es/regiones/amazonas/$"))


def list_titles(page):
    return sorted(page.locator(".activity-list li strong").all_inner_texts())


def map_points(page):
    return page.locator("#activity-map path.leaflet-interactive, #activity-map .cluster").count()


def test_the_map_filters_update_the_map_and_the_list(new_page, public_site):
    page = new_page()
    page.goto("/es/mapa/")
    page.locator("#activity-map path.leaflet-interactive").first.wait_for()
    assert map_points(page) == 3
    assert len(list_titles(page)) == 3

    page.locator("#id_objective").select_option("OE2")
    page.locator("#map-filters button[type=submit]").click()
    expect(page.locator(".activity-list li strong")).to_have_text(["Escuela de familias en Cusco"])
    expect(page.locator("#activity-map path.leaflet-interactive")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/es/mapa/\?objective=OE2$"))
    expect(page.locator("#map-status")).not_to_be_empty()

    page.locator("#id_objective").select_option("")
    page.locator("#id_service").select_option("mujeres-acompanando-mujeres")
    page.locator("#map-filters button[type=submit]").click()
    expect(page.locator(".activity-list li strong")).to_have_text(["Encuentro de lideresas en Puno"])
    expect(page.locator("#activity-map path.leaflet-interactive")).to_have_count(1)


def test_the_filters_work_without_script(new_context, public_site):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/es/mapa/")
    expect(page.locator("#activity-map")).to_be_hidden()
    page.locator("#id_service").select_option("familias-con-punche")
    page.locator("#map-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"service=familias-con-punche"))
    assert list_titles(page) == ["Escuela de familias en Cusco"]


def test_quick_exit_leaves_at_one_click_and_out_of_the_back_button(new_page, public_site):
    page = new_page()
    visits = neutral_site(page)
    page.goto("/es/ayuda/")
    length = page.evaluate("history.length")
    page.locator("#quick-exit").click()
    page.wait_for_url(NEUTRAL_SITE)
    assert visits == [NEUTRAL_SITE]
    # The portal's entry was replaced, not followed: the history is no longer, and Back skips it.
    assert page.evaluate("history.length") == length
    page.go_back()
    assert "/es/ayuda/" not in page.url


def test_quick_exit_at_two_escapes_within_a_second(new_page, public_site):
    page = new_page()
    visits = neutral_site(page)
    page.goto("/en/estadisticas/")
    page.keyboard.press("Escape")
    page.wait_for_timeout(1200)
    page.keyboard.press("Escape")  # a second press after a pause is a first one again
    page.wait_for_timeout(300)
    assert visits == [] and "/en/estadisticas/" in page.url
    page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL_SITE)
    assert visits == [NEUTRAL_SITE]
    page.go_back()
    assert "/en/estadisticas/" not in page.url


def test_quick_exit_is_a_plain_link_without_script(new_context, public_site):
    page = new_context(java_script_enabled=False).new_page()
    visits = neutral_site(page)
    page.goto("/es/")
    page.locator("#quick-exit").click()
    page.wait_for_url(NEUTRAL_SITE)
    assert visits == [NEUTRAL_SITE]


def test_the_keyboard_meets_the_skip_link_then_the_quick_exit_and_sees_the_focus(new_page, public_site):
    page = new_page()
    page.goto("/es/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_class("skip-link")
    expect(focused).to_be_in_viewport()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_id("quick-exit")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def page_weight(page, path):
    """Bytes a visit to `path` transferred (bodies and headers), and each response's sizes by path."""
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(path, wait_until="networkidle")
    sizes = {urlsplit(request.url).path: request.sizes() for request in responses}
    return sum(size["responseBodySize"] + size["responseHeadersSize"] for size in sizes.values()), sizes


def test_the_home_page_weighs_at_most_150_kb_without_tiles(new_page, public_site):
    transferred, sizes = page_weight(new_page(), "/es/")
    assert set(sizes) >= {"/es/", "/static/css/portal.css", "/static/css/public.css", "/static/js/quick-exit.js"}
    assert not any("leaflet" in url for url in sizes), "the home page needs no Leaflet"
    assert transferred <= HOME_BUDGET, f"{transferred} bytes: {sizes}"
