"""The server-drawn maps tell what they show: with the shipped boundaries loaded, the home page's map
draws the 15 regions' outlines inside Peru's, shaded by the release's approved activities as its
legend says, names them, and says it all in its text alternative; every colour of a picture is in its
legend (no unexplained black square); without boundaries a dot per capital stands in. The region map
stays light whatever the number of places. The Leaflet map of /mapa/ gets the same shades and label
points with the page, and by default no setting lets a page ask another host for anything."""

import io
import json
import random
import re
import runpy
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from activities.disclosure import PublicCount
from campaign.maps import ACCENT, MAX_DOTS, NONE_FILL, RAMP, region_map, regions_map, shades
from regions.geo import contains
from regions.models import Region
from tests.factories import ActivityFactory

SVG = "{http://www.w3.org/2000/svg}"
SHIPPED = settings.BASE_DIR / "data" / "campaign_regions.geojson"
AMAZONAS = SimpleNamespace(name="Amazonas", capital="Chachapoyas", latitude=-6.2294, longitude=-77.8714, boundary=None)
# Approved activities per region in the release the tests publish.
ACTIVITIES = {"lima-metropolitana": 12, "cusco": 6, "puno": 3}
BLACK = {"#000", "#000000", "black"}


def dots(markup):
    """The dots of a picture (not of its legend)."""
    fig = ET.fromstring(str(markup))
    return len(list(picture(fig).iter(f"{SVG}circle")))


def figure(html, kind):
    """The figure (picture and legend) of a page, parsed: its markup is well-formed XML."""
    start = html.index(f'<figure class="map-figure {kind}"')
    end = html.index("</figure>", start) + len("</figure>")
    return ET.fromstring(html[start:end])


def picture(fig):
    return fig.find(f"{SVG}svg")


def shape_fills(svg, namespace=SVG):
    """The colour of every shape of a picture, its own or its group's; a shape without one is
    drawn black."""
    parents = {child: parent for parent in svg.iter() for child in parent}

    def fill(element):
        while element is not None and element.get("fill") is None:
            element = parents.get(element)
        return None if element is None else element.get("fill")

    shapes = {f"{namespace}{tag}" for tag in ("path", "circle", "rect")}
    return [fill(el) for el in svg.iter() if el.tag in shapes]


def legend_fills(fig):
    # The legend's swatches are inline SVG without a namespace of their own.
    return {fill for swatch in fig.iter("svg") for fill in shape_fills(swatch, namespace="")}


def legend_texts(fig):
    return ["".join(li.itertext()).strip() for li in fig.iter("li")]


def outlines(svg):
    """{region name: fill} of the regions' outlines (each titled "Name: count" for a mouse)."""
    found = {}
    for path in svg.iter(f"{SVG}path"):
        title = path.find(f"{SVG}title")
        if title is not None:
            found[title.text.rsplit(":", 1)[0]] = path.get("fill")
    return found


def labels(svg):
    return {text.text for text in svg.iter(f"{SVG}text")}


@pytest.fixture
def boundaries(db):
    call_command("import_boundaries", str(SHIPPED), code_property="inei_code", stdout=io.StringIO())
    return {region.slug: region.boundary for region in Region.objects.filter(in_campaign=True)}


@pytest.fixture
def released(publish):
    for slug, count in ACTIVITIES.items():
        region = Region.objects.get(slug=slug)
        for _ in range(count):
            ActivityFactory(region=region, status="approved", latitude=region.latitude, longitude=region.longitude)
    return publish()


# The home page's map -------------------------------------------------------------------------------


def test_the_home_map_draws_the_fifteen_shipped_outlines_shaded_by_the_release(client, boundaries, released):
    fig = figure(client.get("/en/").content.decode(), "regions-figure")
    fills = outlines(picture(fig))
    campaign = set(Region.objects.filter(in_campaign=True).values_list("name", flat=True))
    assert len(campaign) == 15 and set(fills) == campaign
    # The most active region has the darkest shade, one with none the "none yet" shade, in between lighter.
    assert fills["Lima Metropolitana"] == ACCENT
    assert fills["Loreto"] == NONE_FILL
    assert fills["Puno"] not in (ACCENT, NONE_FILL)
    assert RAMP.index(fills["Puno"]) < RAMP.index(fills["Cusco"]) < RAMP.index(fills["Lima Metropolitana"])


