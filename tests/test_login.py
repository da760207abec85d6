"""Logging in: the page in both languages, the way into the panel, the lockout after five
failed attempts (django-axes), CSRF on every form, and a password reset that works without
telling a stranger which addresses have accounts."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from activities.models import Activity
from programs.models import Objective, Service

PASSWORD = "secret-pass-123"  # tests/factories.py gives every persona this password
NEW_PASSWORD = "quinua-lago-titicaca-2025"


def url(name, lang="es", **kwargs):
    with translation.override(lang):
        return reverse(name, kwargs=kwargs)


def log_in(client, username, password, lang="es"):
    return client.post(url("login", lang), {"username": username, "password": password})


def logged_in_as(client):
    return client.session.get(SESSION_KEY)


def in_spanish(message):
    with translation.override("es"):
        return gettext(message)


class TestTheLoginPage:
    @pytest.mark.parametrize(
        ("lang", "heading", "reset_link"),
        [("es", "Iniciar sesión", "/es/accounts/password/reset/"), ("en", "Log in", "/en/accounts/password/reset/")],
    )
    def test_it_is_shown_in_spanish_and_in_english(self, client, lang, heading, reset_link, db):
        response = client.get(url("login", lang))
        page = response.content.decode()
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in page
        with translation.override(lang):
            assert gettext("Log in") == heading
        assert f"<h1>{heading}</h1>" in page
        assert f'href="{reset_link}"' in page
        assert 'autocomplete="current-password"' in page

    def test_the_login_urls_are_the_language_prefixed_ones(self):
        assert (url("login", "es"), url("login", "en")) == ("/es/accounts/login/", "/en/accounts/login/")


class TestLoggingIn:
    def test_the_right_password_leads_to_the_panel(self, client, coord_amazonas):
        response = log_in(client, "coord-amazonas", PASSWORD)
        assert response.status_code == 302
        assert response.url == "/es/panel/"
        assert logged_in_as(client) == str(coord_amazonas.pk)
        assert client.get(response.url).status_code == 200

    def test_the_english_login_leads_to_the_english_panel(self, client, coord_amazonas):
        response = log_in(client, "coord-amazonas", PASSWORD, lang="en")
        assert response.url == "/en/panel/"

    def test_login_returns_to_the_page_asked_for(self, client, coord_amazonas):
        wanted = url("activities:list")
        response = client.post(f"{url('login')}?next={wanted}", {"username": "coord-amazonas", "password": PASSWORD})
        assert response.url == wanted

    def test_login_does_not_return_to_another_site(self, client, coord_amazonas):
        data = {"username": "coord-amazonas", "password": PASSWORD}
        response = client.post(f"{url('login')}?next=https://phishing.example/", data)
        assert response.url == "/es/panel/"

    def test_a_wrong_password_is_refused_with_a_message_in_spanish(self, client, coord_amazonas):
        response = log_in(client, "coord-amazonas", "wrong-password")
        assert response.status_code == 200
        assert logged_in_as(client) is None
        errors = response.context["form"].non_field_errors()
        assert len(errors) == 1
        assert errors[0].startswith("Por favor, introduzca un nombre de usuario y clave correctos")


class TestLockout:
    def test_after_five_failures_even_the_right_password_is_refused(self, client, coord_amazonas, settings):
        assert settings.AXES_FAILURE_LIMIT == 5
        for _ in range(4):
            assert log_in(client, "coord-amazonas", "wrong-password").status_code == 200
        # The fifth failure reaches the limit and is answered with the lockout page already.
        assert log_in(client, "coord-amazonas", "wrong-password").status_code == 429
        response = log_in(client, "coord-amazonas", PASSWORD)
        assert response.status_code == 429
        assert logged_in_as(client) is None
        page = response.content.decode()
        assert '<html lang="es">' in page
        assert f"<h1>{in_spanish('Too many attempts')}</h1>" in page
        assert "Demasiados intentos" in page
        assert client.get(url("activities:panel")).status_code == 302

    def test_four_failures_do_not_lock_the_account(self, client, coord_amazonas):
        for _ in range(4):
            log_in(client, "coord-amazonas", "wrong-password")
        response = log_in(client, "coord-amazonas", PASSWORD)
        assert response.status_code == 302
        assert logged_in_as(client) == str(coord_amazonas.pk)

    def test_behind_the_proxy_failures_elsewhere_do_not_lock_the_coordinator_out(self, coord_amazonas, settings):
        settings.BEHIND_PROXY = True
        attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
        for _ in range(5):
            log_in(attacker, "coord-amazonas", "wrong-password")
        assert log_in(attacker, "coord-amazonas", PASSWORD).status_code == 429
        coordinator = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert log_in(coordinator, "coord-amazonas", PASSWORD).status_code == 302

    def test_without_a_proxy_a_forged_forwarded_address_does_not_escape_the_lockout(self, coord_amazonas, settings):
        settings.BEHIND_PROXY = False
        for n in range(5):
            log_in(Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"), "coord-amazonas", "wrong-password")
        assert log_in(Client(HTTP_X_FORWARDED_FOR="198.51.100.7"), "coord-amazonas", PASSWORD).status_code == 429

    def test_one_accounts_lockout_does_not_lock_another(self, client, coord_amazonas, coord_puno):
        for _ in range(5):
            log_in(client, "coord-amazonas", "wrong-password")
        response = log_in(client, "coord-puno", PASSWORD)
        assert response.status_code == 302


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


class TestCsrf:
    def test_a_login_without_the_token_is_forbidden(self, csrf_client, coord_amazonas):
        response = log_in(csrf_client, "coord-amazonas", PASSWORD)
        assert response.status_code == 403
        assert logged_in_as(csrf_client) is None

    def test_a_login_with_the_token_from_the_page_works(self, csrf_client, coord_amazonas):
        page = csrf_client.get(url("login")).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        data = {"username": "coord-amazonas", "password": PASSWORD, "csrfmiddlewaretoken": token}
        response = csrf_client.post(url("login"), data)
        assert response.status_code == 302

    def test_an_activity_posted_without_the_token_is_forbidden_and_not_created(
        self, csrf_client, coord_amazonas, amazonas
    ):
        csrf_client.force_login(coord_amazonas)
        data = {
            "region": amazonas.pk,
            "objective": Objective.objects.get(code="OE1").pk,
            "service": Service.objects.get(slug="mujeres-acompanando-mujeres").pk,
            "title": "Taller sin token",
            "start_date": "2025-04-02",
            "end_date": "2025-04-02",
            "modality": "in_person",
            **dict.fromkeys(("girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men", "families"), 0),
        }
        response = csrf_client.post(url("activities:create"), data)
        assert response.status_code == 403
        assert not Activity.objects.exists()


class TestPasswordReset:
    @pytest.fixture
    def coordinator(self, coord_amazonas):
        coord_amazonas.email = "rosa.coordinadora@example.org"
        coord_amazonas.save()
        return coord_amazonas

    def ask(self, client, email):
        return client.post(url("password_reset"), {"email": email})

    def test_the_link_in_the_email_sets_a_new_password_that_logs_in(self, client, coordinator, mailoutbox):
        asked = self.ask(client, "rosa.coordinadora@example.org")
        assert asked.status_code == 302
        assert asked.url == url("password_reset_done")
        assert len(mailoutbox) == 1
        mail = mailoutbox[0]
        assert mail.to == ["rosa.coordinadora@example.org"]
        assert mail.subject == in_spanish("Prevent to Protect: choose a new password")
        link = re.search(r"http://testserver(/es/accounts/password/reset/[^/\s]+/[^/\s]+/)", mail.body)[1]

        # Django swaps the token in the URL for one in the session, then shows the form.
        form_page = client.get(link, follow=True)
        assert form_page.status_code == 200
        assert form_page.context["validlink"] is True
        set_password = form_page.redirect_chain[-1][0]
        done = client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert done.status_code == 302
        assert done.url == url("password_reset_complete")

        coordinator.refresh_from_db()
        assert coordinator.check_password(NEW_PASSWORD)
        fresh = Client()
        assert log_in(fresh, "coord-amazonas", PASSWORD).status_code == 200
        assert logged_in_as(fresh) is None
        assert log_in(fresh, "coord-amazonas", NEW_PASSWORD).url == "/es/panel/"

    def test_the_link_works_only_once(self, client, coordinator, mailoutbox):
        self.ask(client, "rosa.coordinadora@example.org")
        link = re.search(r"http://testserver(\S+)", mailoutbox[0].body)[1]
        set_password = client.get(link, follow=True).redirect_chain[-1][0]
        client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        again = Client().get(link, follow=True)
        assert again.context["validlink"] is False
        assert in_spanish("This link has expired or was already used.") in again.content.decode()

    def test_an_unknown_address_gets_the_same_check_your_email_page_and_no_email(self, client, coordinator, mailoutbox):
        known = self.ask(client, "rosa.coordinadora@example.org")
        unknown = self.ask(client, "nadie@example.org")
        assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
        assert len(mailoutbox) == 1
        page = client.get(unknown.url)
        assert page.status_code == 200
        assert f"<h1>{in_spanish('Check your email')}</h1>" in page.content.decode()
        assert "Revise su correo" in page.content.decode()
