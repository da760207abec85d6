"""The maps in Chromium, at a phone's 360 px and a laptop's 1366 px, in Spanish and English: every
public page asks the portal alone for everything; the activity map draws Peru and the 15 regions'
outlines, shaded, named and explained by a legend, and its cluster bubbles never overlap, not even
after zooming into Lima's 200 activities; the home, region list and region maps draw the shipped
boundaries; axe-core finds nothing; the home page stays under 150 KB with the boundaries drawn; the
panel's point picker and review map ask no other host either; tiles, when an operator sets them, lie
under the regions. Screenshots go to /tmp for a person to see."""

import base64
import datetime
import io
import random
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from activities.models import Activity
from publication.services import release_publish
from regions.models import Region
from tests.factories import ActivityFactory

from ..campaign import public
from .test_public_site import HOME_BUDGET, page_weight

pytestmark = pytest.mark.browser

SHIPPED = settings.BASE_DIR / "data" / "campaign_regions.geojson"
WIDTHS = [360, 1366]
LANGUAGES = ["es", "en"]
# (region, centre, spread in degrees, approved activities): a crowd in Lima, a few in Puno.
CROWDS = [("lima-metropolitana", (-12.06, -77.03), 0.12, 200), ("puno", (-15.84, -70.02), 0.4, 20)]
REGIONS = "#activity-map .leaflet-regions-pane path"
BUBBLES = "#activity-map .marker-cluster"
OUTLINES = "svg.regions-map path > title"

# Bounding boxes of the cluster bubbles, and of the region names shown, that overlap one another.
CLASHES = """() => {
  const box = (el) => el.getBoundingClientRect();
  const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const bubbles = [...document.querySelectorAll("#activity-map .marker-cluster")]
    .map((el) => [el.textContent, box(el)]);
  const names = [...document.querySelectorAll("#activity-map .region-name")]
    .filter((el) => el.style.visibility !== "hidden").map((el) => [el.textContent, box(el.firstChild)]);
  const clashes = [];
  const pairs = (list, other) => list.forEach(([a, ra], i) => (other || list).forEach(([b, rb], j) => {
    if ((other || j > i) && overlap(ra, rb)) clashes.push(`${a} / ${b}`);
  }));
  pairs(bubbles);
  pairs(names);
  pairs(names, bubbles);
  return { bubbles: bubbles.map(([text]) => Number(text)), names: names.length, clashes };
}"""
SETTLED = """() => !document.querySelector("#activity-map .leaflet-zoom-anim, #activity-map .leaflet-cluster-anim")"""


def one_pixel_png():
    out = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 220, 200)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def mapped_site(server):
    """The shipped boundaries, 200 approved activities around Lima and 20 in Puno, in a release."""
    cache.clear()
    call_command("import_boundaries", str(SHIPPED), code_property="inei_code", stdout=io.StringIO())
    rng = random.Random(7)
    approved = []
    for slug, (lat, lon), spread, count in CROWDS:
        region = Region.objects.get(slug=slug)
        for _ in range(count):
            point = [Decimal(str(round(centre + rng.uniform(-spread, spread), 4))) for centre in (lat, lon)]
            approved.append(
                ActivityFactory.build(
                    region=region, status="approved", approved_at=timezone.now() - datetime.timedelta(hours=1),
                    latitude=point[0], longitude=point[1],
                )
            )  # fmt: skip
    Activity.objects.bulk_create(approved)
    release_publish()
    cache.clear()
    yield server
    cache.clear()


def watch_requests(page):
    """Every request the page makes, by URL (data: and blob: are not requests to anyone)."""
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def elsewhere(urls, server):
    own = urlsplit(server).netloc
    return [
        url for url in urls if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own
    ]


def settle(page):
    page.wait_for_function(SETTLED)
    page.wait_for_timeout(400)  # markercluster's bubbles move for 0.3 s after the zoom


