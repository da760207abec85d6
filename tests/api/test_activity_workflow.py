"""POST /api/v1/activities/{id}/submit|approve|return|reopen/: the review workflow through the same
service as the panel. Coordinators submit, staff review; a step from the wrong status or by the
wrong person is refused in the error shape and changes nothing, not even the history."""

import pytest
from django.core import mail

from activities.models import Activity, ActivityTransition
from publication.services import release_publish
from tests.factories import ActivityFactory

URL = "/api/v1/activities/"


def act(api, activity, action, comment=None, **extra):
    data = {} if comment is None else {"comment": comment}
    return api.post(f"{URL}{activity.pk}/{action}/", data, format="json", **extra)


def as_user(api, user):
    if user is not None:
        api.force_login(user)
    return api


def state(activity):
    """What a refusal must leave alone: the row's workflow fields and the recorded steps."""
    row = Activity.objects.values("status", "version", "review_comment", "updated_at").get(pk=activity.pk)
    return {**row, "steps": ActivityTransition.objects.filter(activity=activity).count()}


@pytest.fixture
def in_status(amazonas, coord_amazonas):
    def make(status):
        return ActivityFactory(region=amazonas, status=status, created_by=coord_amazonas, with_evidence=True)

    return make


class TestTheLoop:
    def test_submit_return_resubmit_approve_reopen(
        self, api, coord_amazonas, staff, in_status, django_capture_on_commit_callbacks
    ):
        activity = in_status("draft")
        coordinator, reviewer = as_user(api, coord_amazonas), None

        response = act(coordinator, activity, "submit")
        assert response.status_code == 200, response.content
        assert (response.json()["status"], response["ETag"]) == ("submitted", '"2"')

        reviewer = as_user(api, staff)
        with django_capture_on_commit_callbacks(execute=True):
            response = act(reviewer, activity, "return", "Falta la lista de instituciones.")
        assert response.json()["status"] == "returned"
        assert response.json()["review_comment"] == "Falta la lista de instituciones."
        assert [message.to for message in mail.outbox] == [[coord_amazonas.email]]

        coordinator = as_user(api, coord_amazonas)
        assert act(coordinator, activity, "submit").json()["status"] == "submitted"

        reviewer = as_user(api, staff)
        assert act(reviewer, activity, "approve", "").json()["status"] == "approved"
        response = act(reviewer, activity, "reopen", "La fecha está mal.")
        assert response.json()["status"] == "returned"
        assert response["ETag"] == '"6"'

        steps = ActivityTransition.objects.filter(activity=activity)
        assert [(s.from_status, s.to_status) for s in steps] == [
            ("draft", "submitted"),
            ("submitted", "returned"),
            ("returned", "submitted"),
            ("submitted", "approved"),
            ("approved", "returned"),
        ]
        assert [s.by for s in steps] == [coord_amazonas, staff, coord_amazonas, staff, staff]

    def test_approving_makes_the_activity_public_with_the_next_release(
        self, api, staff, in_status, django_capture_on_commit_callbacks
    ):
        activity = in_status("submitted")
        assert api.get(f"{URL}{activity.pk}/").status_code == 404
        assert act(as_user(api, staff), activity, "approve").status_code == 200
        api.logout()
        assert api.get(f"{URL}{activity.pk}/").status_code == 404
        with django_capture_on_commit_callbacks(execute=True):
            release_publish()
        assert api.get(f"{URL}{activity.pk}/").status_code == 200

    def test_an_administrator_reviews_too(self, api, admin_user, in_status):
        assert act(as_user(api, admin_user), in_status("submitted"), "approve").status_code == 200

    def test_submitting_again_after_a_lost_answer_is_not_an_error(self, api, coord_amazonas, in_status):
        activity = in_status("submitted")
        before = state(activity)
        response = act(as_user(api, coord_amazonas), activity, "submit")
        assert response.status_code == 200
        assert response.json()["status"] == "submitted"
        assert state(activity) == before

    def test_the_current_if_match_is_accepted(self, api, coord_amazonas, in_status):
        response = act(as_user(api, coord_amazonas), in_status("draft"), "submit", HTTP_IF_MATCH='"1"')
        assert response.status_code == 200