def test_the_home_map_has_a_legend_for_every_colour_it_uses(client, boundaries, released):
    fig = figure(client.get("/en/").content.decode(), "regions-figure")
    fills = shape_fills(picture(fig))
    assert None not in fills and not BLACK & set(fills)
    assert set(fills) <= legend_fills(fig)
    assert legend_texts(fig) == ["none yet", "1–3", "4–6", "7–12", "not a region of the campaign"]
    assert fig.find(".//p").text == "Approved activities per region"


def test_the_home_map_names_the_regions_and_lists_them_all_in_its_text_alternative(client, boundaries, released):
    svg = picture(figure(client.get("/en/").content.decode(), "regions-figure"))
    named = labels(svg)
    assert {"Loreto", "Puno", "Cusco", "Arequipa", "Madre de Dios"} <= named
    assert len(named) >= 12
    assert svg.get("role") == "img"
    title, description = (svg.find(f"{SVG}{tag}") for tag in ("title", "desc"))
    assert svg.get("aria-labelledby") == f"{title.get('id')} {description.get('id')}"
    assert title.text == "Map of the campaign's regions"
    for region in Region.objects.filter(in_campaign=True):
        count = ACTIVITIES.get(region.slug, 0)
        assert f"{region.name}: {count}" in description.text


def test_the_region_list_shows_the_same_map(client, boundaries, released):
    fig = figure(client.get("/es/regiones/").content.decode(), "regions-figure")
    assert len(outlines(picture(fig))) == 15


@translation.override("en")
def test_without_boundaries_a_dot_at_each_capital_stands_in_with_its_shade_and_name(db):
    rows = [(region, PublicCount(ACTIVITIES.get(region.slug, 0))) for region in Region.objects.filter(in_campaign=True)]
    fig = ET.fromstring(str(regions_map(rows, {})))
    svg = picture(fig)
    assert outlines(svg) == {}
    assert len(list(svg.iter(f"{SVG}circle"))) == 15
    fills = shape_fills(svg)
    # Peru's outline, from the shipped departments, and a dot per capital, each colour in the legend.
    assert None not in fills and set(fills) <= legend_fills(fig)
    assert len(labels(svg)) >= 12


@translation.override("en")
def test_the_shades_split_the_regions_with_activities_into_up_to_four_classes():
    classes = shades([0, 0, 3, 12, 40, 95, 120, 285, 7, 64])
    assert [str(shade) for shade in classes] == ["none yet", "1–7", "8–40", "41–95", "96–285"]
    assert [shade.fill for shade in classes] == [NONE_FILL, *RAMP]
    # Every count falls in exactly one class; the largest always in the darkest.
    for value in range(0, 286):
        assert sum(shade.holds(value) for shade in classes) == 1
    assert [str(shade) for shade in shades([5, 5, 5])] == ["none yet", "1–5"]
    assert shades([5, 5, 5])[-1].fill == ACCENT
    assert [str(shade) for shade in shades([0, 0])] == ["none yet"]


# A region's map ------------------------------------------------------------------------------------


def test_the_region_map_draws_its_outline_places_and_named_capital_all_in_its_legend(client, boundaries, released):
    html = client.get("/en/regiones/puno/").content.decode()
    fig = figure(html, "region-figure")
    svg = picture(fig)
    fills = shape_fills(svg)
    assert None not in fills
    # The black square is the capital, and the legend says so.
    assert set(fills) <= legend_fills(fig)
    assert legend_texts(fig) == [
        "Puno: 3 approved activities, shaded as on the map of the regions",
        "a place with approved activities (about 1 km)",
        "the capital, Puno",
    ]
    # Shaded as on the home page's map, where Puno has the lightest shade of three.
    assert picture(fig).find(f"{SVG}path").get("fill") == RAMP[1]
    assert "Puno" in labels(svg)
    assert fig.find(".//p").text == "Legend"
    assert "1 place where approved activities took place" in svg.find(f"{SVG}desc").text
    assert len(list(svg.iter(f"{SVG}path"))) == 1


