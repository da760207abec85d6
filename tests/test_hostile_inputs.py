"""What a hostile or broken client sends is refused plainly, never a 500 and never half-saved:
a NUL character or bytes that are not UTF-8 in an address or a form (one middleware,
prevent_protect/input_guard.py), page numbers no link makes (prevent_protect/query.py), a flood
of password reset emails, and log lines that would corrupt the data a command writes to stdout."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from accounts.forms import RESET_LIMITS
from activities.models import Activity
from campaign.models import News
from publication.services import release_publish
from regions.models import Region

from .factories import ActivityFactory
from .factories import activity_form_data as form_data

ROOT = Path(__file__).resolve().parents[1]
GUARD_MESSAGE = (
    "The address or the form contains a null character or text that is not UTF-8, which the portal "
    "cannot read. Check what was typed or pasted, and try again."
)


def url(name, lang="es", *args):
    with translation.override(lang):
        return reverse(name, args=args)


def assert_guard_page(response, lang):
    """The middleware's 400 page: in the request's language, with the help lines, no form."""
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    with translation.override(lang):
        assert gettext(GUARD_MESSAGE) in page
    assert 'href="tel:100"' in page
    assert "<form" not in page


def assert_guard_error(response):
    """The middleware's 400 under /api/: the API's documented error shape."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"status": 400, "code": "invalid_characters", "message": GUARD_MESSAGE}}


