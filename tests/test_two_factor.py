"""Two-step sign-in: staff and administrators set up an authenticator app on their first sign-in,
give its code after the password every time (or a single-use recovery code), and until then reach
neither the panel, nor the admin, nor an API token. Coordinators may turn it on.

These tests sign in through the form, as people do; `client.force_login` stands for a whole sign-in
(second factor included, tests/conftest.py) and is used only to set the scene."""

import re
from base64 import b32encode
from urllib.parse import unquote

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import RecoveryCode, RecoveryCodes

from .api.conftest import check_error
from .factories import EvidenceFactory, UserFactory, app_code, app_device

PASSWORD = "secret-pass-123"  # tests/factories.py gives every persona this password
TOKEN_URL = "/api/v1/auth/token/"
CODE_PATTERN = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


def url(name, lang="es"):
    with translation.override(lang):
        return reverse(name)


def with_next(name, wanted, lang="es"):
    return f"{url(name, lang)}?next={wanted}"


def sign_in(client, username, lang="es"):
    """The password step; returns where it sends the person."""
    form = {"format": "multipart"} if isinstance(client, APIClient) else {}
    response = client.post(url("login", lang), {"username": username, "password": PASSWORD}, **form)
    assert response.status_code == 302, response.content
    return response.url


def verified_device_id(client):
    return client.session.get(DEVICE_ID_SESSION_KEY)


@pytest.fixture(autouse=True)
def _no_wait_between_codes(settings):
    # After a wrong code the device makes the next try wait 1, 2, 4… s; tests that try again at
    # once turn that off, and the test of the wait turns it back on.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_RECOVERY_THROTTLE_FACTOR = 0


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def assert_error():
    return check_error


@pytest.fixture
def enrolled_staff(staff):
    app_device(staff)
    return staff


def recovery_codes_for(client, user):
    """Sets up new recovery codes from a verified session and returns them as the page shows them."""
    client.force_login(user)
    page = client.post(url("two_factor"), follow=True).content.decode()
    codes = CODE_PATTERN.findall(page)
    assert len(codes) == 10
    return codes


class TestSettingUpOnTheFirstSignIn:
    def test_staff_without_an_app_are_sent_from_the_password_to_the_set_up(self, client, staff):
        verify = sign_in(client, "staff")
        assert verify == with_next("two_factor_verify", "/es/panel/")
        assert client.session[SESSION_KEY] == str(staff.pk)
        assert verified_device_id(client) is None
        response = client.get(verify)
        assert response.status_code == 302
        assert response.url == with_next("two_factor_enrol", "/es/panel/")

    def test_the_set_up_page_shows_a_qr_code_drawn_here_and_the_key_in_text(self, client, staff):
        sign_in(client, "staff")
        response = client.get(with_next("two_factor_enrol", "/es/panel/"))
        page = response.content.decode()
        assert response.status_code == 200
        device = TOTPDevice.objects.get(user=staff)
        assert not device.confirmed
        secret = b32encode(device.bin_key).decode().rstrip("=")
        qr = re.search(r'<img class="qr-code" src="(data:image/svg\+xml[^"]+)"[^>]* alt="([^"]+)"', page)
        assert qr, page
        assert qr[2]
        assert "<svg" in unquote(qr[1])
        shown = re.search(r'<code class="secret" id="setup-key">([A-Z2-7 ]+)</code>', page)[1]
        assert shown.replace(" ", "") == secret
        # Reloading shows the same key: the app a person already scanned still matches.
        assert client.get(url("two_factor_enrol")).content.decode().count(shown) == 1
        assert TOTPDevice.objects.filter(user=staff).count() == 1
        assert "otpauth://" not in page  # the secret travels only inside the QR image and as the key

    def test_a_code_from_the_app_turns_it_on_and_shows_ten_recovery_codes_once(self, client, staff):
        sign_in(client, "staff")
        client.get(url("two_factor_enrol"))
        device = TOTPDevice.objects.get(user=staff)
        session_before = client.session.session_key

        response = client.post(with_next("two_factor_enrol", "/es/panel/"), {"code": app_code(device)})

        assert response.status_code == 302
        assert response.url == with_next("two_factor", "/es/panel/")
        device.refresh_from_db()
        assert device.confirmed
        assert verified_device_id(client) == device.persistent_id
        assert client.session.session_key != session_before
        shown = client.get(response.url).content.decode()
        codes = CODE_PATTERN.findall(shown)
        assert len(codes) == len(set(codes)) == 10
        assert 'href="/es/panel/"' in shown
        # Kept as digests only, and never shown again.
        digests = set(RecoveryCode.objects.filter(device__user=staff).values_list("digest", flat=True))
        assert len(digests) == 10
        assert not any(code in digest or code.replace("-", "") in digest for code in codes for digest in digests)
        assert CODE_PATTERN.findall(client.get(response.url).content.decode()) == []
        assert client.get("/es/panel/").status_code == 200

    def test_a_wrong_code_does_not_turn_it_on(self, client, staff):
        sign_in(client, "staff")
        client.get(url("two_factor_enrol"))
        response = client.post(url("two_factor_enrol"), {"code": "000000"})
        assert response.status_code == 200
        assert response.context["form"].errors["code"]
        assert not TOTPDevice.objects.get(user=staff).confirmed
        assert not RecoveryCodes.objects.filter(user=staff).exists()
        assert verified_device_id(client) is None
        assert client.get("/es/panel/").status_code == 302

    def test_with_the_password_alone_an_app_already_set_up_cannot_be_replaced(self, client, enrolled_staff):
        sign_in(client, "staff")
        response = client.get(url("two_factor_enrol"))
        assert response.status_code == 302
        assert response.url.startswith(url("two_factor_verify"))
        assert TOTPDevice.objects.filter(user=enrolled_staff).count() == 1


