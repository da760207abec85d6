"""A kept copy still in demand is made again by one request before it expires, while every other
request is served the copy: copies made together must never be computed again all at once, by
every worker, as they were when they simply expired together (the load drill's stall)."""

from activities.models import Activity
from publication import cache as kept
from tests.factories import ActivityFactory


def get(client, url):
    return client.get(url).content.decode()


def test_a_copy_due_is_made_again_by_one_request_and_the_others_get_the_copy(client, amazonas, publish, monkeypatch):
    monkeypatch.setattr(kept, "REMAKE_WITHIN", (0, 0))  # every copy comes due as soon as it is made
    ActivityFactory(title="Taller de Luya", status="approved")
    publish()
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")
    # Changes that bypass the models' signals leave the version alone: only a remade copy shows them.
    Activity.objects.filter(title="Taller de Luya").update(title="Taller renombrado")
    assert "Taller renombrado" in get(client, "/es/regiones/amazonas/")
    Activity.objects.filter(title="Taller renombrado").update(title="Taller otra vez")
    # Due again, but one request has just remade it: the next ones are served its copy.
    assert "Taller renombrado" in get(client, "/es/regiones/amazonas/")
    assert "Taller renombrado" in get(client, "/es/regiones/amazonas/")


def test_a_copy_not_due_is_served_as_it_is(client, amazonas, publish):
    ActivityFactory(title="Taller de Luya", status="approved")
    publish()
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")
    Activity.objects.filter(title="Taller de Luya").update(title="Taller renombrado")
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")


def test_an_api_answer_due_is_made_again_too(client, db, monkeypatch):
    monkeypatch.setattr(kept, "REMAKE_WITHIN", (0, 0))
    first = client.get("/api/v1/statistics/?by=region")
    again = client.get("/api/v1/statistics/?by=region")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
