"""POST /api/v1/activities/{id}/evidence/ with a `client_uuid`: a phone on a weak connection that
lost the answer sends the same upload again, and gets the file it stored (200) instead of a second
copy, even once the activity was submitted meanwhile. A value used on another activity is refused
(409) without a word about that activity; an upload without one behaves as before."""

import io
import threading
import uuid

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from PIL import Image

from activities import evidence as evidence_service
from activities.models import MAX_EVIDENCE_PER_ACTIVITY, Activity, Evidence
from tests.factories import ActivityFactory, EvidenceFactory


def photo(colour="red"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    out.seek(0)
    out.name = "foto.jpg"
    return out


def upload(api, activity, key=None, caption="Asistentes", colour="red"):
    data = {"file": photo(colour), "caption": caption}
    if key is not None:
        data["client_uuid"] = str(key)
    return api.post(f"/api/v1/activities/{activity.pk}/evidence/", data, format="multipart")


def files_on_disk():
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def phone(api, coord_amazonas):
    api.force_login(coord_amazonas)
    return api


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, created_by=coord_amazonas)


def test_a_retry_returns_the_stored_file_instead_of_a_second_copy(phone, draft):
    key = uuid.uuid4()
    first = upload(phone, draft, key)
    assert first.status_code == 201, first.content
    again = upload(phone, draft, key, caption="Otra leyenda", colour="blue")
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert again.json()["client_uuid"] == str(key)
    stored = Evidence.objects.get()
    assert (stored.pk, stored.caption, stored.client_uuid) == (first.json()["id"], "Asistentes", key)
    assert len(files_on_disk()) == 1


def test_a_retry_after_the_activity_was_submitted_still_gets_its_file(phone, draft):
    key = uuid.uuid4()
    first = upload(phone, draft, key)
    submitted = phone.post(f"/api/v1/activities/{draft.pk}/submit/", {}, format="json")
    assert submitted.json()["status"] == "submitted", submitted.content
    again = upload(phone, draft, key)
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert Activity.objects.get(pk=draft.pk).status == "submitted"
    assert len(files_on_disk()) == 1


def test_a_new_upload_to_a_submitted_activity_is_still_refused(phone, draft, assert_error):
    upload(phone, draft, uuid.uuid4())
    phone.post(f"/api/v1/activities/{draft.pk}/submit/", {}, format="json")
    assert_error(upload(phone, draft, uuid.uuid4()), 403, code="permission_denied")
    assert_error(upload(phone, draft), 403, code="permission_denied")
    assert Evidence.objects.count() == 1


def test_a_value_used_on_another_regions_activity_is_a_conflict_that_names_nothing(phone, draft, puno, assert_error):
    elsewhere = EvidenceFactory(
        activity=ActivityFactory(region=puno, title="Taller en Juliaca"), client_uuid=uuid.uuid4()
    )
    on_disk = files_on_disk()
    error = assert_error(upload(phone, draft, elsewhere.client_uuid), 409, code="conflict")
    assert "Juliaca" not in error["message"] and str(elsewhere.activity_id) not in error["message"]
    assert list(Evidence.objects.values_list("pk", flat=True)) == [elsewhere.pk]
    assert files_on_disk() == on_disk


def test_a_value_used_on_another_activity_of_the_same_region_is_a_conflict(phone, draft, amazonas, assert_error):
    key = uuid.uuid4()
    assert upload(phone, draft, key).status_code == 201
    other = ActivityFactory(region=amazonas)
    assert_error(upload(phone, other, key), 409, code="conflict")
    assert not other.evidence.exists()
    assert len(files_on_disk()) == 1


def test_without_a_client_uuid_each_upload_stores_a_file(phone, draft):
    assert upload(phone, draft).status_code == 201
    assert upload(phone, draft).status_code == 201
    assert draft.evidence.count() == 2
    assert len(files_on_disk()) == 2
    assert set(draft.evidence.values_list("client_uuid", flat=True)) == {None}


def test_a_malformed_client_uuid_is_named(phone, draft, assert_error):
    assert_error(upload(phone, draft, "not-a-uuid"), 400, code="invalid", field="client_uuid")
    assert not Evidence.objects.exists()
    assert files_on_disk() == []


def test_retries_do_not_count_against_the_file_limit(phone, draft):
    for _ in range(MAX_EVIDENCE_PER_ACTIVITY - 1):
        EvidenceFactory(activity=draft)
    key = uuid.uuid4()
    assert upload(phone, draft, key).status_code == 201
    again = upload(phone, draft, key)
    assert again.status_code == 200, again.content
    assert draft.evidence.count() == MAX_EVIDENCE_PER_ACTIVITY


@pytest.mark.parametrize(
    ("persona", "status", "code"), [("staff", 403, "permission_denied"), ("coord_puno", 404, "not_found")]
)
def test_only_those_who_may_upload_are_answered_with_the_earlier_file(
    api, coord_amazonas, draft, persona, status, code, request, assert_error
):
    stored = EvidenceFactory(activity=draft, client_uuid=uuid.uuid4())
    api.force_login(request.getfixturevalue(persona))
    assert_error(upload(api, draft, stored.client_uuid), status, code=code)
    assert list(Evidence.objects.values_list("pk", flat=True)) == [stored.pk]


def race(first_activity, second_activity, key, by):
    """Two attempts with one client_uuid in two sessions: the first has inserted its row but not
    committed when the second starts, and commits while the second waits on it. Returns both answers."""
    inserted, go_on, results = threading.Event(), threading.Event(), {}

    def attempt(name, activity):
        try:
            file = ContentFile(photo().getvalue(), name="foto.jpg")
            results[name] = evidence_service.evidence_attach(
                activity=activity, uploaded_file=file, caption=name, by=by, client_uuid=key
            )
        except evidence_service.ClientUuidTaken as refused:
            results[name] = refused

    def first():
        with transaction.atomic():
            attempt("first", first_activity)
            inserted.set()
            go_on.wait(10)
        connection.close()

    def second():
        inserted.wait(10)
        # The first one's commit is what lets the second go on; let it come a moment later.
        threading.Timer(0.5, go_on.set).start()
        attempt("second", second_activity)
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results["first"], results["second"]


TWO_SESSIONS = pytest.mark.skipif(connection.vendor != "postgresql", reason="two sessions racing need PostgreSQL")


@TWO_SESSIONS
def test_two_attempts_at_the_same_instant_store_one_file(transactional_db, reference_data, amazonas, coord_amazonas):
    draft = ActivityFactory(region=amazonas, created_by=coord_amazonas)
    (stored, created), (answered, again) = race(draft, draft, uuid.uuid4(), coord_amazonas)
    assert (created, again) == (True, False)
    assert answered == stored
    assert Evidence.objects.count() == 1
    assert len(files_on_disk()) == 1


@TWO_SESSIONS
def test_the_same_value_sent_to_two_activities_at_once_stores_one(
    transactional_db, reference_data, amazonas, coord_amazonas
):
    # Two activities are two locks: the unique index decides, and the second is told the value is taken.
    one, other = (ActivityFactory(region=amazonas, created_by=coord_amazonas) for _ in range(2))
    (stored, created), refused = race(one, other, uuid.uuid4(), coord_amazonas)
    assert created
    assert isinstance(refused, evidence_service.ClientUuidTaken)
    assert list(Evidence.objects.values_list("activity", flat=True)) == [one.pk]
    assert len(files_on_disk()) == 1  # the second one's file was removed with its row