@translation.override("en")
def test_places_far_apart_keep_a_dot_each():
    points = [(-6.0, -78.0), (-6.2, -77.8), (-5.9, -77.6)]
    assert dots(region_map(AMAZONAS, points)) == 3


def test_a_region_without_a_boundary_is_drawn_not_printed_as_text():
    svg = str(region_map(AMAZONAS, [(-6.0, -78.0)]))
    assert "&lt;" not in svg
    assert "<rect" in svg and "Chachapoyas" in svg


def test_thousands_of_places_draw_at_most_max_dots():
    rng = random.Random(1)
    points = [(round(rng.uniform(-6.6, -5.8), 2), round(rng.uniform(-78.3, -77.4), 2)) for _ in range(20_000)]
    svg = str(region_map(AMAZONAS, points))
    assert 0 < dots(svg) <= MAX_DOTS
    assert len(svg) < 40_000


# The activity map's base ---------------------------------------------------------------------------


def map_base(html):
    found = re.search(r'<script id="map-base" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_the_activity_map_page_carries_the_shades_label_points_legend_and_table(client, boundaries, released):
    html = client.get("/en/mapa/").content.decode()
    base = map_base(html)
    campaign = Region.objects.filter(in_campaign=True)
    assert base["fills"]["lima-metropolitana"] == ACCENT and base["fills"]["loreto"] == NONE_FILL
    assert set(base["fills"]) == {region.slug for region in campaign}
    # Each name goes inside its own region, largest region first.
    by_name = {region.name: region for region in campaign}
    assert [label["name"] for label in base["labels"]][0] == "Loreto"
    for label in base["labels"]:
        assert contains(by_name[label["name"]].boundary, label["lat"], label["lon"]), label
    assert base["country"]["outline"]["type"] in ("Polygon", "MultiPolygon")
    key = html[html.index('<div id="map-key" hidden>') :]
    assert '<div class="map-legend">' in key[:200]
    assert re.search(r'<th scope="row"><a href="/en/regiones/cusco/">Cusco</a></th><td data-field="activities" '
                     r'class="num">6</td>', html)  # fmt: skip


# Tiles are the operator's choice -------------------------------------------------------------------


def settings_with(monkeypatch, **environment):
    for name in ("LEAFLET_TILES_URL", "CSP_IMG_SRC"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(settings.BASE_DIR / "prevent_protect" / "settings.py"))


def test_by_default_no_tiles_and_images_from_the_portal_only(monkeypatch):
    fresh = settings_with(monkeypatch)
    assert fresh["LEAFLET_CONFIG"]["TILES"] == ""
    assert fresh["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == ["'self'", "data:", "blob:"]


def test_a_tile_url_lets_its_host_alone_into_the_image_sources(monkeypatch):
    fresh = settings_with(monkeypatch, LEAFLET_TILES_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert fresh["LEAFLET_CONFIG"]["TILES"] == "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    assert fresh["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"][3:] == ["https://*.tiles.example.org"]
    fresh = settings_with(
        monkeypatch, LEAFLET_TILES_URL="https://maps.example.gob.pe/t/{z}/{x}/{y}.png", CSP_IMG_SRC="https://a.example"
    )
    assert fresh["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"][3:] == [
        "https://maps.example.gob.pe",
        "https://a.example",
    ]
    # Tiles the portal serves itself need nothing more than 'self'.
    fresh = settings_with(monkeypatch, LEAFLET_TILES_URL="/tiles/{z}/{x}/{y}.png")
    assert fresh["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == ["'self'", "data:", "blob:"]


def test_the_public_pages_policy_names_no_tile_server(client, boundaries, released):
    for path in ("/es/", "/es/mapa/", "/es/regiones/puno/"):
        policy = client.get(path)["Content-Security-Policy"]
        img_src = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
        assert "http" not in img_src, img_src
