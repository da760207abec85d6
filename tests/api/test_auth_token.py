"""/api/v1/auth/token/: a username and password traded for a token, the token used and revoked,
refusals in the error shape, the throttle, and django-axes' lockout after five failures."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from prevent_protect.rest import TokenOrBearerAuthentication
from programs.models import Indicator, Target

from ..factories import app_code, app_device

URL = "/api/v1/auth/token/"
PASSWORD = "secret-pass-123"  # tests/factories.py gives every persona this password


def obtain(api, username, password=PASSWORD):
    data = {"username": username, "password": password}
    user = get_user_model().objects.filter(username=username).first()
    if user is not None and user.requires_second_factor:
        # Staff and administrators send their app's code too (tests/test_two_factor.py refuses it).
        data["otp_token"] = app_code(app_device(user))
    return api.post(URL, data, format="json")


def token_of(api, username):
    response = obtain(api, username)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def authorized(api, token):
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def new_target(api, amazonas):
    indicator = Indicator.objects.get(code="oe1-people-reached")
    data = {"indicator": indicator.pk, "region": amazonas.pk, "year": 2026, "quarter": 1, "value": 300}
    return api.post("/api/v1/targets/", data, format="json")


class TestObtainingAToken:
    @pytest.mark.parametrize("persona", ["coord_amazonas", "coord_puno", "staff"])
    def test_each_persona_gets_their_own_token(self, api, persona, request):
        user = request.getfixturevalue(persona)
        response = obtain(api, user.username)
        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user=user).key}

    def test_asking_again_gives_the_same_token(self, api, staff):
        assert token_of(api, "staff") == token_of(api, "staff")

    def test_obtaining_a_token_records_the_login(self, api, staff):
        assert staff.last_login is None
        token_of(api, "staff")
        staff.refresh_from_db()
        assert staff.last_login is not None

    def test_a_wrong_password_is_refused_with_a_clear_message(self, api, staff, assert_error):
        error = assert_error(obtain(api, "staff", "wrong-password"), 400, code="invalid_credentials")
        assert error["message"] == "No puede iniciar sesión con las credenciales proporcionadas."
        assert not Token.objects.exists()

    def test_the_message_follows_the_language_asked_for(self, api, staff, assert_error):
        data = {"username": "staff", "password": "wrong"}
        response = api.post(URL, data, format="json", HTTP_ACCEPT_LANGUAGE="en")
        error = assert_error(response, 400, code="invalid_credentials")
        assert error["message"] == "Unable to log in with provided credentials."

    def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(self, api, staff, assert_error):
        unknown = assert_error(obtain(api, "nobody"), 400)
        wrong = assert_error(obtain(api, "staff", "wrong-password"), 400)
        assert unknown == wrong

    def test_a_disabled_user_gets_no_token(self, api, staff, assert_error):
        staff.is_active = False
        staff.save()
        assert_error(obtain(api, "staff"), 400, code="invalid_credentials")
        assert not Token.objects.exists()


class TestBadInput:
    @pytest.mark.parametrize(
        "data, field",
        [
            ({"password": PASSWORD}, "username"),
            ({"username": "staff"}, "password"),
            ({"username": "staff", "password": ""}, "password"),
            ({"username": ["staff"], "password": PASSWORD}, "username"),
            ({"username": "staff", "password": PASSWORD, "remember_me": True}, "remember_me"),
        ],
    )
    def test_is_refused_naming_the_field(self, api, staff, assert_error, data, field):
        assert_error(api.post(URL, data, format="json"), 400, code="invalid", field=field)
        assert not Token.objects.exists()

    def test_malformed_json_is_a_parse_error(self, api, staff, assert_error):
        response = api.post(URL, '{"username": "staff", "password":', content_type="application/json")
        assert_error(response, 400, code="parse_error")
        assert not Token.objects.exists()

    def test_a_list_instead_of_an_object_is_refused(self, api, staff, assert_error):
        assert_error(api.post(URL, ["staff", PASSWORD], format="json"), 400, code="invalid")

    @pytest.mark.parametrize("method", ["get", "put", "patch"])
    def test_other_methods_are_not_allowed(self, api, staff, assert_error, method):
        authorized(api, token_of(api, "staff"))
        assert_error(getattr(api, method)(URL), 405, code="method_not_allowed")


class TestUsingAToken:
    def test_staff_with_a_token_may_set_a_target(self, api, staff, amazonas):
        response = new_target(authorized(api, token_of(api, "staff")), amazonas)
        assert response.status_code == 201, response.content
        assert Target.objects.filter(region=amazonas, year=2026, quarter=1, value=300).exists()

    def test_a_coordinator_with_a_token_is_known_but_may_not_set_a_target(
        self, api, coord_amazonas, amazonas, assert_error
    ):
        response = new_target(authorized(api, token_of(api, "coord-amazonas")), amazonas)
        assert_error(response, 403, code="permission_denied")

    def test_without_a_token_the_caller_is_asked_to_authenticate(self, api, amazonas, assert_error):
        response = new_target(api, amazonas)
        assert_error(response, 401, code="not_authenticated")
        assert response["WWW-Authenticate"] == "Token"

    def test_an_invented_token_is_refused_in_drfs_words(self, api, staff, assert_error):
        response = authorized(api, "0" * 40).get("/api/v1/regions/", HTTP_ACCEPT_LANGUAGE="en")
        error = assert_error(response, 401, code="authentication_failed")
        assert error["message"] == "Invalid token."

    def test_the_token_is_read_with_its_user_in_one_query(self, api, staff, django_assert_num_queries):
        key = token_of(api, "staff")
        with django_assert_num_queries(1):
            user, token = TokenOrBearerAuthentication().authenticate_credentials(key)
            assert (user, user.is_staff, token.key, token.user, user.auth_token) == (staff, True, key, staff, token)

    def test_the_token_of_a_user_disabled_later_is_refused(self, api, staff, amazonas, assert_error):
        authorized(api, token_of(api, "staff"))
        staff.is_active = False
        staff.save()
        assert_error(api.get("/api/v1/regions/"), 401, code="authentication_failed")
        assert_error(new_target(api, amazonas), 401, code="authentication_failed")
        assert not Target.objects.filter(year=2026).exists()

    def test_a_disabled_users_token_is_refused_in_drfs_words(self, api, staff, assert_error):
        authorized(api, token_of(api, "staff"))
        staff.is_active = False
        staff.save()
        error = assert_error(api.get("/api/v1/regions/", HTTP_ACCEPT_LANGUAGE="en"), 401)
        assert error["message"] == "User inactive or deleted."


class TestRevokingAToken:
    def test_delete_revokes_the_token_and_it_is_refused_afterwards(self, api, staff, amazonas, assert_error):
        authorized(api, token_of(api, "staff"))
        response = api.delete(URL)
        assert response.status_code == 204
        assert response.content == b""
        assert not Token.objects.filter(user=staff).exists()
        assert_error(api.delete(URL), 401, code="authentication_failed")
        assert_error(new_target(api, amazonas), 401)

    def test_a_new_token_after_revoking_is_a_different_one(self, api, staff):
        first = token_of(api, "staff")
        authorized(api, first).delete(URL)
        api.credentials()
        assert token_of(api, "staff") != first

    def test_a_session_may_revoke_its_users_token(self, api, staff):
        token_of(api, "staff")
        api.force_login(staff)
        assert api.delete(URL).status_code == 204
        assert not Token.objects.filter(user=staff).exists()

    def test_a_session_without_the_csrf_token_may_not(self, staff, assert_error):
        api = APIClient(enforce_csrf_checks=True)
        token_of(api, "staff")
        api.force_login(staff)
        assert_error(api.delete(URL), 403, code="permission_denied")
        assert Token.objects.filter(user=staff).exists()

    def test_revoking_touches_only_the_callers_token(self, api, staff, coord_puno):
        puno_token = token_of(api, "coord-puno")
        authorized(api, token_of(api, "staff")).delete(URL)
        assert Token.objects.filter(key=puno_token).exists()

    def test_an_anonymous_caller_has_nothing_to_revoke(self, api, staff, assert_error):
        token_of(api, "staff")
        assert_error(api.delete(URL), 401, code="not_authenticated")
        assert Token.objects.filter(user=staff).exists()


class TestThrottle:
    def test_the_eleventh_call_in_a_minute_is_refused(self, api, staff, throttle_rates, assert_error):
        throttle_rates(token="10/minute")
        for _ in range(10):
            assert obtain(api, "staff").status_code == 200
        response = obtain(api, "staff")
        assert_error(response, 429, code="throttled")
        assert int(response["Retry-After"]) > 0

    def test_failed_calls_count_too(self, api, staff, throttle_rates, assert_error):
        throttle_rates(token="3/minute")
        for _ in range(3):
            obtain(api, "nobody")
        assert_error(obtain(api, "staff"), 429, code="throttled")

    def test_the_token_rate_does_not_slow_the_rest_of_the_api(self, api, throttle_rates, db):
        throttle_rates(token="1/minute")
        assert all(api.get("/api/v1/regions/").status_code == 200 for _ in range(3))


class TestLockout:
    def test_after_five_failures_even_the_right_password_is_refused(self, api, staff, assert_error):
        for _ in range(4):
            assert_error(obtain(api, "staff", "wrong-password"), 400, code="invalid_credentials")
        # The fifth failure reaches the limit and is answered with the lockout already, as the login page does.
        assert_error(obtain(api, "staff", "wrong-password"), 429, code="locked_out")
        error = assert_error(obtain(api, "staff"), 429, code="locked_out")
        assert "bloqueada" in error["message"]
        assert not Token.objects.exists()
        # The attempt made while locked out counts as well, and starts the hour again.
        assert AccessAttempt.objects.get(username="staff").failures_since_start == 6

    def test_four_failures_do_not_lock_and_a_success_clears_them(self, api, staff):
        for _ in range(4):
            obtain(api, "staff", "wrong-password")
        assert obtain(api, "staff").status_code == 200
        assert not AccessAttempt.objects.filter(username="staff").exists()

    def test_one_accounts_lockout_does_not_lock_another(self, api, staff, coord_puno):
        for _ in range(5):
            obtain(api, "staff", "wrong-password")
        assert obtain(api, "coord-puno").status_code == 200

    def test_the_api_and_the_login_page_share_the_count(self, api, client, staff, assert_error):
        for _ in range(4):
            client.post("/es/accounts/login/", {"username": "staff", "password": "wrong-password"})
        assert_error(obtain(api, "staff", "wrong-password"), 429, code="locked_out")
