"""The API's public answers are kept whole for anonymous callers, like the public pages: a kept
answer costs no query, a new release shows on the next call (an approval alone changes nothing
public), signed-in callers always get their own live answer, and the throttle still counts every call."""

import gzip

import pytest

from activities.models import Activity
from activities.services import activity_transition
from publication.services import release_publish
from tests.factories import ActivityFactory

PUBLIC = [
    "/api/v1/activities/",
    "/api/v1/statistics/?by=region",
    "/api/v1/regions/geojson/",
    "/api/v1/activities/geojson/",
]


@pytest.mark.parametrize("url", PUBLIC)
def test_a_second_anonymous_call_is_answered_without_a_query(api, db, url, django_assert_num_queries):
    ActivityFactory(status="approved", girls=7, latitude="-6.2294", longitude="-77.8714")
    release_publish()
    first = api.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = api.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_each_language_and_query_has_its_own_answer(api, db):
    ActivityFactory(status="approved", girls=7, latitude="-6.2294", longitude="-77.8714")
    release_publish()
    by_region = api.get("/api/v1/statistics/?by=region").json()
    by_objective = api.get("/api/v1/statistics/?by=objective").json()
    assert by_region != by_objective
    spanish = api.get("/api/v1/activities/geojson/", HTTP_ACCEPT_LANGUAGE="es").json()
    english = api.get("/api/v1/activities/geojson/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert spanish["features"][0]["properties"]["service"] != english["features"][0]["properties"]["service"]


ZERO = {"value": 0, "suppressed": False, "reason": None}


def test_an_approval_shows_in_the_anonymous_answers_with_the_next_release(
    api, coord_amazonas, staff, django_capture_on_commit_callbacks
):
    activity = ActivityFactory(title="Feria de Leimebamba", created_by=coord_amazonas, with_evidence=True)
    activity_transition(activity=activity, action="submit", by=coord_amazonas)
    with django_capture_on_commit_callbacks(execute=True):
        release_publish()
    public = ["/api/v1/activities/", "/api/v1/statistics/", f"/api/v1/activities/{activity.pk}/"]
    before = [api.get(url).content for url in public]
    assert api.get("/api/v1/statistics/").json()["totals"]["activities"] == ZERO
    with django_capture_on_commit_callbacks(execute=True):
        activity_transition(activity=activity, action="approve", by=staff)
    # No anonymous answer changes until the next release; the signed-in API sees the approval at once.
    assert [api.get(url).content for url in public] == before
    api.force_authenticate(staff)
    assert api.get(f"/api/v1/activities/{activity.pk}/").json()["status"] == "approved"
    api.force_authenticate(None)
    with django_capture_on_commit_callbacks(execute=True):
        release_publish()
    listed = api.get("/api/v1/activities/").json()
    assert [row["title"] for row in listed["results"]] == ["Feria de Leimebamba"]
    assert api.get("/api/v1/statistics/").json()["totals"]["activities"] == {
        "value": 1,
        "suppressed": False,
        "reason": None,
    }
    assert api.get(f"/api/v1/activities/{activity.pk}/").status_code == 200


def test_a_change_without_a_version_bump_is_not_seen_so_the_cache_is_used(api, db):
    activity = ActivityFactory(status="approved", title="Taller de Luya")
    release_publish()
    assert api.get("/api/v1/activities/").json()["results"][0]["title"] == "Taller de Luya"
    Activity.objects.filter(pk=activity.pk).update(title="Renombrado")  # no signal, no bump
    assert api.get("/api/v1/activities/").json()["results"][0]["title"] == "Taller de Luya"


def test_signed_in_callers_never_get_the_anonymous_answer(api, coord_amazonas):
    ActivityFactory(status="approved", created_by=coord_amazonas)
    ActivityFactory(status="draft", created_by=coord_amazonas)
    release_publish()
    assert api.get("/api/v1/activities/").json()["count"] == 1
    public_etag = api.get("/api/v1/activities/")["ETag"]
    api.force_authenticate(coord_amazonas)
    answer = api.get("/api/v1/activities/")
    assert answer.json()["count"] == 2
    # The public copy's ETag does not make the signed-in list "not modified".
    assert answer["ETag"] != public_etag
    assert api.get("/api/v1/activities/", HTTP_IF_NONE_MATCH=public_etag).status_code == 200
    api.force_authenticate(None)
    assert api.get("/api/v1/activities/").json()["count"] == 1


def test_a_refused_query_is_not_kept(api, db, assert_error):
    assert_error(api.get("/api/v1/statistics/?by=nonsense"), 400, field="by")
    assert_error(api.get("/api/v1/statistics/?by=nonsense"), 400, field="by")


def test_kept_answers_still_count_against_the_anonymous_rate(api, db, throttle_rates, assert_error):
    throttle_rates(anon="3/minute")
    for _ in range(3):
        assert api.get("/api/v1/statistics/").status_code == 200
    refused = api.get("/api/v1/statistics/")
    assert_error(refused, 429, code="throttled")
    assert 0 < int(refused["Retry-After"]) <= 60


def test_a_large_kept_answer_is_sent_gzipped_to_those_who_accept_it(api, db):
    for _ in range(20):
        ActivityFactory(status="approved", latitude="-6.2294", longitude="-77.8714")
    release_publish()
    plain = api.get("/api/v1/activities/geojson/")
    assert "Accept-Encoding" in plain["Vary"]
    zipped = api.get("/api/v1/activities/geojson/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 3
    again = api.get("/api/v1/activities/geojson/")
    assert not again.has_header("Content-Encoding")
    assert again.content == plain.content


def test_a_small_kept_answer_is_sent_as_it_is(api, db):
    api.get("/api/v1/statistics/")
    small = api.get("/api/v1/statistics/", HTTP_ACCEPT_ENCODING="gzip")
    assert not small.has_header("Content-Encoding")
    assert small.json()["totals"]
