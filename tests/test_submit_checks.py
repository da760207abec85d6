"""Submitting needs no second trip: an activity without participants, place, description or evidence,
with more families than adults, or dated in the future is refused with a message per field, whether
sent from the model, the panel or the API, and nothing changes. The "check your answers" page shows
what will be sent and what is missing before the coordinator sends it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from rest_framework.test import APIClient

from activities.models import Activity, ActivityTransition
from activities.services import activity_transition

from .factories import ActivityFactory, EvidenceFactory

NO_PEOPLE = {"girls": 0, "boys": 0, "adolescent_girls": 0, "adolescent_boys": 0, "women": 0, "men": 0}


def tomorrow():
    return timezone.localdate() + datetime.timedelta(days=1)


# (the field refused, what makes the activity incomplete, the message)
INCOMPLETE = [
    ("participants", NO_PEOPLE, "Add at least one participant."),
    ("place_name", {"place_name": "  "}, "Say where it took place"),
    ("description", {"description": " \n "}, "Describe what was done and with whom."),
    ("evidence", {"with_evidence": False}, "Attach at least one photo or PDF"),
    ("families", {"women": 3, "men": 2, "families": 6}, "more families than adults"),
    ("start_date", {"start_date": tomorrow, "end_date": tomorrow}, "The start date is in the future"),
    ("end_date", {"end_date": tomorrow}, "The end date is in the future"),
]
IDS = [field for field, _, _ in INCOMPLETE]
# A start date in the future brings its end date with it (the end is never before the start).
REFUSED = {"start_date": ["start_date", "end_date"]}


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever the Spanish catalogue says.
    with translation.override("en"):
        yield


def incomplete(region, created_by, changes, status="draft"):
    fields = {"with_evidence": True, **{k: v() if callable(v) else v for k, v in changes.items()}}
    if fields.get("end_date") and "start_date" not in changes:
        fields["start_date"] = timezone.localdate()
    return ActivityFactory(region=region, created_by=created_by, status=status, **fields)


def state(activity):
    """What a refusal must leave alone."""
    row = Activity.objects.values("status", "version", "updated_at").get(pk=activity.pk)
    return {
        **row,
        "steps": ActivityTransition.objects.filter(activity=activity).count(),
        "history": activity.history.count(),
    }


class TestTheRule:
    def test_a_complete_activity_has_no_problems_and_is_submitted(self, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, with_evidence=True)
        assert activity.submission_problems() == {}
        activity.transition("submit", by=coord_amazonas)
        assert Activity.objects.get(pk=activity.pk).status == "submitted"

    def test_a_new_empty_activity_lists_every_problem(self, amazonas):
        activity = Activity(region=amazonas, title="Sin datos", start_date=tomorrow(), end_date=tomorrow())
        assert set(activity.submission_problems()) == {
            "objective",
            "service",
            "participants",
            "place_name",
            "description",
            "evidence",
            "start_date",
            "end_date",
        }

    @pytest.mark.parametrize(("field", "changes", "message"), INCOMPLETE, ids=IDS)
    @pytest.mark.parametrize("status", ["draft", "returned"])
    def test_an_incomplete_activity_is_refused_by_field_and_nothing_changes(
        self, amazonas, coord_amazonas, field, changes, message, status
    ):
        activity = incomplete(amazonas, coord_amazonas, changes, status=status)
        before = state(activity)
        with pytest.raises(ValidationError) as caught:
            activity.transition("submit", by=coord_amazonas)
        assert list(caught.value.message_dict) == REFUSED.get(field, [field])
        assert message in caught.value.message_dict[field][0]
        assert state(activity) == before
        assert (activity.status, activity.version) == (status, 1)

    def test_a_virtual_activity_needs_no_place(self, amazonas, coord_amazonas):
        activity = ActivityFactory(
            region=amazonas, created_by=coord_amazonas, modality="virtual", place_name="", with_evidence=True
        )
        activity.transition("submit", by=coord_amazonas)
        assert Activity.objects.get(pk=activity.pk).status == "submitted"

    def test_a_point_on_the_map_is_a_place(self, amazonas, coord_amazonas):
        activity = ActivityFactory(
            region=amazonas,
            created_by=coord_amazonas,
            place_name="",
            latitude="-6.2294",
            longitude="-77.8728",
            with_evidence=True,
        )
        assert "place_name" not in activity.submission_problems()

    def test_an_activity_held_today_in_lima_may_be_submitted(self, amazonas, coord_amazonas):
        today = timezone.localdate()
        activity = ActivityFactory(
            region=amazonas, created_by=coord_amazonas, start_date=today, end_date=today, with_evidence=True
        )
        assert activity.submission_problems() == {}

    def test_as_many_families_as_adults_is_accepted(self, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, women=3, men=2, families=5, with_evidence=True)
        assert activity.submission_problems() == {}

    def test_evidence_removed_after_loading_is_seen(self, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, with_evidence=True)
        activity.evidence.all().delete()
        with pytest.raises(ValidationError) as caught:
            activity_transition(activity=activity, action="submit", by=coord_amazonas)
        assert list(caught.value.message_dict) == ["evidence"]


@pytest.fixture
def amazonas_client(coord_amazonas):
    client = Client()
    client.force_login(coord_amazonas)
    return client


def url(name, activity):
    with translation.override("en"):
        return reverse(f"activities:{name}", args=[activity.pk])


class TestThePanel:
    @pytest.mark.parametrize(("field", "changes", "message"), INCOMPLETE, ids=IDS)
    def test_sending_an_incomplete_activity_shows_why_and_changes_nothing(
        self, amazonas_client, amazonas, coord_amazonas, field, changes, message
    ):
        activity = incomplete(amazonas, coord_amazonas, changes)
        before = state(activity)
        response = amazonas_client.post(url("submit", activity), follow=True)
        shown = [str(m) for m in response.context["messages"]]
        assert len(shown) == len(REFUSED.get(field, [field]))
        assert message in shown[0]
        assert state(activity) == before

    def test_the_detail_page_leads_to_the_check_below_the_evidence(self, amazonas_client, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas)
        html = amazonas_client.get(url("detail", activity)).content.decode()
        check = f'href="{url("submit_check", activity)}"'
        assert check in html
        assert html.index('id="evidence"') < html.index(check)
        assert f'action="{url("submit", activity)}"' not in html

    def test_the_objective_is_shown_by_name(self, amazonas_client, amazonas, coord_amazonas, staff):
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, status="submitted")
        title = activity.objective.localized("title")
        assert f"OE1 · {title}" in amazonas_client.get(url("detail", activity)).content.decode()
        staff_client = Client()
        staff_client.force_login(staff)
        with translation.override("en"):
            queue = staff_client.get(reverse("activities:review_queue")).content.decode()
        # The queue's table may shorten a long title; its first words are always there.
        first_words = " ".join(activity.objective.localized("title").split()[:3])
        assert f"OE1 · {first_words}" in queue


class TestTheCheckPage:
    def test_it_shows_the_answers_with_change_links_and_the_send_button(
        self, amazonas_client, amazonas, coord_amazonas
    ):
        activity = ActivityFactory(
            region=amazonas, created_by=coord_amazonas, title="Feria en Leimebamba", families=7, with_evidence=True
        )
        response = amazonas_client.get(url("submit_check", activity))
        assert response.status_code == 200
        html = response.content.decode()
        for answer in (
            "Feria en Leimebamba",
            f"OE1 · {activity.objective.localized('title')}",
            escape(str(activity.service)),
            "Local comunal",
            activity.description,
            "<dd>25</dd>",  # participants in total
            "<dd>7</dd>",  # families
            "<dd>1</dd>",  # evidence files
        ):
            assert answer in html, answer
        assert f'href="{url("edit", activity)}#id_title"' in html
        assert f'href="{url("edit", activity)}#id_families"' in html
        assert f'action="{url("submit", activity)}"' in html
        assert response.context["problems"] == []

    def test_it_lists_the_problems_and_hides_the_send_button(self, amazonas_client, amazonas, coord_amazonas):
        activity = ActivityFactory(
            region=amazonas, created_by=coord_amazonas, description="", place_name="", **NO_PEOPLE
        )
        html = amazonas_client.get(url("submit_check", activity)).content.decode()
        for message in (
            "Add at least one participant.",
            "Say where it took place",
            "Describe what was done and with whom.",
            "Attach at least one photo or PDF",
        ):
            assert message in html, message
        assert f'action="{url("submit", activity)}"' not in html
        assert f'href="{url("edit", activity)}#id_description"' in html
        assert f'href="{url("detail", activity)}#evidence"' in html

    def test_the_send_button_appears_once_the_last_problem_is_put_right(
        self, amazonas_client, amazonas, coord_amazonas
    ):
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas)
        assert (
            f'action="{url("submit", activity)}"'
            not in amazonas_client.get(url("submit_check", activity)).content.decode()
        )
        EvidenceFactory(activity=activity)
        assert (
            f'action="{url("submit", activity)}"' in amazonas_client.get(url("submit_check", activity)).content.decode()
        )

    def test_the_coordinator_of_another_region_is_told_it_does_not_exist(self, coord_puno, amazonas):
        activity = ActivityFactory(region=amazonas, with_evidence=True)
        client = Client()
        client.force_login(coord_puno)
        assert client.get(url("submit_check", activity)).status_code == 404

    def test_staff_do_not_submit_for_a_region(self, staff, amazonas):
        activity = ActivityFactory(region=amazonas, with_evidence=True)
        client = Client()
        client.force_login(staff)
        assert client.get(url("submit_check", activity)).status_code == 403

    @pytest.mark.parametrize("status", ["submitted", "approved"])
    def test_an_activity_already_sent_goes_back_to_its_page(self, amazonas_client, amazonas, status):
        activity = ActivityFactory(region=amazonas, status=status)
        response = amazonas_client.get(url("submit_check", activity))
        assert response.status_code == 302
        assert response.url == url("detail", activity)

    def test_post_is_not_allowed(self, amazonas_client, amazonas):
        activity = ActivityFactory(region=amazonas, with_evidence=True)
        before = state(activity)
        assert amazonas_client.post(url("submit_check", activity)).status_code == 405
        assert state(activity) == before


class TestTheApi:
    @pytest.fixture
    def api(self, coord_amazonas):
        client = APIClient()
        client.force_authenticate(coord_amazonas)
        return client

    @pytest.mark.parametrize(("field", "changes", "message"), INCOMPLETE, ids=IDS)
    def test_an_incomplete_activity_is_refused_with_the_fields_messages(
        self, api, amazonas, coord_amazonas, field, changes, message
    ):
        activity = incomplete(amazonas, coord_amazonas, changes)
        before = state(activity)
        response = api.post(f"/api/v1/activities/{activity.pk}/submit/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        error = response.json()["error"]
        assert (error["status"], error["code"]) == (400, "invalid")
        assert list(error["fields"]) == REFUSED.get(field, [field])
        assert message in error["fields"][field][0]
        assert message in error["message"]
        assert state(activity) == before

    def test_every_problem_is_answered_at_once(self, api, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, description="", **NO_PEOPLE)
        response = api.post(f"/api/v1/activities/{activity.pk}/submit/", {}, format="json")
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"participants", "description", "evidence"}

    def test_a_complete_activity_is_submitted(self, api, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, with_evidence=True)
        response = api.post(f"/api/v1/activities/{activity.pk}/submit/", {}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "submitted"
