"""The installable panel as the phone's browser fetches it: the manifest, the service worker's script
and the outbox page; and the plain form, which still takes photos and a submission without script."""

import io
import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation
from PIL import Image

from activities.models import Activity

pytestmark = pytest.mark.django_db


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG")
    out.seek(0)
    out.name = "IMG_0001.jpg"
    return out


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_manifest_installs_the_panel_of_its_language(client, lang):
    with translation.override(lang):
        url = reverse("activities:manifest")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == f"/{lang}/panel/"
    assert manifest["lang"] == lang and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_the_worker_lists_the_pages_and_files_it_keeps_and_is_never_cached(client):
    response = client.get("/es/panel/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert '"/es/panel/activities/new/"' in body and '"/es/panel/outbox/"' in body
    assert "/static/js/outbox.js" in body and "/static/leaflet/leaflet.js" in body
    # It names no person and no activity: a phone may fetch it before anyone signs in.
    assert "coord-" not in body and "api/v1" not in body


def test_a_new_release_gives_the_worker_a_new_version(client, settings):
    def version():
        body = client.get("/es/panel/sw.js").content.decode()
        return body.split('var VERSION = "', 1)[1].split('"', 1)[0]

    before = version()
    assert version() == before  # the same files, the same version
    settings.PANEL_APP_VERSION = "2027.1"
    assert version() != before


def test_the_outbox_page_needs_a_session(client):
    response = client.get("/es/panel/outbox/")
    assert response.status_code == 302 and response.url.startswith("/es/accounts/login/")


def test_panel_pages_carry_the_manifest_the_worker_and_the_server_checks(amazonas_client):
    page = amazonas_client.get("/es/panel/activities/new/").content.decode()
    assert 'rel="manifest" href="/es/panel/manifest.webmanifest"' in page
    config = json.loads(page.split('<script id="panel-app" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["sw"] == "/es/panel/sw.js" and config["api"] == "/api/v1/activities/"
    # The phone checks a submission offline with the server's own words.
    assert config["checks"]["participants"] == "Agregue al menos un participante."
    assert {"objective", "service", "title", "place_name", "description", "evidence", "families"} <= set(
        config["checks"]
    )


def test_public_pages_install_nothing(client):
    page = client.get("/es/").content.decode()
    assert "manifest.webmanifest" not in page and "outbox.js" not in page


class TestThePlainForm:
    """Without script (or without IndexedDB) the form posts itself, photos and all."""

    @pytest.fixture(autouse=True)
    def form(self, amazonas):
        counts = dict.fromkeys(["girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men", "families"], 0)
        self.fields = {"region": amazonas.pk, "title": "Taller", "modality": "in_person", **counts}

    def test_photos_sent_with_a_new_activity_are_attached(self, amazonas_client, amazonas):
        data = {**self.fields, "intent": "draft", "photos": [jpeg(), jpeg()]}
        response = amazonas_client.post("/es/panel/activities/new/", data)
        activity = Activity.objects.get()
        assert response.status_code == 302 and response.url == activity.get_absolute_url()
        assert activity.evidence.count() == 2

    def test_submit_leads_to_the_check_of_the_answers(self, amazonas_client, amazonas):
        data = {**self.fields, "intent": "submit", "photos": [jpeg()]}
        response = amazonas_client.post("/es/panel/activities/new/", data)
        activity = Activity.objects.get()
        assert response.url == reverse("activities:submit_check", args=[activity.pk])
        assert activity.status == Activity.Status.DRAFT  # sent only from the check page

    def test_a_refused_file_keeps_the_draft_and_says_which_reason(self, amazonas_client, amazonas):
        text = io.BytesIO(b"not a photo at all")
        text.name = "notes.jpg"
        data = {**self.fields, "intent": "submit", "photos": [text]}
        response = amazonas_client.post("/es/panel/activities/new/", data, follow=True)
        activity = Activity.objects.get()
        assert activity.evidence.count() == 0
        assert response.redirect_chain[-1][0] == activity.get_absolute_url()  # not to the check page
        messages = [str(message) for message in response.context["messages"]]
        assert any(message.startswith("Borrador guardado, pero un archivo no se adjuntó:") for message in messages)
