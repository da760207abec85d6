"""Bodies are JSON, but for the evidence upload, which is multipart only: one encoding per
operation, which is what a generated client can send. Anything else is refused with 415 and
nothing is stored."""

import io

import pytest
from PIL import Image

from activities.models import Activity, Evidence
from programs.models import Target
from tests.factories import ActivityFactory, activity_form_data

pytestmark = pytest.mark.django_db


def form_encoded(data):
    return "&".join(f"{key}={value}" for key, value in data.items())


@pytest.fixture
def coordinator_api(api, coord_amazonas):
    api.force_authenticate(coord_amazonas)
    return api


@pytest.mark.parametrize("encoding", ["multipart", "form"])
def test_an_activity_posted_as_a_form_is_refused(coordinator_api, amazonas, encoding, assert_error):
    data = activity_form_data(amazonas)
    if encoding == "multipart":
        response = coordinator_api.post("/api/v1/activities/", data, format="multipart")
    else:
        response = coordinator_api.post(
            "/api/v1/activities/", form_encoded(data), content_type="application/x-www-form-urlencoded"
        )
    assert_error(response, 415, code="unsupported_media_type")
    assert not Activity.objects.exists()


def test_a_token_asked_for_with_a_form_is_refused(api, coord_amazonas, assert_error):
    response = api.post(
        "/api/v1/auth/token/",
        form_encoded({"username": "coord-amazonas", "password": "secret-pass-123"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415, code="unsupported_media_type")


def test_a_report_requested_as_multipart_is_refused(coordinator_api, assert_error):
    data = {"kind": "activities", "format": "csv", "region": "amazonas"}
    assert_error(coordinator_api.post("/api/v1/reports/", data, format="multipart"), 415)


def test_a_target_posted_as_multipart_is_refused(api, staff, amazonas, assert_error):
    api.force_authenticate(staff)
    data = {"indicator": 1, "region": amazonas.pk, "year": 2026, "value": 10}
    assert_error(api.post("/api/v1/targets/", data, format="multipart"), 415)
    assert not Target.objects.exists()


def test_evidence_is_uploaded_as_multipart_only(coordinator_api, amazonas, coord_amazonas, assert_error):
    draft = ActivityFactory(region=amazonas, status="draft", created_by=coord_amazonas)
    url = f"/api/v1/activities/{draft.pk}/evidence/"
    assert_error(coordinator_api.post(url, {"caption": "Taller"}, format="json"), 415)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "JPEG")
    out.name = "taller.jpg"
    out.seek(0)
    response = coordinator_api.post(url, {"file": out, "caption": "Taller"}, format="multipart")
    assert response.status_code == 201, response.content
    assert Evidence.objects.filter(activity=draft).count() == 1
