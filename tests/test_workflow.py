"""The review workflow (draft → submitted → approved | returned; returned → submitted;
staff reopen an approved activity with a reason), and the edit services that guard it:
optimistic locking, partners from the activity's own region, and the audit history."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from activities.models import Activity, ActivityTransition
from activities.services import EditConflict, activity_create, activity_save
from programs.models import Objective, Service

from .factories import ActivityFactory, InstitutionFactory

DRAFT, SUBMITTED, APPROVED, RETURNED = "draft", "submitted", "approved", "returned"


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever the Spanish catalogue says.
    with translation.override("en"):
        yield


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, created_by=coord_amazonas, with_evidence=True)


def at_status(status, **fields):
    return ActivityFactory(status=status, **fields)


def reload(activity):
    return Activity.objects.get(pk=activity.pk)


class TestTransitions:
    def test_a_draft_is_submitted_then_approved(self, draft, coord_amazonas, staff):
        draft.transition("submit", by=coord_amazonas)
        assert reload(draft).status == SUBMITTED
        draft.transition("approve", by=staff)
        stored = reload(draft)
        assert stored.status == APPROVED
        assert stored.version == 3
        steps = list(stored.transitions.values_list("from_status", "to_status", "by__username"))
        assert steps == [(DRAFT, SUBMITTED, "coord-amazonas"), (SUBMITTED, APPROVED, "staff")]

    def test_the_activity_keeps_its_latest_submission_and_the_decision_that_answered_it(
        self, draft, coord_amazonas, staff
    ):
        sent = draft.transition("submit", by=coord_amazonas)
        back = draft.transition("return", by=staff, comment="Falta la lista.")
        assert (reload(draft).submitted_at, reload(draft).decided_at) == (sent.at, back.at)
        again = draft.transition("submit", by=coord_amazonas)
        # Waiting again: the earlier decision stays, older than the submission it did not answer.
        assert (reload(draft).submitted_at, reload(draft).decided_at) == (again.at, back.at)
        approved = draft.transition("approve", by=staff)
        stored = reload(draft)
        assert (stored.submitted_at, stored.decided_at, stored.approved_at) == (again.at, approved.at, approved.at)
        draft.transition("reopen", by=staff, comment="Corregir la fecha.")
        # A reopening is no decision.
        assert (reload(draft).submitted_at, reload(draft).decided_at) == (again.at, approved.at)
        times = list(Activity.objects.filter(pk=draft.pk).values_list("submitted_at", "decided_at"))
        Activity.objects.filter(pk=draft.pk).times_from_steps()
        assert list(Activity.objects.filter(pk=draft.pk).values_list("submitted_at", "decided_at")) == times

    def test_an_older_version_restored_from_the_history_keeps_the_workflow_times(self, draft, coord_amazonas, staff):
        draft.transition("submit", by=coord_amazonas)
        draft.transition("return", by=staff, comment="Falta la lista.")
        # What the admin's "revert" saves: the oldest version, from before any step.
        restored = draft.history.earliest().instance
        stored = reload(draft)
        assert (restored.submitted_at, restored.decided_at) == (stored.submitted_at, stored.decided_at)
        assert stored.submitted_at is not None

    def test_each_transition_records_who_when_from_to_and_the_comment(self, draft, coord_amazonas, staff):
        before = datetime.datetime.now(datetime.UTC)
        draft.transition("submit", by=coord_amazonas)
        step = draft.transition("return", by=staff, comment="  Falta el número de familias.  ")
        assert isinstance(step, ActivityTransition)
        stored = ActivityTransition.objects.get(pk=step.pk)
        assert stored.activity_id == draft.pk
        assert stored.by == staff
        assert (stored.from_status, stored.to_status) == (SUBMITTED, RETURNED)
        assert stored.comment == "Falta el número de familias."
        assert stored.at >= before - datetime.timedelta(seconds=1)

    def test_each_transition_increments_the_version_by_one(self, draft, coord_amazonas, staff):
        versions = [reload(draft).version]
        for action, by, comment in [
            ("submit", coord_amazonas, ""),
            ("return", staff, "Corrija la fecha."),
            ("submit", coord_amazonas, ""),
            ("approve", staff, ""),
            ("reopen", staff, "La fecha sigue mal."),
        ]:
            draft.transition(action, by=by, comment=comment)
            versions.append(reload(draft).version)
        assert versions == [1, 2, 3, 4, 5, 6]
        assert draft.version == 6
        assert draft.transitions.count() == 5

    def test_a_returned_activity_carries_the_reviewers_comment_and_can_be_submitted_again(
        self, draft, coord_amazonas, staff
    ):
        draft.transition("submit", by=coord_amazonas)
        draft.transition("return", by=staff, comment="Agregue la lista de instituciones.")
        stored = reload(draft)
        assert stored.status == RETURNED
        assert stored.review_comment == "Agregue la lista de instituciones."
        assert stored.is_open_for_editing

        draft.transition("submit", by=coord_amazonas)
        assert reload(draft).status == SUBMITTED

    @pytest.mark.parametrize("comment", ["", "   ", "\n\t "], ids=["empty", "spaces", "blank lines"])
    def test_returning_without_a_comment_is_refused_and_changes_nothing(self, comment, staff):
        activity = at_status(SUBMITTED)
        with pytest.raises(ValidationError) as caught:
            activity.transition("return", by=staff, comment=comment)
        assert caught.value.code == "comment_required"
        assert "Write a comment" in caught.value.messages[0]
        stored = reload(activity)
        assert (stored.status, stored.version) == (SUBMITTED, 1)
        assert (activity.status, activity.version) == (SUBMITTED, 1)
        assert not ActivityTransition.objects.filter(activity=activity).exists()

    def test_reopening_an_approved_activity_without_a_reason_is_refused(self, staff):
        activity = at_status(APPROVED)
        with pytest.raises(ValidationError) as caught:
            activity.transition("reopen", by=staff, comment="  ")
        assert caught.value.code == "comment_required"
        stored = reload(activity)
        assert (stored.status, stored.version) == (APPROVED, 1)
        assert not stored.transitions.exists()

    def test_reopening_an_approved_activity_with_a_reason_returns_it_to_its_region(self, staff):
        activity = at_status(APPROVED)
        activity.transition("reopen", by=staff, comment="El total de hombres está duplicado.")
        stored = reload(activity)
        assert stored.status == RETURNED
        assert stored.review_comment == "El total de hombres está duplicado."
        assert stored.is_open_for_editing
        step = stored.transitions.get()
        assert (step.from_status, step.to_status, step.by, step.comment) == (
            APPROVED,
            RETURNED,
            staff,
            "El total de hombres está duplicado.",
        )

    @pytest.mark.parametrize(
        "status, action",
        [
            pytest.param(DRAFT, "approve", id="a draft cannot be approved"),
            pytest.param(DRAFT, "return", id="a draft cannot be returned"),
            pytest.param(DRAFT, "reopen", id="a draft cannot be reopened"),
            pytest.param(SUBMITTED, "submit", id="a submitted activity cannot be submitted again"),
            pytest.param(SUBMITTED, "reopen", id="a submitted activity cannot be reopened"),
            pytest.param(APPROVED, "submit", id="an approved activity cannot be submitted"),
            pytest.param(APPROVED, "approve", id="an approved activity cannot be approved again"),
            pytest.param(APPROVED, "return", id="an approved activity cannot be returned without reopening"),
            pytest.param(RETURNED, "approve", id="a returned activity cannot be approved before it is resubmitted"),
            pytest.param(RETURNED, "return", id="a returned activity cannot be returned again"),
            pytest.param(RETURNED, "reopen", id="a returned activity cannot be reopened"),
        ],
    )
    def test_a_move_the_workflow_does_not_allow_is_refused_and_changes_nothing(self, status, action, staff):
        activity = at_status(status, review_comment="antes")
        with pytest.raises(ValidationError) as caught:
            # A comment is given, so only the move itself can be the reason for refusing.
            activity.transition(action, by=staff, comment="Un comentario.")
        assert caught.value.code == "bad_transition"
        assert "cannot be" in caught.value.messages[0]
        stored = reload(activity)
        assert (stored.status, stored.version, stored.review_comment) == (status, 1, "antes")
        assert (activity.status, activity.version) == (status, 1)
        assert ActivityTransition.objects.filter(activity=activity).count() == 0

    def test_a_reviewer_working_on_a_stale_copy_cannot_move_an_activity_someone_else_already_moved(self, staff):
        activity = at_status(SUBMITTED)
        first, second = reload(activity), reload(activity)
        first.transition("approve", by=staff)
        with pytest.raises(EditConflict):
            # The second reviewer still sees it submitted; it is approved, so locked.
            second.transition("return", by=staff, comment="Falta evidencia.")
        stored = reload(activity)
        assert (stored.status, stored.version) == (APPROVED, 2)
        assert stored.transitions.count() == 1


class TestActivitySave:
    def test_of_two_people_editing_the_same_version_the_first_save_wins(self, draft):
        mine, theirs = reload(draft), reload(draft)
        mine.title = "Taller con madres y padres en Luya"
        activity_save(activity=mine, expected_version=mine.version)
        assert reload(draft).version == 2

        theirs.title = "Taller en Bagua"
        with pytest.raises(EditConflict) as caught:
            activity_save(activity=theirs, expected_version=theirs.version)
        assert caught.value.code == "edit_conflict"
        assert "Someone else saved this activity" in caught.value.messages[0]
        assert "reload" in caught.value.messages[0]

        stored = reload(draft)
        assert stored.title == "Taller con madres y padres en Luya"
        assert stored.version == 2

    def test_an_edit_begun_before_the_activity_was_submitted_is_refused(self, draft, coord_amazonas):
        editing = reload(draft)
        draft.transition("submit", by=coord_amazonas)
        editing.title = "Cambio tardío"
        with pytest.raises(EditConflict):
            activity_save(activity=editing, expected_version=editing.version)
        stored = reload(draft)
        assert (stored.status, stored.title) == (SUBMITTED, draft.title)

    @pytest.mark.parametrize("status", [SUBMITTED, APPROVED])
    def test_an_activity_that_is_not_open_for_editing_cannot_be_saved(self, db, status):
        # Submitted is with the reviewer; approved is locked until staff reopen it.
        activity = at_status(status)
        activity.title = "Cambio sin reabrir"
        with pytest.raises(ValidationError) as caught:
            activity_save(activity=activity, expected_version=activity.version)
        assert caught.value.code == "locked"
        stored = reload(activity)
        assert stored.title != "Cambio sin reabrir"
        assert stored.version == 1

    def test_a_returned_activity_can_be_corrected(self, db):
        activity = at_status(RETURNED)
        activity.women = 30
        activity_save(activity=activity, expected_version=1)
        stored = reload(activity)
        assert (stored.women, stored.version, stored.status) == (30, 2, RETURNED)

    def test_an_invalid_edit_is_refused_and_the_version_stays(self, draft):
        draft.end_date = draft.start_date - datetime.timedelta(days=1)
        with pytest.raises(ValidationError) as caught:
            activity_save(activity=draft, expected_version=1)
        assert "end_date" in caught.value.message_dict
        stored = reload(draft)
        assert (stored.end_date, stored.version) == (stored.start_date, 1)

    def test_saving_sets_partner_institutions_of_the_region(self, draft, amazonas):
        partners = [InstitutionFactory(region=amazonas), InstitutionFactory(region=amazonas)]
        activity_save(activity=draft, expected_version=1, institutions=partners)
        assert set(reload(draft).institutions.all()) == set(partners)

    def test_saving_with_an_institution_of_another_region_saves_nothing(self, draft, amazonas, puno):
        draft.title = "Con una institución ajena"
        with pytest.raises(ValidationError) as caught:
            activity_save(activity=draft, expected_version=1, institutions=[InstitutionFactory(region=puno)])
        assert "institutions" in caught.value.message_dict
        stored = reload(draft)
        assert stored.title != "Con una institución ajena"
        assert stored.version == 1
        assert not stored.institutions.exists()


def creation_data(**overrides):
    return {
        "objective": Objective.objects.get(code="OE3"),
        "service": Service.objects.get(slug="hombres-por-la-igualdad"),
        "title": "Conformación de la red de líderes de Lamud",
        "start_date": datetime.date(2025, 5, 2),
        "end_date": datetime.date(2025, 5, 2),
        "men": 14,
        "women": 9,
        **overrides,
    }


class TestActivityCreate:
    def test_a_coordinator_creates_a_draft_with_partners_of_the_region(self, amazonas, coord_amazonas):
        partner = InstitutionFactory(region=amazonas)
        activity = activity_create(
            data=creation_data(), region=amazonas, created_by=coord_amazonas, institutions=[partner]
        )
        stored = reload(activity)
        assert (stored.status, stored.version, stored.created_by) == (DRAFT, 1, coord_amazonas)
        assert list(stored.institutions.all()) == [partner]

    def test_institutions_of_another_region_are_refused_and_nothing_is_saved(self, amazonas, puno, coord_amazonas):
        before = Activity.objects.count()
        with pytest.raises(ValidationError) as caught:
            activity_create(
                data=creation_data(),
                region=amazonas,
                created_by=coord_amazonas,
                institutions=[InstitutionFactory(region=amazonas), InstitutionFactory(region=puno)],
            )
        assert "institutions" in caught.value.message_dict
        assert Activity.objects.count() == before
        assert not Activity.institutions.through.objects.exists()

    def test_invalid_data_is_refused_and_nothing_is_saved(self, amazonas, coord_amazonas):
        before = Activity.objects.count()
        with pytest.raises(ValidationError) as caught:
            activity_create(
                data=creation_data(service=Service.objects.get(slug="familias-con-punche")),
                region=amazonas,
                created_by=coord_amazonas,
            )
        assert set(caught.value.message_dict) == {"service"}
        assert Activity.objects.count() == before


class TestHistory:
    def test_an_edit_adds_a_history_record_with_the_old_and_new_values(self, draft):
        assert draft.history.count() == 1
        old_title = draft.title
        draft.title = "Feria informativa en la plaza de Chachapoyas"
        activity_save(activity=draft, expected_version=1)
        assert draft.history.count() == 2
        newest, previous = draft.history.all()[:2]
        assert newest.title == "Feria informativa en la plaza de Chachapoyas"
        assert previous.title == old_title

    def test_a_transition_adds_a_history_record_with_the_new_status(self, draft, coord_amazonas):
        draft.transition("submit", by=coord_amazonas)
        assert draft.history.count() == 2
        assert draft.history.first().status == SUBMITTED

    def test_a_refused_edit_adds_no_history(self, draft):
        theirs = reload(draft)
        activity_save(activity=draft, expected_version=1)
        theirs.title = "Perdido"
        with pytest.raises(EditConflict):
            activity_save(activity=theirs, expected_version=1)
        assert draft.history.count() == 2
        assert not draft.history.filter(title="Perdido").exists()
