"""If-None-Match: a client that already holds the current copy of an activity, a list or a
reference resource is answered 304 with no body; after a change it gets the new copy."""

import pytest

from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/activities/"


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, status="draft", created_by=coord_amazonas)


@pytest.fixture
def coordinator_api(api, coord_amazonas):
    api.force_authenticate(coord_amazonas)
    return api


def test_an_activity_held_at_its_current_version_is_not_sent_again(coordinator_api, draft):
    first = coordinator_api.get(f"{URL}{draft.pk}/")
    assert first["ETag"] == '"1"'
    again = coordinator_api.get(f"{URL}{draft.pk}/", HTTP_IF_NONE_MATCH='"1"')
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", '"1"')


def test_an_activity_changed_since_is_sent_with_its_new_version(coordinator_api, draft):
    changed = coordinator_api.patch(f"{URL}{draft.pk}/", {"title": "Feria"}, format="json", HTTP_IF_MATCH='"1"')
    assert changed["ETag"] == '"2"'
    response = coordinator_api.get(f"{URL}{draft.pk}/", HTTP_IF_NONE_MATCH='"1"')
    assert (response.status_code, response.json()["title"], response["ETag"]) == (200, "Feria", '"2"')


def test_a_list_held_unchanged_is_not_sent_again(coordinator_api, draft):
    first = coordinator_api.get(URL, {"status": "draft"})
    assert first.json()["count"] == 1
    again = coordinator_api.get(URL, {"status": "draft"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content) == (304, b"")


def test_a_list_with_a_new_activity_is_sent_again(coordinator_api, draft, amazonas, coord_amazonas):
    first = coordinator_api.get(URL, {"status": "draft"})
    ActivityFactory(region=amazonas, status="draft", created_by=coord_amazonas)
    again = coordinator_api.get(URL, {"status": "draft"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.json()["count"]) == (200, 2)
    assert again["ETag"] != first["ETag"]


def test_any_of_several_tags_may_match(coordinator_api, draft):
    response = coordinator_api.get(f"{URL}{draft.pk}/", HTTP_IF_NONE_MATCH='"7", "1"')
    assert response.status_code == 304


@pytest.mark.parametrize("path", ["/api/v1/objectives/", "/api/v1/regions/", "/api/v1/statistics/"])
def test_public_reads_answer_304_too(api, path):
    first = api.get(path)
    assert first.status_code == 200
    assert api.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_another_persona_never_gets_304_for_someone_elses_copy(api, draft, coord_amazonas, coord_puno):
    api.force_authenticate(coord_amazonas)
    etag = api.get(URL)["ETag"]
    api.force_authenticate(coord_puno)
    response = api.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert (response.status_code, response.json()["count"]) == (200, 0)
