"""Personas built once per test: a coordinator of Amazonas, one of Puno, a ministry
reviewer, an administrator, and the anonymous visitor."""

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import translation
from pytest_django.plugin import blocking_manager_key

from prevent_protect.counting import long_lists
from programs.reference import load_reference_data
from publication import page_copy
from regions.models import Region

from .factories import UserFactory, coordinator, pass_second_factor


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Speed and isolation belong to test configuration, not to the code.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # A transactional test (live server, Celery worker) ends by emptying every table, the
    # reference data loaded once per session included; load it again for the tests after it.
    # Here, after every fixture is torn down: the flush belongs to pytest-django's own fixture,
    # which a fixture of ours, set up later, would tear down before. After the last test the
    # test database is already gone, and no test needs the data.
    result = yield
    if nextitem is None:
        return result
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if "transactional_db" in fixtures or "live_server" in fixtures or (marker and marker.kwargs.get("transaction")):
        with item.config.stash[blocking_manager_key].unblock():
            load_reference_data()
    return result


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(user)` stands for a whole sign-in: for staff and administrators that
    includes the second factor, so their session is marked verified (with a device made for them).
    Tests of the half sign-in log in through the form instead (tests/test_two_factor.py)."""
    from django.test.client import ClientMixin

    original = ClientMixin._login

    def _login(client, user, backend=None):
        original(client, user, backend)
        if user.requires_second_factor:
            pass_second_factor(client, user)

    monkeypatch.setattr(ClientMixin, "_login", _login)


@pytest.fixture(autouse=True)
def _default_language():
    # A request through the test client leaves its language active in the test's thread: each
    # test starts in the default language (Spanish), as each request does.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached public pages, each process's copies of them, kept list estimates and throttle counts
    # must not leak from one test into the next.
    cache.clear()
    page_copy.forget()
    long_lists.clear()


@pytest.fixture
def reference_data(transactional_db):
    """For transactional tests, which empty the tables the session loaded."""
    load_reference_data()


@pytest.fixture
def amazonas(db):
    return Region.objects.get(slug="amazonas")


@pytest.fixture
def puno(db):
    return Region.objects.get(slug="puno")


@pytest.fixture
def coord_amazonas(amazonas):
    return coordinator("coord-amazonas", amazonas)


@pytest.fixture
def coord_puno(puno):
    return coordinator("coord-puno", puno)


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", role="ministry")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role="admin", is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    """The test client signed in as ministry staff (second factor passed, see below)."""
    client.force_login(staff)
    return client


@pytest.fixture
def amazonas_client(client, coord_amazonas):
    """The test client signed in as Amazonas's coordinator."""
    client.force_login(coord_amazonas)
    return client


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def eager_tasks():
    """Celery runs tasks in-process, as without REDIS_URL. The app read its settings at start-up,
    so its own configuration is switched, not Django's setting."""
    from prevent_protect.celery import app

    before = app.conf.task_always_eager
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=before)
