"""Every public page answers in Spanish and English, names itself for search engines and social
previews, shows the help lines and the quick exit, and reads without script."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from campaign.content import NEUTRAL_SITE
from campaign.models import News
from tests.factories import ActivityFactory, InstitutionFactory

from .public import LANGUAGES, PAGES

HOME_BUDGET = 150 * 1024


@pytest.fixture
def site(amazonas, publish):
    activity = ActivityFactory(
        title="Taller de crianza positiva", status="approved", latitude="-6.23", longitude="-77.87", families=14
    )
    InstitutionFactory(name="UGEL Chachapoyas", actuemos_ya_since="2025-02-01")
    news = News.objects.create(
        title="Lanzamiento en Amazonas", slug="lanzamiento", body="La campaña llega a **Amazonas**.",
        published_at=timezone.now(),
    )  # fmt: skip
    release = publish()
    return {"activity": activity, "news": news, "release": release}


def all_pages():
    return [*PAGES, "noticias/lanzamiento/"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", all_pages())
class TestEveryPage:
    def test_answers_in_its_language(self, client, site, lang, path):
        response = client.get(f"/{lang}/{path}")
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in response.content.decode()

    def test_names_itself_and_its_other_language(self, client, site, lang, path):
        html = client.get(f"/{lang}/{path}").content.decode()
        bare = path.split("?")[0]
        assert re.search(r"<title>[^<]+ · MIMP</title>", html)
        assert '<meta name="description" content="' in html
        assert f'<link rel="canonical" href="https://prevenir.example.pe/{lang}/{bare}">' in html
        for code in LANGUAGES:
            assert f'<link rel="alternate" hreflang="{code}" href="https://prevenir.example.pe/{code}/{bare}">' in html
        assert f'hreflang="x-default" href="https://prevenir.example.pe/es/{bare}"' in html
        for tag in ("og:title", "og:description", "og:url", "og:type", "og:locale"):
            assert f'<meta property="{tag}" content="' in html

    def test_shows_the_help_lines_and_the_quick_exit(self, client, site, lang, path):
        html = client.get(f"/{lang}/{path}").content.decode()
        assert 'href="tel:100"' in html and 'href="tel:105"' in html
        assert "Chat 100" in html
        assert f'<a id="quick-exit" class="quick-exit" href="{NEUTRAL_SITE}"' in html

    def test_links_to_the_same_page_in_the_other_language(self, client, site, lang, path):
        html = client.get(f"/{lang}/{path}").content.decode()
        other = "en" if lang == "es" else "es"
        assert f'href="/{other}/{path}" hreflang="{other}" lang="{other}"' in html.replace("&amp;", "&")

    def test_says_whose_site_it_is(self, client, site, lang, path):
        html = client.get(f"/{lang}/{path}").content.decode()
        assert '<link rel="icon" href="/static/icons/favicon.svg" type="image/svg+xml">' in html
        identity = html.split('<div class="gov-identity">')[1].split("</div>")[0]
        assert "PERÚ" in identity and 'href="https://www.gob.pe/mimp"' in identity
        footer = html.split('<footer class="site-footer">')[1]
        for page in ("aviso-legal", "privacidad"):
            assert f'href="/{lang}/{page}/"' in footer

    def test_carries_no_csrf_token_so_it_can_be_cached(self, client, site, lang, path):
        assert "csrfmiddlewaretoken" not in client.get(f"/{lang}/{path}").content.decode()


@pytest.mark.parametrize("lang", LANGUAGES)
class TestContentWithoutScript:
    def test_home(self, client, site, lang):
        html = client.get(f"/{lang}/").content.decode()
        for text in ("OE1", "OE4", "Amazonas", "Lanzamiento en Amazonas", "18 711", "Andina"):
            assert text in html
        assert 'class="regions-map"' in html
        assert "<script" not in html.replace('<script src="/static/js/quick-exit.js" defer></script>', "")

    def test_region_page(self, client, site, lang):
        html = client.get(f"/{lang}/regiones/amazonas/").content.decode()
        for text in ("Chachapoyas", "Taller de crianza positiva", "UGEL Chachapoyas", 'class="region-map"'):
            assert text in html
        service = site["activity"].service
        assert service.name in html  # the service active there, by its own (Spanish) name in both languages

    def test_program_names_stay_spanish_with_an_english_gloss(self, client, site, lang):
        html = client.get(f"/{lang}/programas/inabif/").content.decode()
        assert '<h3 lang="es">Familias con Punche</h3>' in html
        assert ('<p class="gloss">With Punch Families</p>' in html) is (lang == "en")
        assert "With Punch Families</h" not in html

    def test_objective_and_program_pages(self, client, site, lang):
        objective = client.get(f"/{lang}/objetivos/oe1/").content.decode()
        assert "Hombres por la igualdad" in objective or "Men for equality" in objective
        program = client.get(f"/{lang}/programas/warmi-nan/").content.decode()
        assert "Warmi Ñan" in program and "AURORA" in program

    def test_map_lists_the_activities_and_filters_by_get(self, client, site, lang):
        html = client.get(f"/{lang}/mapa/").content.decode()
        assert "Taller de crianza positiva" in html
        assert '<select name="objective"' in html and '<select name="service"' in html
        filtered = client.get(f"/{lang}/mapa/", {"objective": "OE2"}).content.decode()
        assert "Taller de crianza positiva" not in filtered

    def test_statistics_has_tables_and_charts_and_the_context(self, client, site, lang):
        html = client.get(f"/{lang}/estadisticas/").content.decode()
        assert html.count("<table>") == 6  # sex and age, region, objective, year, quarter, month
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
        assert "18 711" in html and "Andina" in html

    def test_open_data_lists_the_files_and_their_dictionary(self, client, site, lang):
        html = client.get(f"/{lang}/datos-abiertos/").content.decode()
        for name in (
            "cifras-region-objetivo.csv", "cifras-periodo.csv", "cifras-servicio.csv", "cifras-region-anio.csv",
            "regiones.geojson", "actividades.csv", "actividades.geojson", "datapackage.json", "catalogo.jsonld",
        ):  # fmt: skip
            assert f"/{lang}/datos-abiertos/{name}" in html
        for field in ("participants", "adolescent_girls", "latitude", "objective_code", "period", "inei_code"):
            assert f"<code>{field}</code>" in html

    def test_news(self, client, site, lang):
        assert "Lanzamiento en Amazonas" in client.get(f"/{lang}/noticias/").content.decode()
        assert "<strong>Amazonas</strong>" in client.get(f"/{lang}/noticias/lanzamiento/").content.decode()


@pytest.mark.parametrize(
    "path", ["regiones/atlantida/", "objetivos/oe9/", "programas/aurora/", "noticias/no-existe/", "regiones/%20/"]
)
def test_unknown_pages_are_404(client, site, path):
    assert client.get(f"/es/{path}").status_code == 404


def test_pages_refuse_writes(client, site):
    assert client.post("/es/regiones/").status_code == 405


def test_a_bad_filter_value_filters_nothing(client, site):
    # (A page number no link makes is a 400: tests/test_hostile_inputs.py.)
    response = client.get("/es/mapa/", {"objective": "OE9", "service": "nada"})
    assert response.status_code == 200
    assert "Taller de crianza positiva" in response.content.decode()


def test_the_list_pages_through_the_activities(client, amazonas, publish):
    ActivityFactory.create_batch(30, status="approved")
    publish()
    first = client.get("/es/mapa/").content.decode()
    second = client.get("/es/mapa/", {"page": 2}).content.decode()
    assert first.count("<li data-objective") == 25 and 'rel="next"' in first
    assert second.count("<li data-objective") == 5 and 'rel="prev"' in second and 'rel="next"' not in second


def test_the_home_page_and_what_it_loads_weigh_at_most_150_kb(client, site):
    html = client.get("/es/").content
    assets = re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
    sizes = [Path(finders.find(asset.decode())).stat().st_size for asset in assets]
    assert {a.decode() for a in assets} == {"css/portal.css", "css/public.css", "js/quick-exit.js"}
    assert len(html) + sum(sizes) <= HOME_BUDGET


def test_the_site_icon_answers_at_its_conventional_address(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.parametrize(
    ("lang", "path", "heading"),
    [("es", "aviso-legal/", "Aviso legal"), ("en", "aviso-legal/", "Legal notice"),
     ("es", "privacidad/", "Privacidad"), ("en", "privacidad/", "Privacy")],
)  # fmt: skip
def test_the_notices_speak_the_pages_language(client, site, lang, path, heading):
    assert f"<h1>{heading}</h1>" in client.get(f"/{lang}/{path}").content.decode()
