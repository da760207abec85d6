"""News: staff write Markdown in the admin; visitors read sanitised HTML, published items only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.markdown import is_local, plain_text, render_markdown
from campaign.models import News

HOSTILE = """# Un título

<script>alert("hola")</script>
<img src="/static/img/ok.png" onerror="alert(1)" alt="local">
<img src=x onerror=alert(2)>
![remota](https://tracker.example/pixel.png)
<img src="//tracker.example/a.png" alt="sin esquema">
<img src="/\\tracker.example/b.png" alt="barra invertida">
<img src="data:image/png;base64,AAAA" alt="data">
[clic](javascript:alert(3)) <a href="JaVaScRiPt:alert(4)">otro</a> <a href="https://www.mimp.gob.pe">MIMP</a>
<iframe src="https://evil.example/"></iframe>
<a href="/es/" onclick="steal()" onmouseover="steal()">inicio</a>
<style>body { display: none }</style>
<form action="https://evil.example/"><input name="q"></form>
<svg onload="alert(5)"><script>alert(6)</script></svg>
<object data="https://evil.example/x.swf"></object>
<p style="position:fixed">fijo</p>
"""


@pytest.fixture
def hostile_news(db):
    return News.objects.create(title="Noticia hostil", slug="hostil", body=HOSTILE, published_at=timezone.now())


class TestSanitising:
    @pytest.fixture
    def html(self, client, hostile_news):
        response = client.get("/es/noticias/hostil/")
        assert response.status_code == 200
        return response.content.decode().split('<div class="news-body"', 1)[1].split("</article>", 1)[0]

    def test_no_script_runs(self, html):
        lowered = html.lower()
        for tag in ("<script", "<iframe", "<style", "<form", "<input", "<object", "<svg", "<embed"):
            assert tag not in lowered
        assert "alert(" not in html

    def test_no_event_handler_or_style(self, html):
        for attribute in ("onerror", "onclick", "onmouseover", "onload", "style="):
            assert attribute not in html.lower()

    def test_no_javascript_link(self, html):
        assert "javascript:" not in html.lower()

    def test_links_are_nofollow_noopener(self, html):
        assert '<a href="https://www.mimp.gob.pe" rel="nofollow noopener">MIMP</a>' in html
        assert '<a href="/es/" rel="nofollow noopener">inicio</a>' in html

    def test_remote_images_are_dropped_and_local_ones_kept(self, html):
        assert "tracker.example" not in html and "data:image" not in html
        assert '<img src="/static/img/ok.png" alt="local">' in html
        assert html.count("<img") == 2  # ok.png, and "x", which is a relative address on this site

    def test_the_body_headings_start_below_the_page_title(self, html):
        assert "<h2>Un título</h2>" in html and "<h1" not in html


@pytest.mark.parametrize(
    ("src", "local"),
    [
        ("/static/a.png", True),
        ("img/a.png", True),
        ("https://x.example/a.png", False),
        ("//x.example/a.png", False),
        ("/\\x.example/a.png", False),
        ("\\\\x.example/a.png", False),
        ("/\t/x.example/a.png", False),
        ("data:image/png;base64,AA", False),
        ("", False),
        (None, False),
    ],
)
def test_what_counts_as_a_local_image(src, local):
    assert is_local(src) is local


def test_plain_text_has_no_markup():
    assert plain_text("**Hola** <b>mundo</b> & [enlace](https://x)") == "Hola mundo & enlace"


def test_rendering_is_marked_safe_only_after_cleaning():
    assert str(render_markdown("<b onclick=x>a</b>")) == "<p><b>a</b></p>"


class TestPublishing:
    @pytest.fixture
    def items(self, db):
        now = timezone.now()
        return {
            "published": News.objects.create(title="Publicada", slug="publicada", body="a", published_at=now),
            "draft": News.objects.create(title="Borrador de noticia", slug="borrador", body="b"),
            "later": News.objects.create(
                title="Programada", slug="programada", body="c", published_at=now + datetime.timedelta(days=2)
            ),
        }

    @pytest.mark.parametrize("lang", ["es", "en"])
    def test_only_published_items_are_listed(self, client, items, lang):
        html = client.get(f"/{lang}/noticias/").content.decode()
        assert "Publicada" in html
        assert "Borrador de noticia" not in html and "Programada" not in html

    @pytest.mark.parametrize("slug", ["borrador", "programada"])
    def test_a_draft_or_future_item_is_404(self, client, items, slug):
        assert client.get(f"/es/noticias/{slug}/").status_code == 404

    def test_drafts_stay_out_of_the_home_page_and_the_sitemap(self, client, items):
        assert "Borrador de noticia" not in client.get("/es/").content.decode()
        assert "borrador" not in client.get("/sitemap.xml").content.decode()

    def test_english_pages_fall_back_to_spanish_marked_as_spanish(self, client, items):
        html = client.get("/en/noticias/publicada/").content.decode()
        assert '<h1 lang="es">Publicada</h1>' in html

    def test_english_text_when_there_is_one(self, client, items):
        News.objects.filter(slug="publicada").update(title_en="Published", body_en="In English")
        html = client.get("/en/noticias/publicada/").content.decode()
        assert '<h1 lang="en">Published</h1>' in html and "In English" in html


def test_staff_write_news_in_the_admin_and_are_kept_as_author(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:campaign_news_add"),
        {"title": "Nueva", "title_en": "", "slug": "nueva", "body": "Texto", "body_en": "", "published_at_0": "",
         "published_at_1": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert News.objects.get(slug="nueva").author == staff


def test_a_coordinator_cannot_write_news(client, coord_amazonas):
    client.force_login(coord_amazonas)
    assert client.get(reverse("admin:campaign_news_add")).status_code in (302, 403)


def test_the_author_is_never_shown(client, staff):
    News.objects.create(title="Con autor", slug="con-autor", body="x", published_at=timezone.now(), author=staff)
    for url in ("/es/noticias/", "/es/noticias/con-autor/", "/es/"):
        html = client.get(url).content.decode()
        assert staff.username not in html and staff.email not in html
