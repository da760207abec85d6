"""The admin is the ministry's home page: it links to the staff pages (review queue, dashboard,
completeness, reports, targets), and a review done in the panel or through the API is one of its
"recent actions", with the step and the comment in the log entry."""

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from activities.models import ACTION_PAST, Activity
from tests.factories import ActivityFactory, UserFactory

API = "/api/v1/activities/"
COMMENT = "Falta la lista de asistencia."


def past(action):
    # The log's text is written in the portal's language, whoever reads it later.
    with translation.override(settings.LANGUAGE_CODE):
        return str(ACTION_PAST[action])


def entries(activity):
    content_type = ContentType.objects.get_for_model(Activity)
    return LogEntry.objects.filter(content_type=content_type, object_id=str(activity.pk)).order_by("action_time", "pk")


@pytest.fixture
def submitted(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, status="submitted", created_by=coord_amazonas, with_evidence=True)


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, status="draft", created_by=coord_amazonas, with_evidence=True)


def review(client, activity, action, comment=""):
    return client.post(reverse("activities:review", args=[activity.pk]), {"action": action, "comment": comment})


class TestTheLinks:
    def test_staff_find_the_queue_the_dashboard_the_reports_and_the_targets(self, client, staff):
        client.force_login(staff)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        links = response.content.decode()
        for name in ("activities:review_queue", "dashboard:dashboard", "reports:list", "programs:targets"):
            assert f'href="{reverse(name)}"' in links, name

    def test_the_completeness_link_is_there_once_the_page_is(self, client, staff):
        client.force_login(staff)
        links = client.get(reverse("admin:index")).content.decode()
        try:
            url = reverse("dashboard:completeness")
        except NoReverseMatch:
            # Not installed yet: the index must still render, without a dead link.
            assert "completeness" not in links.lower()
        else:
            assert f'href="{url}"' in links

    def test_a_coordinator_is_sent_to_the_admin_login(self, client, coord_amazonas):
        client.force_login(coord_amazonas)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


class TestPanelReviewsAreLogged:
    def test_approving_in_the_panel_writes_a_log_entry(self, client, staff, submitted):
        client.force_login(staff)
        assert review(client, submitted, "approve").status_code == 302
        (entry,) = entries(submitted)
        assert (entry.user, entry.action_flag, entry.object_repr) == (staff, CHANGE, submitted.title)
        assert past("approve") in entry.change_message.lower()
        assert entry.get_admin_url() == reverse("admin:activities_activity_change", args=[submitted.pk])

    def test_returning_in_the_panel_logs_the_comment(self, client, staff, submitted):
        client.force_login(staff)
        review(client, submitted, "return", COMMENT)
        (entry,) = entries(submitted)
        assert past("return") in entry.change_message.lower()
        assert COMMENT in entry.change_message
        assert entry.get_change_message() == entry.change_message  # plain text, shown as written

    def test_reopening_logs_the_reason(self, client, staff, amazonas):
        approved = ActivityFactory(region=amazonas, status="approved")
        client.force_login(staff)
        review(client, approved, "reopen", COMMENT)
        (entry,) = entries(approved)
        assert past("reopen") in entry.change_message.lower() and COMMENT in entry.change_message

    def test_a_coordinators_submit_is_logged_under_the_coordinator(self, client, coord_amazonas, draft):
        client.force_login(coord_amazonas)
        client.post(reverse("activities:submit", args=[draft.pk]))
        draft.refresh_from_db()
        assert draft.status == "submitted"
        (entry,) = entries(draft)
        assert entry.user == coord_amazonas
        assert past("submit") in entry.change_message.lower()

    def test_a_refused_step_logs_nothing(self, client, staff, submitted):
        client.force_login(staff)
        review(client, submitted, "return", "   ")  # a return needs a comment
        review(client, submitted, "reopen", COMMENT)  # only an approved activity reopens
        assert not entries(submitted).exists()
        assert Activity.objects.get(pk=submitted.pk).status == "submitted"

    def test_a_coordinator_cannot_approve_and_nothing_is_logged(self, client, coord_amazonas, submitted):
        client.force_login(coord_amazonas)
        assert review(client, submitted, "approve").status_code == 403
        assert not entries(submitted).exists()


class TestApiReviewsAreLogged:
    def test_approve_and_return_through_the_api(self, client, staff, submitted, amazonas):
        client.force_login(staff)
        response = client.post(f"{API}{submitted.pk}/return/", {"comment": COMMENT}, content_type="application/json")
        assert response.status_code == 200, response.content
        other = ActivityFactory(region=amazonas, status="submitted", with_evidence=True)
        assert client.post(f"{API}{other.pk}/approve/", {}, content_type="application/json").status_code == 200
        (returned,) = entries(submitted)
        assert returned.user == staff and COMMENT in returned.change_message
        (approved,) = entries(other)
        assert approved.user == staff and past("approve") in approved.change_message.lower()

    def test_a_refused_api_step_logs_nothing(self, client, staff, submitted):
        client.force_login(staff)
        response = client.post(f"{API}{submitted.pk}/reopen/", {"comment": COMMENT}, content_type="application/json")
        assert response.status_code == 400
        assert not entries(submitted).exists()


class TestRecentActions:
    def test_the_reviewers_own_recent_actions_list_the_activity(self, client, staff, submitted):
        client.force_login(staff)
        review(client, submitted, "approve")
        page = client.get(reverse("admin:index")).content.decode()
        recent = page[page.index('id="recent-actions-module"') :]
        assert submitted.title in recent
        assert reverse("admin:activities_activity_change", args=[submitted.pk]) in recent

    def test_another_staff_member_does_not_see_them_as_theirs(self, client, staff, submitted):
        client.force_login(staff)
        review(client, submitted, "approve")
        colleague = UserFactory(username="colleague", role="ministry")
        client.force_login(colleague)
        page = client.get(reverse("admin:index")).content.decode()
        recent = page[page.index('id="recent-actions-module"') :]
        assert submitted.title not in recent
