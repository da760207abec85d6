"""/api/v1/activities/ for anonymous callers: the activities of the latest public release, as a
community event's poster would describe them (no count, no free text, the month, a point rounded to
about 1 km), with the few filters that tell no more; the signed-in API stays exact and live."""

import datetime
from decimal import Decimal

import pytest

from activities.services import activity_transition
from publication.services import release_publish
from tests.factories import ActivityFactory

URL = "/api/v1/activities/"
PUBLIC_FIELDS = {"id", "title", "region", "objective", "service", "modality", "month", "latitude", "longitude"}
SECRETS = ("Quillabamba", "Huamaní", "Chachapoyas")


@pytest.fixture
def released(amazonas, coord_amazonas):
    activity = ActivityFactory(
        region=amazonas,
        status="approved",
        created_by=coord_amazonas,
        title="Feria de Luya",
        description="Con la familia Huamaní.",
        place_name="Local Quillabamba Norte",
        district="Chachapoyas",
        start_date=datetime.date(2025, 3, 17),
        end_date=datetime.date(2025, 3, 18),
        latitude=Decimal("-6.226412"),
        longitude=Decimal("-77.874999"),
        girls=3,
        women=40,
        families=2,
    )
    release_publish()
    return activity


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_an_anonymous_answer_has_no_count_and_no_free_text(api, released):
    for body in (results(api.get(URL))[0], api.get(f"{URL}{released.pk}/").json()):
        assert set(body) == PUBLIC_FIELDS
        text = str(body)
        for secret in SECRETS:
            assert secret not in text


def test_an_anonymous_answer_gives_the_month_and_a_rounded_point_only(api, released):
    response = api.get(f"{URL}{released.pk}/")
    body = response.json()
    assert body["month"] == "2025-03"
    assert "2025-03-17" not in response.content.decode()
    assert "2025-03-18" not in response.content.decode()
    assert (body["latitude"], body["longitude"]) == (-6.23, -77.87)


def test_only_the_released_activities_are_listed(api, released, amazonas):
    late = ActivityFactory(region=amazonas, status="approved", title="Aprobada después")
    ActivityFactory(region=amazonas, status="submitted")
    assert [row["id"] for row in results(api.get(URL))] == [released.pk]
    assert api.get(f"{URL}{late.pk}/").status_code == 404


def test_an_approval_after_the_release_is_seen_at_once_by_the_signed_in_api_only(
    api, released, amazonas, coord_amazonas, staff, django_capture_on_commit_callbacks
):
    activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, title="Recién aprobada", with_evidence=True)
    activity_transition(activity=activity, action="submit", by=coord_amazonas)
    anonymous_before = api.get(URL).content
    with django_capture_on_commit_callbacks(execute=True):
        activity_transition(activity=activity, action="approve", by=staff)
    assert api.get(URL).content == anonymous_before
    api.force_authenticate(staff)
    signed_in = results(api.get(URL, {"status": "approved"}))
    assert {row["title"] for row in signed_in} == {"Feria de Luya", "Recién aprobada"}
    assert all("participants_total" in row and "start_date" in row for row in signed_in)


def test_a_signed_in_caller_keeps_the_exact_live_answer(api, released, coord_amazonas):
    api.force_authenticate(coord_amazonas)
    body = api.get(f"{URL}{released.pk}/").json()
    assert body["girls"] == 3
    assert body["place_name"] == "Local Quillabamba Norte"
    assert body["start_date"] == "2025-03-17"


@pytest.mark.parametrize(
    ("params", "found"),
    [({"region": "amazonas"}, True), ({"region": "puno"}, False), ({"period": "2025-03"}, True),
     ({"period": "2025-Q2"}, False), ({"search": "luya"}, True), ({"search": "quillabamba"}, False)],
)  # fmt: skip
def test_the_public_filters(api, released, puno, params, found):
    assert bool(results(api.get(URL, params))) is found


@pytest.mark.parametrize(
    "param, value",
    [
        ("start_date_from", "2025-03-17"),
        ("start_date_to", "2025-03-17"),
        ("modified_since", "2025-01-01T00:00:00Z"),
        ("status", "approved"),
        ("ordering", "start_date"),
        ("period", "marzo"),
        ("period", "0000"),
        ("region", "atlantis"),
    ],
)
def test_a_filter_finer_than_the_month_or_unknown_is_refused(api, released, param, value, assert_error):
    assert_error(api.get(URL, {param: value}), 400, code="invalid", field=param)


def test_before_the_first_release_nothing_is_listed(api, amazonas):
    ActivityFactory(region=amazonas, status="approved")
    assert results(api.get(URL)) == []
