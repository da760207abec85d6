"""The completeness page in Chromium: axe-core finds nothing in Spanish and English (with silent
regions, figures and a refused filter), and on a phone the wide table scrolls in its own box with
the region's column staying in view."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from programs.models import Indicator, Target
from tests.browser.test_accessibility import LANGUAGES
from tests.factories import ActivityFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in(new_page, server):
    """A page signed in as `user`: the session of a whole sign-in (tests/conftest.py marks a staff
    session past the second factor), so the test depends on this page only, not on the login flow."""

    def make(user):
        client = Client()
        client.force_login(user)
        page = new_page()
        cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
        page.context.add_cookies([{**cookie, "url": server}])
        return page

    return make


@pytest.fixture
def logged(amazonas):
    today = timezone.localdate()
    ActivityFactory(region=amazonas, status="draft", start_date=today, end_date=today)
    ActivityFactory(region=amazonas, status="submitted", start_date=today, end_date=today)
    Target.objects.create(
        indicator=Indicator.objects.get(code="oe1-awareness-activities"), region=amazonas, year=today.year, value=24
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_completeness_page_has_no_axe_violations(signed_in, audit, lang, staff, logged):
    page = signed_in(staff)
    for what, url in [
        ("completeness, last six months", f"/{lang}/panel/dashboard/completeness/"),
        ("completeness with a wrong month", f"/{lang}/panel/dashboard/completeness/?from=2025-13"),
    ]:
        page.goto(url)
        audit(page, what)
    audit.assert_clean()


def test_on_a_phone_the_table_scrolls_and_the_region_stays_in_view(signed_in, staff, logged):
    page = signed_in(staff)
    page.goto("/en/panel/dashboard/completeness/")
    page.get_by_text("regions have logged nothing this month").wait_for()
    wrap = page.locator(".table-wrap:has(#completeness)")
    first = page.locator("#completeness tbody th").first
    before = first.bounding_box()["x"]
    scrolled = wrap.evaluate("box => { box.scrollLeft = box.scrollWidth; return box.scrollLeft; }")
    assert scrolled > 0, "the table fits a phone: nothing to scroll"
    assert abs(first.bounding_box()["x"] - before) < 1
    # The page itself does not scroll sideways: only the table's box does.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
