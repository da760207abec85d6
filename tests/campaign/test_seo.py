"""Search engines and link previews: /sitemap.xml lists every public page in both languages with
their alternates, /robots.txt keeps crawlers out of the private parts, pages name their canonical URL."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from campaign.models import News

SITE = "https://prevenir.example.pe"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def sitemap(client, db):
    News.objects.create(title="Publicada", slug="publicada", body="a", published_at=timezone.now())
    News.objects.create(title="Borrador", slug="borrador", body="b")
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def test_the_sitemap_lists_every_public_page_in_both_languages(sitemap):
    locations = {url.find("s:loc", NS).text for url in sitemap.findall("s:url", NS)}
    for lang in ("es", "en"):
        for path in ("", "ayuda/", "ayuda/cem/", "aviso-legal/", "privacidad/", "regiones/", "regiones/amazonas/",
                     "regiones/tumbes/", "objetivos/oe4/", "programas/inabif/", "mapa/", "estadisticas/",
                     "datos-abiertos/", "noticias/", "noticias/publicada/"):  # fmt: skip
            assert f"{SITE}/{lang}/{path}" in locations
    assert not any("borrador" in url or "/panel/" in url or "/admin/" in url for url in locations)
    assert len(locations) == 2 * (13 + 15 + 4 + 2 + 1)


def test_each_sitemap_entry_names_its_alternates(sitemap):
    for url in sitemap.findall("s:url", NS):
        links = {link.get("hreflang"): link.get("href") for link in url.findall("x:link", NS)}
        assert set(links) == {"es", "en"}
        assert url.find("s:loc", NS).text in links.values()


def test_news_in_the_sitemap_say_when_they_changed(sitemap):
    news = [url for url in sitemap.findall("s:url", NS) if "/noticias/publicada/" in url.find("s:loc", NS).text]
    assert news and all(url.find("s:lastmod", NS) is not None for url in news)


def test_robots_keeps_crawlers_out_of_private_parts_and_points_to_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for path in ("/admin/", "/api/", "/es/panel/", "/en/panel/", "/es/accounts/"):
        assert f"Disallow: {path}\n" in body
    assert f"Sitemap: {SITE}/sitemap.xml" in body
    assert "Disallow: /\n" not in body


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_filtered_map_is_canonical_to_the_map(client, db, lang):
    html = client.get(f"/{lang}/mapa/", {"objective": "OE1", "page": "2"}).content.decode()
    assert f'<link rel="canonical" href="{SITE}/{lang}/mapa/">' in html


def test_open_graph_describes_the_page_in_its_language(client, db):
    html = client.get("/en/regiones/puno/").content.decode()
    assert '<meta property="og:title" content="Puno">' in html
    assert '<meta property="og:locale" content="en_US">' in html
    assert '<meta property="og:locale:alternate" content="es_PE">' in html
    assert re.search(r'<meta name="description" content="[^"]*Puno[^"]*">', html)


def test_a_news_item_is_an_article_with_its_summary(client, db):
    News.objects.create(title="Red en Puno", slug="red", body="**Cuarenta** líderes.", published_at=timezone.now())
    html = client.get("/es/noticias/red/").content.decode()
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="description" content="Cuarenta líderes.">' in html


def test_the_panel_is_not_described_as_a_public_page(client, coord_amazonas):
    client.force_login(coord_amazonas)
    html = client.get("/es/panel/").content.decode()
    assert 'rel="canonical"' not in html
