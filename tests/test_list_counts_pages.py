"""Staff's long lists in the panel and the admin say "about" when their count is estimated
(prevent_protect.counting), and never count every activity for a page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity
from tests.factories import analyzed_activities

ROWS = 1200


@pytest.fixture
def long_list(amazonas, settings):
    settings.LIST_COUNT_EXACT_UP_TO = 100
    return analyzed_activities(amazonas, ROWS)


def text(response):
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def full_counts(queries):
    """The queries that counted every activity: a COUNT(*) with no LIMIT inside it."""
    return [
        q["sql"]
        for q in queries
        if "COUNT(*)" in q["sql"] and "activities_activity" in q["sql"] and "LIMIT" not in q["sql"]
    ]


class TestPanelList:
    def test_staff_read_about_how_many_activities_and_pages(self, staff_client, long_list):
        with CaptureQueriesContext(connection) as queries:
            page = text(staff_client.get("/en/panel/activities/"))
        assert "About 1,200 activities" in page
        assert "Page 1 of about 24" in page
        assert full_counts(queries) == []

    def test_the_spanish_page_groups_the_estimate_as_spanish_does(self, staff_client, long_list):
        page = staff_client.get("/es/panel/activities/").content.decode()
        assert "1\xa0200" in page and "24" in page

    def test_the_last_page_knows_the_exact_count(self, staff_client, long_list):
        page = text(staff_client.get("/en/panel/activities/", {"page": 24}))
        assert "1,200 activities" in page and "About" not in page
        assert "Page 24 of 24" in page and "Next" not in page

    def test_a_page_past_the_end_shows_the_real_last_page(self, staff_client, long_list):
        # The planner still thinks 1,200: 300 are gone, 900 (18 pages) stay.
        Activity.objects.filter(pk__in=[a.pk for a in long_list[:300]]).delete()
        page = text(staff_client.get("/en/panel/activities/", {"page": 23}))
        assert "Page 18 of 18" in page and "900 activities" in page

    @pytest.mark.parametrize("number", ["0", "abc", "-1"])
    def test_a_wrong_page_number_is_refused_as_before(self, staff_client, long_list, number):
        assert staff_client.get("/en/panel/activities/", {"page": number}).status_code == 400

    def test_a_short_list_is_counted_exactly(self, staff_client, amazonas):
        analyzed_activities(amazonas, 3)
        page = text(staff_client.get("/en/panel/activities/"))
        assert "3 activities" in page and "About" not in page


class TestReviewQueue:
    def test_a_long_queue_says_about(self, staff_client, amazonas, settings):
        settings.LIST_COUNT_EXACT_UP_TO = 100
        analyzed_activities(amazonas, 300, status=Activity.Status.SUBMITTED)
        page = text(staff_client.get("/en/panel/review/"))
        assert "About 300 activities are waiting for review" in page

    def test_a_short_queue_keeps_its_exact_sentence(self, staff_client, amazonas):
        analyzed_activities(amazonas, 2, status=Activity.Status.SUBMITTED)
        page = text(staff_client.get("/en/panel/review/"))
        assert "2 activities are waiting for review" in page and "About" not in page


class TestAdminChangelist:
    URL = "/admin/activities/activity/"

    @pytest.fixture
    def admin_client(self, client, admin_user):
        client.force_login(admin_user)
        return client

    def test_the_changelist_opens_with_an_estimate_and_counts_nothing_whole(self, admin_client, long_list):
        with CaptureQueriesContext(connection) as queries:
            page = text(admin_client.get(self.URL, HTTP_ACCEPT_LANGUAGE="en"))
        assert "about 1,200 activities" in page
        assert full_counts(queries) == []

    def test_a_filtered_changelist_is_exact_when_short(self, admin_client, long_list, puno):
        analyzed_activities(puno, 4)
        page = text(admin_client.get(self.URL, {"region__id__exact": puno.pk}, HTTP_ACCEPT_LANGUAGE="en"))
        assert "4 activities" in page and "about" not in page.split("activities")[0][-20:]

    def test_the_estimates_last_page_link_shows_the_real_last_page(self, admin_client, long_list):
        Activity.objects.filter(pk__in=[a.pk for a in long_list[:300]]).delete()
        response = admin_client.get(self.URL, {"p": 24}, HTTP_ACCEPT_LANGUAGE="en")
        page = text(response)
        assert "900 activities" in page and "about" not in page.split("900 activities")[0][-10:]