def clashes(page):
    found = page.evaluate(CLASHES)
    assert found["clashes"] == [], found
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_activity_map_draws_the_regions_and_bubbles_that_never_overlap(new_page, mapped_site, audit, lang, width):
    page = new_page(viewport={"width": width, "height": 800})
    requests = watch_requests(page)
    page.goto(f"/{lang}/mapa/")
    expect(page.locator(REGIONS)).to_have_count(15)
    expect(page.locator("#activity-map .leaflet-country-pane path")).to_have_count(1)
    page.locator(BUBBLES).first.wait_for()
    settle(page)
    seen = clashes(page)
    # Peru from above: Lima's 200 and Puno's 20 as bubbles, and some regions named.
    assert max(seen["bubbles"]) >= 100 and len(seen["bubbles"]) >= 2, seen
    assert seen["names"] >= 3, seen
    # None yet, 1–20 (Puno), 21–200 (Lima), not a region of the campaign.
    expect(page.locator("#map-key .map-legend li")).to_have_count(4)
    assert page.locator(".map-figures tbody tr").count() == 15
    page.locator("#activity-map").scroll_into_view_if_needed()
    if width == 360 and lang == "es":
        page.screenshot(path="/tmp/map-360.png")
    audit(page, f"/{lang}/mapa/ at {width} px")
    # Into Lima: its bubble opens into bubbles of their own, close together and still apart.
    for _ in range(2):
        biggest = max(page.evaluate(CLASHES)["bubbles"])
        page.locator(BUBBLES).filter(has_text=re.compile(rf"^{biggest}$")).first.dispatch_event("click")
        settle(page)
        seen = clashes(page)
        assert len(seen["bubbles"]) >= 2, seen
    page.screenshot(path=f"/tmp/map-lima-{lang}-{width}.png")
    audit.assert_clean()
    assert elsewhere(requests, mapped_site) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_asks_the_portal_alone_and_its_maps_explain_themselves(
    new_page, mapped_site, audit, lang, width
):
    page = new_page(viewport={"width": width, "height": 800})
    requests = watch_requests(page)
    for path in [*public.PAGES, "regiones/puno/"]:
        assert page.goto(f"/{lang}/{path}").status == 200, path
        if path == "mapa/":
            expect(page.locator(REGIONS)).to_have_count(15)
    page.goto(f"/{lang}/")
    expect(page.locator(OUTLINES)).to_have_count(15)
    expect(page.locator(".regions-figure .map-legend li")).to_have_count(4)
    assert page.locator("svg.regions-map text").count() >= 12
    if width == 360 and lang == "es":
        page.locator(".regions-figure").screenshot(path="/tmp/home-360.png")
    audit(page, f"/{lang}/ at {width} px")
    page.goto(f"/{lang}/regiones/")
    expect(page.locator(OUTLINES)).to_have_count(15)
    page.goto(f"/{lang}/regiones/puno/")
    expect(page.locator("svg.region-map path")).to_have_count(1)
    expect(page.locator(".region-figure .map-legend li")).to_have_count(3)
    audit(page, f"/{lang}/regiones/puno/ at {width} px")
    audit.assert_clean()
    assert elsewhere(requests, mapped_site) == []


def test_the_home_page_weighs_at_most_150_kb_with_the_boundaries_drawn(new_page, mapped_site):
    page = new_page()
    transferred, sizes = page_weight(page, "/es/")
    expect(page.locator(OUTLINES)).to_have_count(15)
    assert transferred <= HOME_BUDGET, f"{transferred} bytes: {sizes}"


def test_the_panel_maps_ask_no_other_host(new_page, login, mapped_site, coord_amazonas, amazonas):
    located = ActivityFactory(region=amazonas, latitude="-6.2294", longitude="-77.8728")
    page = login(new_page(), "coord-amazonas")
    requests = watch_requests(page)
    page.goto("/es/panel/activities/new/")
    # The coordinator's region, drawn from the shipped boundary.
    expect(page.locator("#point-map .leaflet-overlay-pane path")).to_have_count(1)
    page.goto(f"/es/panel/activities/{located.pk}/")
    expect(page.locator("#review-map .leaflet-overlay-pane path")).to_have_count(2)  # the outline and the point
    assert page.locator(".leaflet-tile").count() == 0
    assert elsewhere(requests, mapped_site) == []


def test_tiles_an_operator_sets_lie_under_the_regions(new_page, mapped_site, settings):
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": one_pixel_png()}
    page = new_page()
    requests = watch_requests(page)
    page.goto("/es/mapa/")
    expect(page.locator(REGIONS)).to_have_count(15)
    page.locator("#activity-map .leaflet-tile-loaded").first.wait_for()
    layers = page.evaluate(
        """() => ["tile", "country", "regions", "names", "overlay", "marker"].map((name) =>
             Number(getComputedStyle(document.querySelector(`#activity-map .leaflet-${name}-pane`)).zIndex))"""
    )
    assert layers == sorted(layers) and len(set(layers)) == len(layers), layers
    assert elsewhere(requests, mapped_site) == []