class TestSigningInWithTheCode:
    def test_the_apps_code_after_the_password_leads_to_the_panel(self, client, enrolled_staff):
        verify = sign_in(client, "staff")
        assert verify == with_next("two_factor_verify", "/es/panel/")
        page = client.get(verify)
        assert page.status_code == 200
        assert 'autocomplete="one-time-code"' in page.content.decode()
        response = client.post(verify, {"code": app_code(app_device(enrolled_staff))})
        assert response.status_code == 302
        assert response.url == "/es/panel/"
        assert verified_device_id(client) == app_device(enrolled_staff).persistent_id
        assert client.get("/es/panel/").status_code == 200

    def test_the_page_asked_for_before_signing_in_is_where_the_code_leads(self, client, enrolled_staff):
        client.post(f"{url('login', 'en')}?next=/en/panel/dashboard/", {"username": "staff", "password": PASSWORD})
        response = client.post(
            with_next("two_factor_verify", "/en/panel/dashboard/", "en"), {"code": app_code(app_device(enrolled_staff))}
        )
        assert response.url == "/en/panel/dashboard/"

    def test_a_wrong_code_is_refused_with_a_message_and_nothing_changes(self, client, enrolled_staff):
        sign_in(client, "staff")
        device = app_device(enrolled_staff)
        right = app_code(device)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        response = client.post(url("two_factor_verify"), {"code": wrong})
        assert response.status_code == 200
        errors = response.context["form"].errors["code"]
        assert errors and errors[0].startswith("No se aceptó ese código.")
        assert verified_device_id(client) is None
        assert client.get("/es/panel/").status_code == 302
        assert not Token.objects.filter(user=enrolled_staff).exists()
        device.refresh_from_db()
        assert device.confirmed and device.throttling_failure_count == 1

    def test_after_a_wrong_code_the_right_one_waits_its_turn(self, client, enrolled_staff, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 60
        sign_in(client, "staff")
        client.post(url("two_factor_verify"), {"code": "000000"})
        response = client.post(url("two_factor_verify"), {"code": app_code(app_device(enrolled_staff))})
        assert response.status_code == 200
        assert verified_device_id(client) is None

    def test_a_code_already_used_is_refused(self, client, enrolled_staff):
        device = app_device(enrolled_staff)
        code = app_code(device)
        sign_in(client, "staff")
        assert client.post(url("two_factor_verify"), {"code": code}).status_code == 302
        client.post(url("logout"))
        sign_in(client, "staff")
        assert client.post(url("two_factor_verify"), {"code": code}).status_code == 200
        assert verified_device_id(client) is None


class TestRecoveryCodes:
    def test_a_recovery_code_signs_in_once_only(self, client, enrolled_staff):
        codes = recovery_codes_for(client, enrolled_staff)
        client.post(url("logout"))

        sign_in(client, "staff")
        response = client.post(url("two_factor_verify"), {"code": codes[0].upper()}, follow=True)
        assert response.redirect_chain[-1][0] == "/es/panel/"
        assert "9" in " ".join(str(message) for message in response.context["messages"])
        assert RecoveryCode.objects.filter(device__user=enrolled_staff).count() == 9
        client.post(url("logout"))

        sign_in(client, "staff")
        response = client.post(url("two_factor_verify"), {"code": codes[0]})
        assert response.status_code == 200
        assert response.context["form"].errors["code"]
        assert verified_device_id(client) is None
        # Another code still works, typed without its hyphen.
        assert client.post(url("two_factor_verify"), {"code": codes[1].replace("-", "")}).url == "/es/panel/"

    def test_new_codes_replace_the_old_ones(self, client, enrolled_staff):
        old = recovery_codes_for(client, enrolled_staff)
        new = recovery_codes_for(client, enrolled_staff)
        assert not set(old) & set(new)
        client.post(url("logout"))
        sign_in(client, "staff")
        assert client.post(url("two_factor_verify"), {"code": old[0]}).status_code == 200
        assert client.post(url("two_factor_verify"), {"code": new[0]}).status_code == 302

    def test_a_session_with_the_password_alone_cannot_make_new_codes(self, client, enrolled_staff):
        recovery_codes_for(client, enrolled_staff)
        client.post(url("logout"))
        sign_in(client, "staff")
        before = set(RecoveryCode.objects.values_list("digest", flat=True))
        response = client.post(url("two_factor"))
        assert response.status_code == 302
        assert response.url.startswith(url("two_factor_verify"))
        assert set(RecoveryCode.objects.values_list("digest", flat=True)) == before


class TestWithoutTheSecondFactor:
    @pytest.mark.parametrize("path", ["/es/panel/", "/en/panel/dashboard/", "/es/panel/reports/", "/admin/"])
    def test_a_staff_session_is_sent_to_the_code_from_the_panel_and_the_admin(self, client, enrolled_staff, path):
        sign_in(client, "staff")
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(url("two_factor_verify", path[1:3] if path.startswith("/en/") else "es"))
        assert response.url.endswith(f"?next={path}")

    def test_an_administrator_is_sent_to_the_set_up_and_then_reaches_the_admin(self, client, admin_user):
        verify = sign_in(client, "admin")
        assert client.get("/admin/accounts/user/").status_code == 302
        enrol = client.get(verify).url
        assert enrol.startswith(url("two_factor_enrol"))
        client.get(enrol)
        client.post(enrol, {"code": app_code(TOTPDevice.objects.get(user=admin_user))})
        assert client.get("/admin/accounts/user/").status_code == 200

    def test_the_admin_asks_for_the_second_factor_itself_too(self, rf, enrolled_staff):
        from django.contrib import admin

        request = rf.get("/admin/")
        request.user = enrolled_staff  # a user no middleware verified
        assert not admin.site.has_permission(request)

    def test_the_admins_own_login_is_the_portals(self, client, db):
        response = client.get("/admin/", follow=True)
        assert response.redirect_chain[-1][0] == f"{url('login')}?next=/admin/"

    def test_the_public_pages_stay_open(self, client, enrolled_staff):
        sign_in(client, "staff")
        assert client.get("/es/").status_code == 200

    def test_the_api_takes_the_half_signed_in_session_for_no_sign_in(self, client, enrolled_staff):
        evidence = f"/api/v1/evidence/{EvidenceFactory().pk}/"
        sign_in(client, "staff")
        assert client.get(evidence).status_code == 401
        client.post(url("two_factor_verify"), {"code": app_code(app_device(enrolled_staff))})
        assert client.get(evidence).status_code == 200


class TestApiTokens:
    def test_a_staff_session_that_skipped_the_second_factor_is_refused_a_token(self, enrolled_staff, assert_error):
        api = APIClient()
        sign_in(api, "staff")
        response = api.post(TOKEN_URL, {"username": "staff", "password": PASSWORD}, format="json")
        error = assert_error(response, 403, code="second_factor_required")
        assert "otp_token" in error["message"]
        assert not Token.objects.filter(user=enrolled_staff).exists()

    def test_a_script_with_the_password_alone_is_refused_a_token(self, api, enrolled_staff, assert_error):
        response = api.post(TOKEN_URL, {"username": "staff", "password": PASSWORD}, format="json")
        assert_error(response, 403, code="second_factor_required")
        assert not Token.objects.exists()

    def test_a_wrong_code_gets_no_token(self, api, enrolled_staff, assert_error):
        data = {"username": "staff", "password": PASSWORD, "otp_token": "000000"}
        assert_error(api.post(TOKEN_URL, data, format="json"), 403, code="second_factor_refused")
        assert not Token.objects.exists()

    def test_the_apps_code_gets_the_token(self, api, enrolled_staff):
        data = {"username": "staff", "password": PASSWORD, "otp_token": app_code(app_device(enrolled_staff))}
        response = api.post(TOKEN_URL, data, format="json")
        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user=enrolled_staff).key}

    def test_a_session_that_passed_the_second_factor_gets_the_token_without_a_code(self, enrolled_staff):
        api = APIClient()
        sign_in(api, "staff")
        api.post(url("two_factor_verify"), {"code": app_code(app_device(enrolled_staff))}, format="multipart")
        response = api.post(TOKEN_URL, {"username": "staff", "password": PASSWORD}, format="json")
        assert response.status_code == 200

    def test_staff_who_never_set_it_up_are_told_to_sign_in_on_the_website(self, api, staff, assert_error):
        data = {"username": "staff", "password": PASSWORD, "otp_token": "123456"}
        error = assert_error(api.post(TOKEN_URL, data, format="json"), 403, code="second_factor_required")
        assert "debe configurar la verificación en dos pasos" in error["message"]
        assert not Token.objects.exists()

    def test_a_coordinator_still_gets_a_token_with_the_password(self, api, coord_amazonas):
        response = api.post(TOKEN_URL, {"username": "coord-amazonas", "password": PASSWORD}, format="json")
        assert response.status_code == 200