@pytest.fixture
def released(amazonas, django_capture_on_commit_callbacks):
    """A public release with a few approved activities, so the public lists have rows."""
    for _ in range(3):
        ActivityFactory(region=amazonas, status="approved", approved_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        return release_publish()


# NUL and bytes that are not UTF-8 -----------------------------------------------------------------


class TestTheQueryString:
    @pytest.mark.parametrize(
        "query",
        [
            "region=%00",
            "q=Taller%00comunal",
            "%00=1",  # in a name as well as in a value
            "q=%ff%fe",  # bytes that are not UTF-8
            "q=%ed%a0%80",  # an encoded surrogate is not UTF-8 either
            "q=%C3",  # a character cut in half
        ],
    )
    def test_a_public_page_answers_400_in_the_visitors_language(self, client, released, query):
        assert_guard_page(client.get(f"/es/mapa/?{query}"), "es")
        assert_guard_page(client.get(f"/en/mapa/?{query}"), "en")

    def test_raw_bytes_that_are_not_utf8_are_refused_too(self, client, released):
        # Sent without percent escapes; WSGI hands the bytes over as latin-1 text.
        assert_guard_page(client.generic("GET", "/es/mapa/", QUERY_STRING="q=Jun\xedn"), "es")

    def test_a_panel_page_answers_400(self, amazonas_client):
        assert_guard_page(amazonas_client.get("/en/panel/activities/?q=%00"), "en")

    def test_a_staff_page_answers_400(self, staff_client):
        assert_guard_page(staff_client.get("/es/panel/review/?q=taller%00"), "es")

    @pytest.mark.parametrize(
        "path",
        ["/api/v1/activities/?region=%00", "/api/v1/activities/geojson/?region=%00", "/api/v1/regions/?q=%ff"],
    )
    def test_the_api_answers_400_in_its_error_shape(self, released, path):
        assert_guard_error(APIClient().get(path, HTTP_ACCEPT_LANGUAGE="en"))

    def test_a_signed_in_api_caller_gets_the_same(self, coord_amazonas):
        api = APIClient()
        api.force_authenticate(coord_amazonas)
        assert_guard_error(api.get("/api/v1/activities/?search=%00", HTTP_ACCEPT_LANGUAGE="en"))

    def test_a_nul_in_the_path_is_refused(self, client):
        assert client.get("/api/v1/regions/ama%00zonas/").status_code == 400

    @pytest.mark.parametrize("value", ["Jun%C3%ADn", "%C3%81ncash+%C3%B1", "%E2%9C%93", ""])
    def test_text_in_utf8_still_passes(self, client, released, value):
        # The check must not refuse what people type: accents, ñ, any UTF-8.
        assert client.get(f"/es/mapa/?q={value}").status_code == 200
        assert APIClient().get(f"/api/v1/activities/?search={value}").status_code == 200


class TestForms:
    def test_a_nul_in_the_login_form_is_refused_and_nobody_is_signed_in(self, client, coord_amazonas):
        response = client.post(url("login", "en"), {"username": "coord-amazonas\x00", "password": "secret-pass-123"})
        assert_guard_page(response, "en")
        assert "_auth_user_id" not in client.session

    def test_a_nul_in_the_activity_title_saves_nothing(self, amazonas_client, amazonas):
        # The test client posts multipart, as the panel's form does.
        response = amazonas_client.post(url("activities:create", "en"), form_data(amazonas, title="Taller\x00"))
        assert_guard_page(response, "en")
        assert not Activity.objects.exists()

    def test_an_urlencoded_form_is_read_the_same_way(self, amazonas_client, amazonas):
        for title in ("Taller%00", "Taller%ff"):
            body = urlencode(form_data(amazonas, title="TITLE")).replace("TITLE", title)
            response = amazonas_client.post(
                url("activities:create", "es"), body, content_type="application/x-www-form-urlencoded"
            )
            assert_guard_page(response, "es")
        assert not Activity.objects.exists()

    def test_the_same_form_without_the_nul_is_saved(self, amazonas_client, amazonas):
        response = amazonas_client.post(url("activities:create"), form_data(amazonas, title="Taller en Jumbilla"))
        assert response.status_code == 302
        assert Activity.objects.get().title == "Taller en Jumbilla"


class TestJsonBodies:
    """A JSON string may spell NUL (\\u0000) or half a surrogate pair (\\ud800): PostgreSQL stores
    neither, and dropping them would save text other than what the client believes it saved."""

    @pytest.fixture
    def api(self, coord_amazonas):
        api = APIClient()
        api.force_authenticate(coord_amazonas)
        return api

    def post(self, api, data):
        body = json.dumps(data)  # escapes the NUL and the surrogate as \u0000 and \ud800
        return api.post("/api/v1/activities/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")

    @pytest.mark.parametrize("title", ["Taller\x00", "Taller \ud800"])
    def test_are_refused_and_nothing_is_saved(self, api, amazonas, title):
        assert_guard_error(self.post(api, form_data(amazonas, title=title)))
        assert not Activity.objects.exists()

    def test_a_nul_in_a_name_is_refused(self, api, amazonas):
        assert_guard_error(self.post(api, {**form_data(amazonas), "tit\x00le": "x"}))
        assert not Activity.objects.exists()

    def test_the_text_backslash_u0000_is_an_ordinary_title(self, api, amazonas):
        # Six characters typed by a person, escaped in JSON as "\\u0000": nothing to refuse.
        response = self.post(api, form_data(amazonas, title="Taller \\u0000"))
        assert response.status_code == 201, response.content
        assert Activity.objects.get().title == "Taller \\u0000"


class TestCookies:
    """A session cookie with a NUL went to PostgreSQL in the session lookup: a 500 on every page."""

    # Long enough to pass the session store's length check and reach its query.
    @pytest.mark.parametrize("value", ["abcdefghij\x00klmnopqrst", '"abcdefghij\\000klmnopqrst"'])
    def test_a_cookie_with_a_nul_is_dropped_and_the_visitor_is_anonymous(self, client, released, value):
        client.cookies["sessionid"] = value
        assert client.get("/es/").status_code == 200
        assert APIClient().get("/api/v1/activities/", HTTP_COOKIE=f"sessionid={value}").status_code == 200

    def test_a_signed_in_coordinator_keeps_her_session_beside_a_bad_cookie(self, amazonas_client):
        amazonas_client.cookies["tracker"] = "x\x00y"
        response = amazonas_client.get(url("activities:panel"))
        assert response.status_code == 200
        assert response.wsgi_request.user.username == "coord-amazonas"


# Dates ------------------------------------------------------------------------------------------


class TestImplausibleDates:
    """One activity dated 0025 (for 2025) once made the public statistics an error page for every
    visitor. The campaign began in 2024 and plans at most to the end of next year: the form, the
    API and the spreadsheet import refuse anything else on its field, and nothing is saved."""

    def test_the_panel_form_refuses_it_on_its_field(self, amazonas_client, amazonas):
        response = amazonas_client.post(url("activities:create", "en"), form_data(amazonas, start_date="0025-04-02"))
        assert response.status_code == 400
        assert "Give a date from 1 Jan 2024 to 31 Dec" in str(response.context["form"].errors["start_date"])
        assert not Activity.objects.exists()

    def test_the_date_picker_offers_only_those_dates(self, amazonas_client):
        html = amazonas_client.get(url("activities:create", "en")).content.decode()
        last = f"{timezone.localdate().year + 1}-12-31"
        assert html.count(f'min="2024-01-01" max="{last}"') == 2

    @pytest.mark.parametrize("day", ["0025-04-02", "9999-12-31", "2023-12-31"])
    def test_the_api_refuses_it_on_its_field(self, coord_amazonas, amazonas, day):
        api = APIClient()
        api.force_authenticate(coord_amazonas)
        body = json.dumps(form_data(amazonas, start_date=day, end_date=day))
        response = api.post("/api/v1/activities/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, response.content
        assert {"start_date", "end_date"} <= set(response.json()["error"]["fields"])
        assert not Activity.objects.exists()


# Page numbers ------------------------------------------------------------------------------------

BAD_PAGE_NUMBERS = ["99999999999999999999999", "2147483648", "-1", "0", "abc", "1.5", "1e3", " 1", "%D9%A3"]


@pytest.fixture
def news(db):
    for number in range(12):
        News.objects.create(title=f"Noticia {number}", slug=f"noticia-{number}", body="…", published_at=timezone.now())


class TestPageNumbers:
    PAGES = {
        "map": ("/es/mapa/", "client"),
        "news": ("/es/noticias/", "client"),
        "activities": ("/es/panel/activities/", "amazonas_client"),
        "review queue": ("/es/panel/review/", "staff_client"),
        "reports": ("/es/panel/reports/", "amazonas_client"),
    }

    @pytest.fixture(params=PAGES)
    def paginated(self, request, released, news):
        path, who = self.PAGES[request.param]
        return path, request.getfixturevalue(who)

    @pytest.mark.parametrize("number", BAD_PAGE_NUMBERS)
    def test_a_number_no_link_makes_is_400(self, paginated, number):
        path, client = paginated
        assert client.get(f"{path}?page={number}").status_code == 400

    @pytest.mark.parametrize("number", ["", "1", "2", "2147483647"])
    def test_a_whole_number_opens_a_page_even_past_the_end(self, paginated, number):
        path, client = paginated
        assert client.get(f"{path}?page={number}").status_code == 200

    def test_past_the_end_a_list_shows_its_last_page(self, client, news):
        response = client.get("/es/noticias/?page=2147483647")
        assert response.context["page"].number == 2

    @pytest.mark.parametrize("limit", ["abc", "0", "-5", "99999999999999999999999"])
    def test_the_map_files_limit_is_a_whole_number_too(self, client, released, limit):
        assert client.get(f"/es/datos-abiertos/actividades.geojson?limit={limit}").status_code == 400

    def test_a_limit_above_the_maximum_is_still_a_map(self, client, released):
        response = client.get("/es/datos-abiertos/actividades.geojson?limit=2147483647")
        assert response.status_code == 200
        assert json.loads(response.content)["type"] == "FeatureCollection"


# Password reset ----------------------------------------------------------------------------------


class TestPasswordResetLimits:
    @pytest.fixture
    def rosa(self, coord_amazonas):
        coord_amazonas.email = "rosa.coordinadora@example.org"
        coord_amazonas.save()
        return coord_amazonas

    def ask(self, client, email):
        response = client.post(url("password_reset"), {"email": email})
        assert (response.status_code, response.url) == (302, url("password_reset_done"))
        return response

    def sent_to(self, mailoutbox, email):
        return [mail for mail in mailoutbox if mail.to == [email]]

    def test_six_requests_send_at_most_the_limit_and_look_the_same(self, client, rosa, mailoutbox):
        for _ in range(6):
            self.ask(client, rosa.email)  # the same answer every time, over the limit included
        assert len(self.sent_to(mailoutbox, rosa.email)) == RESET_LIMITS["address"] == 3

    def test_an_unknown_address_gets_the_same_answer_as_a_limited_one(self, client, rosa, mailoutbox):
        answers = {self.ask(client, address).url for address in [rosa.email] * 5 + ["nadie@example.org"] * 5}
        assert answers == {url("password_reset_done")}
        assert len(mailoutbox) == 3

    def test_each_address_has_its_own_limit(self, client, rosa, coord_puno, mailoutbox):
        coord_puno.email = "juan.coordinador@example.org"
        coord_puno.save()
        for _ in range(5):
            self.ask(client, rosa.email)
        self.ask(client, coord_puno.email)
        assert len(self.sent_to(mailoutbox, rosa.email)) == 3
        assert len(self.sent_to(mailoutbox, coord_puno.email)) == 1

    def test_the_address_is_counted_whatever_its_case(self, client, rosa, mailoutbox):
        for spelling in [
            "rosa.coordinadora@example.org",
            "Rosa.Coordinadora@example.org",
            "ROSA.COORDINADORA@EXAMPLE.ORG",
        ] * 2:
            self.ask(client, spelling)
        assert len(mailoutbox) == 3

    def test_the_account_is_counted_whatever_address_reaches_it(self, client, rosa, mailoutbox):
        for _ in range(3):
            self.ask(client, rosa.email)
        rosa.email = "rosa.nueva@example.org"
        rosa.save()
        self.ask(client, rosa.email)  # a fresh address, the same account
        assert len(mailoutbox) == 3
        assert not self.sent_to(mailoutbox, "rosa.nueva@example.org")

    def test_one_client_asking_for_many_addresses_is_stopped(self, rosa, mailoutbox):
        prober, colleague = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.8")
        for number in range(RESET_LIMITS["client"]):
            self.ask(prober, f"alguien{number}@example.org")
        self.ask(prober, rosa.email)
        assert mailoutbox == []
        self.ask(colleague, rosa.email)
        assert len(self.sent_to(mailoutbox, rosa.email)) == 1

    def test_the_link_still_works_for_someone_within_the_limit(self, client, rosa, mailoutbox):
        self.ask(client, rosa.email)
        assert "/es/accounts/password/reset/" in mailoutbox[0].body


# Logs and data on stdout ------------------------------------------------------------------------


def test_every_log_handler_writes_to_stderr():
    streams = [handler.get("stream") for handler in settings.LOGGING["handlers"].values()]
    assert streams and all(stream == "ext://sys.stderr" for stream in streams)
    for handler in logging.getLogger().handlers:
        assert getattr(handler, "stream", None) not in (sys.stdout, sys.__stdout__)


def test_dumpdata_writes_json_only(db):
    out = io.StringIO()
    call_command("dumpdata", "regions.region", stdout=out)
    assert len(json.loads(out.getvalue())) == Region.objects.count() > 0


def _run(*command, **env):
    database = connection.settings_dict  # the test database, with the reference data loaded
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    environment = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "INFO", **env}
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the subprocess reads the PostgreSQL test database")
class TestCommandsOnStdout:
    def test_manage_py_dumpdata_prints_a_fixture_that_loads(self, db):
        result = _run(sys.executable, "manage.py", "dumpdata", "regions.region")
        assert len(json.loads(result.stdout)) == Region.objects.count() > 0

    def test_a_line_logged_during_the_command_goes_to_stderr(self, db):
        # The command as manage.py runs it, with the project's logging, and a warning on the way.
        script = (
            "import logging, django; django.setup(); "
            "from django.core.management import execute_from_command_line; "
            "logging.getLogger('prevent_protect').warning('a warning while dumping'); "
            "execute_from_command_line(['manage.py', 'dumpdata', 'regions.region'])"
        )
        result = _run(sys.executable, "-c", script)
        assert "a warning while dumping" in result.stderr
        assert len(json.loads(result.stdout)) == Region.objects.count()
