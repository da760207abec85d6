"""A kept copy still in demand is made again before it expires, in the background, while every
request is served the copy: copies made together must never be computed again all at once, by
every worker, as they were when they simply expired together (the load drill's stall), and no
visitor waits while one is made again (the load drill's lone timeout).

The remake runs in a thread with its own database connection, so these tests commit their data
(transactional_db)."""

import pytest

from activities.models import Activity
from publication import cache as kept
from publication import remaking
from publication.services import release_publish
from regions.models import Region
from tests.factories import ActivityFactory

pytestmark = pytest.mark.usefixtures("reference_data")


def get(client, url, **headers):
    return client.get(url, **headers).content.decode()


@pytest.fixture
def due(monkeypatch):
    monkeypatch.setattr(kept, "REMAKE_WITHIN", (0, 0))  # every copy comes due as soon as it is made


@pytest.fixture
def luya(transactional_db):
    ActivityFactory(title="Taller de Luya", status="approved")
    release_publish()


def rename(old, new):
    # Changes that bypass the models' signals leave the version alone: only a remade copy shows them.
    Activity.objects.filter(title=old).update(title=new)


def test_the_request_that_finds_a_copy_due_is_served_it_and_the_copy_is_made_again_behind_it(client, luya, due):
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")
    rename("Taller de Luya", "Taller renombrado")
    # The request elected to make it again does not wait for it: it gets the copy, as the others do.
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")
    remaking.wait(30)
    assert "Taller renombrado" in get(client, "/es/regiones/amazonas/")
    rename("Taller renombrado", "Taller otra vez")
    # Due again, but it has just been made again: the next ones are served its copy.
    assert "Taller renombrado" in get(client, "/es/regiones/amazonas/")
    remaking.wait(30)
    assert "Taller renombrado" in get(client, "/es/regiones/amazonas/")


def test_a_copy_not_due_is_served_as_it_is(client, luya):
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")
    rename("Taller de Luya", "Taller renombrado")
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")
    remaking.wait(30)
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")


def test_the_copy_made_again_is_the_whole_anonymous_page_in_its_language(client, luya, due):
    english = get(client, "/en/regiones/amazonas/")
    rename("Taller de Luya", "Taller renombrado")
    # Asked by a HEAD with a validator that would answer 304: the copy made again is the full page.
    client.head("/en/regiones/amazonas/", HTTP_IF_NONE_MATCH='"x"')
    remaking.wait(30)
    again = client.get("/en/regiones/amazonas/")
    assert again.status_code == 200
    assert again.content.decode() == english.replace("Taller de Luya", "Taller renombrado")
    assert 'lang="en"' in again.content.decode()


def test_an_api_answer_due_is_made_again_too(client, luya, due):
    first = client.get("/api/v1/activities/", HTTP_ACCEPT="application/json")
    rename("Taller de Luya", "Taller renombrado")
    assert client.get("/api/v1/activities/", HTTP_ACCEPT="application/json").json() == first.json()
    remaking.wait(30)
    again = client.get("/api/v1/activities/", HTTP_ACCEPT="application/json")
    assert again.status_code == 200
    assert again["Content-Type"] == first["Content-Type"]
    assert "Taller renombrado" in again.content.decode()
    assert "Taller de Luya" not in again.content.decode()


def test_a_remake_that_gets_no_page_leaves_the_copy_served(client, luya, due):
    page = get(client, "/es/regiones/amazonas/")
    # The address now answers 404 (a change that bypassed the signals): nothing is kept from it.
    Region.objects.filter(slug="amazonas").update(slug="amazonas-renombrada")
    assert get(client, "/es/regiones/amazonas/") == page
    remaking.wait(30)
    assert get(client, "/es/regiones/amazonas/") == page