class TestWrongPerson:
    @pytest.mark.parametrize(
        ("action", "status", "persona", "code"),
        [
            ("submit", "draft", "staff", 403),
            ("submit", "draft", "coord_puno", 404),
            ("submit", "draft", "anonymous", 401),
            ("approve", "submitted", "coord_amazonas", 403),
            ("approve", "submitted", "coord_puno", 404),
            ("approve", "submitted", "anonymous", 401),
            ("return", "submitted", "coord_amazonas", 403),
            ("reopen", "approved", "coord_amazonas", 403),
            ("reopen", "approved", "coord_puno", 404),
            ("reopen", "approved", "anonymous", 401),
        ],
    )
    def test_the_step_is_refused_and_nothing_changes(
        self, api, in_status, action, status, persona, code, request, assert_error
    ):
        activity = in_status(status)
        before = state(activity)
        user = None if persona == "anonymous" else request.getfixturevalue(persona)
        expected_code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}[code]
        assert_error(act(as_user(api, user), activity, action, "Un comentario."), code, code=expected_code)
        assert state(activity) == before
        assert not mail.outbox


class TestWrongStatus:
    @pytest.mark.parametrize(
        ("action", "status", "persona"),
        [
            ("approve", "draft", "staff"),
            ("approve", "returned", "staff"),
            ("approve", "approved", "staff"),
            ("return", "draft", "staff"),
            ("return", "approved", "staff"),
            ("reopen", "submitted", "staff"),
            ("reopen", "draft", "staff"),
        ],
    )
    def test_the_step_is_a_bad_transition_and_nothing_changes(
        self, api, in_status, action, status, persona, request, assert_error
    ):
        activity = in_status(status)
        before = state(activity)
        response = act(as_user(api, request.getfixturevalue(persona)), activity, action, "Un comentario.")
        assert_error(response, 400, code="bad_transition")
        assert state(activity) == before

    def test_an_approved_activity_cannot_be_submitted_by_its_coordinators(
        self, api, coord_amazonas, in_status, assert_error
    ):
        # activities.services folds the status into the permission (can_edit_activity): it is theirs
        # to submit only while it is open for editing.
        activity = in_status("approved")
        before = state(activity)
        assert_error(act(as_user(api, coord_amazonas), activity, "submit"), 403, code="permission_denied")
        assert state(activity) == before

    def test_the_refusal_says_why_in_the_language_asked_for(self, api, staff, in_status, assert_error):
        response = act(as_user(api, staff), in_status("draft"), "approve", HTTP_ACCEPT_LANGUAGE="en")
        error = assert_error(response, 400, code="bad_transition")
        assert error["message"] == "An activity that is draft cannot be approved."


class TestBadInput:
    @pytest.mark.parametrize(("action", "status"), [("return", "submitted"), ("reopen", "approved")])
    @pytest.mark.parametrize("comment", [None, "", "   "])
    def test_returning_or_reopening_needs_a_comment(self, api, staff, in_status, action, status, comment, assert_error):
        activity = in_status(status)
        before = state(activity)
        assert_error(act(as_user(api, staff), activity, action, comment), 400, code="comment_required")
        assert state(activity) == before

    def test_an_unknown_field_is_refused(self, api, staff, in_status, assert_error):
        activity = in_status("submitted")
        before = state(activity)
        response = as_user(api, staff).post(f"{URL}{activity.pk}/approve/", {"coment": "ok"}, format="json")
        assert_error(response, 400, code="invalid", field="coment")
        assert state(activity) == before

    def test_malformed_json_is_refused(self, api, staff, in_status, assert_error):
        activity = in_status("submitted")
        before = state(activity)
        response = as_user(api, staff).post(f"{URL}{activity.pk}/approve/", "{", content_type="application/json")
        assert_error(response, 400, code="parse_error")
        assert state(activity) == before

    def test_a_comment_of_the_wrong_type_is_refused(self, api, staff, in_status, assert_error):
        activity = in_status("submitted")
        before = state(activity)
        assert_error(act(as_user(api, staff), activity, "return", {"text": "x"}), 400, field="comment")
        assert state(activity) == before

    def test_a_stale_if_match_is_refused(self, api, staff, in_status, assert_error):
        activity = in_status("submitted")
        Activity.objects.filter(pk=activity.pk).update(version=3)
        before = state(activity)
        assert_error(act(as_user(api, staff), activity, "approve", HTTP_IF_MATCH='"2"'), 412, code="edit_conflict")
        assert state(activity) == before

    def test_an_unknown_action_is_not_found(self, api, staff, in_status):
        activity = in_status("submitted")
        before = state(activity)
        assert act(as_user(api, staff), activity, "publish").status_code == 404
        assert state(activity) == before

    @pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
    def test_actions_take_post_only(self, api, staff, in_status, method, assert_error):
        activity = in_status("submitted")
        before = state(activity)
        response = getattr(as_user(api, staff), method)(f"{URL}{activity.pk}/approve/")
        assert_error(response, 405, code="method_not_allowed")
        assert state(activity) == before