class TestCoordinators:
    def test_a_coordinator_is_not_asked_for_a_second_factor(self, client, coord_amazonas):
        assert sign_in(client, "coord-amazonas") == "/es/panel/"
        assert client.get("/es/panel/").status_code == 200

    def test_a_coordinator_may_turn_it_on_and_is_then_asked_for_the_code(self, client, coord_amazonas):
        sign_in(client, "coord-amazonas")
        assert "two-factor/set-up/" in client.get(url("two_factor")).content.decode()
        page = client.get(url("two_factor_enrol"))
        assert page.status_code == 200
        device = TOTPDevice.objects.get(user=coord_amazonas)
        client.post(url("two_factor_enrol"), {"code": app_code(device)})
        assert device.__class__.objects.get(pk=device.pk).confirmed
        client.post(url("logout"))

        assert sign_in(client, "coord-amazonas") == with_next("two_factor_verify", "/es/panel/")
        assert client.get("/es/panel/").status_code == 302
        assert client.post(url("two_factor_verify"), {"code": app_code(device)}).url == "/es/panel/"
        assert client.get("/es/panel/").status_code == 200

    def test_a_coordinator_who_turned_it_on_needs_it_for_a_token(self, api, coord_amazonas, assert_error):
        device = app_device(coord_amazonas)
        data = {"username": "coord-amazonas", "password": PASSWORD}
        assert_error(api.post(TOKEN_URL, data, format="json"), 403, code="second_factor_required")
        response = api.post(TOKEN_URL, {**data, "otp_token": app_code(device)}, format="json")
        assert response.status_code == 200


def test_an_administrator_can_reset_a_lost_phone(client, admin_user, enrolled_staff):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [enrolled_staff.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled_staff).exists()
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_ministry_staff_created_later_need_it_too(client, db):
    UserFactory(username="new-reviewer", role="ministry")
    assert sign_in(client, "new-reviewer") == with_next("two_factor_verify", "/es/panel/")
