"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

The browser is a phone (360x740, es-PE) that may talk to the live server only: any request to
another host is aborted and fails the test, so the suite never needs, nor leaks to, the internet.
Script errors and console errors (a CSP violation is one) fail the test as well.
"""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from programs.reference import load_reference_data
from tests.browser.axe import AXE_SOURCE, Audit

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
HTTP_ERROR_CONSOLE = "Failed to load resource: the server responded with a status of"
NETWORK_ERROR_CONSOLE = "Failed to load resource: net::"
PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "es-PE", "timezone_id": "America/Lima"}
PASSWORD = "secret-pass-123"  # tests/factories.py gives every persona this one
BROWSER_DIR = Path(__file__).parent

# The login form's labels and button, which are Django's own strings in each language.
LOGIN_TEXT = {
    "es": {"username": "Nombre de usuario", "password": "Contraseña", "submit": "Iniciar sesión"},
    "en": {"username": "Username", "password": "Password", "submit": "Log in"},
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _chromium_missing():
    if os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK):
        return None
    if shutil.which(CHROMIUM_PATH):
        return None
    return f"Chromium not found at {CHROMIUM_PATH} (install Debian's `chromium` or set CHROMIUM_PATH)"


@pytest.fixture(scope="module")
def playwright_driver():
    missing = _chromium_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI is set, so the browser tests must run")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread, which Django takes for async
    # code and refuses ORM calls from (the test's own queries, the flush after each test).
    # The test thread is still synchronous, so the guard is lifted while the driver runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def browser_settings(settings):
    """What the live server needs to serve a browser on loopback without the internet."""
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": ""}
    # Plain HTTP on loopback, whatever DJANGO_DEBUG / DJANGO_HTTPS the shell has.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    return settings


@pytest.fixture(scope="module", autouse=True)
def _reference_data_after_flush(django_db_blocker):
    """Put back the reference data the session loaded (tests/conftest.py) once this module is done.

    A live-server test is transactional: it ends with a flush that empties every table. Tests that
    run after it and reach the database through fixtures pytest-django cannot see at collection
    (`request.getfixturevalue`) are not ordered before it, and would find no region at all.
    """
    flushed = []
    yield flushed
    if flushed:
        with django_db_blocker.unblock():
            load_reference_data()


@pytest.fixture
def server(live_server, reference_data, browser_settings, _reference_data_after_flush):
    """The live server's base URL, with the reference data (regions, objectives, services) loaded."""
    _reference_data_after_flush.append(True)
    return live_server.url


class BrowserProblems:
    """What the pages of one test did that they must not: leave loopback, throw, log errors."""

    def __init__(self):
        self.external_requests = []
        self.page_errors = []
        self.console_errors = []
        self.failed_resources = []
        # Set by tests that take the phone offline or drop connections on purpose.
        self.network_cut = False

    def watch(self, page):
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("response", self._response)

    def _console(self, page, message):
        if message.type != "error":
            return
        if message.text.startswith(HTTP_ERROR_CONSOLE):
            return  # told by _response, which knows a page (a form with errors is a 400) from a resource
        if self.network_cut and message.text.startswith(NETWORK_ERROR_CONSOLE):
            return  # the test cut the connection: the browser says so, and the page must cope
        self.console_errors.append(f"{page.url}: {message.text}")

    def _response(self, response):
        # Pages may answer 4xx on purpose, and so may the API to a script that shows its message;
        # a stylesheet, script or image that fails is a broken page.
        if response.status >= 400 and response.request.resource_type not in ("document", "fetch", "xhr"):
            self.failed_resources.append(f"{response.status} {response.url}")

    def route(self, route):
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external_requests.append(url)
            route.abort()

    def report(self):
        lines = []
        if self.external_requests:
            lines.append("Requests that left the live server (aborted):")
            lines += [f"  {url}" for url in self.external_requests]
        if self.page_errors:
            lines.append("JavaScript errors:")
            lines += [f"  {error}" for error in self.page_errors]
        if self.failed_resources:
            lines.append("Resources the pages failed to load:")
            lines += [f"  {failure}" for failure in self.failed_resources]
        if self.console_errors:
            lines.append("Console errors (CSP violations are reported here):")
            lines += [f"  {error}" for error in self.console_errors]
        return "\n".join(lines)


@pytest.fixture
def new_context(browser, server, settings):
    """A factory of phone-sized browser contexts (each its own cookie jar, so its own login)."""
    problems = BrowserProblems()
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=server, **{**PHONE, **options})
        context.set_default_timeout(10_000)
        context.route("**/*", problems.route)
        context.on("page", problems.watch)
        contexts.append(context)
        return context

    make.problems = problems
    yield make
    for context in contexts:
        context.close()
    report = problems.report()
    if report:
        pytest.fail(report, pytrace=False)


@pytest.fixture
def new_page(new_context):
    """A factory of pages, each in a fresh context."""

    def make(**options):
        return new_context(**options).new_page()

    return make


def _second_factor(page, username, lang):
    """Staff and administrators give the code their phone would show (set up first if need be)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ..factories import app_code

    setting_up = "/two-factor/set-up/" in page.url
    device = TOTPDevice.objects.get(user__username=username, confirmed=not setting_up)
    page.locator("main input[name=code]").fill(app_code(device))
    page.locator("main input[name=code]").press("Enter")
    if setting_up:
        page.wait_for_url(re.compile(r"/accounts/two-factor/\?"))  # the recovery codes, shown once
        page.goto(f"/{lang}/panel/")


@pytest.fixture
def login():
    """Log in through the real form (django-axes watches it), give the second factor where the
    user needs it, and land on the panel."""

    def log_in(page, username, password=PASSWORD, lang="es"):
        text = LOGIN_TEXT[lang]
        page.goto(f"/{lang}/accounts/login/")
        page.get_by_label(text["username"]).fill(username)
        page.get_by_label(text["password"]).fill(password)
        page.get_by_role("button", name=text["submit"]).click()
        page.wait_for_url(re.compile(rf"/{lang}/(panel/$|accounts/two-factor/)"))
        if "/two-factor/" in page.url:
            _second_factor(page, username, lang)
        page.wait_for_url(f"**/{lang}/panel/")
        return page

    return log_in


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci`")
    return AXE_SOURCE.read_text()


@pytest.fixture
def audit(axe_source):
    """axe-core on each page given (`audit(page, "what")`); `audit.assert_clean()` lists every violation."""
    return Audit(axe_source)
