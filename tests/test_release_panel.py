"""Staff's page of public releases: who may see it and publish, and what publishing does."""

import pytest
from django.urls import reverse

from publication.models import Release

from .factories import ActivityFactory

URL = "/es/panel/releases/"


@pytest.mark.parametrize("persona", ["coord_amazonas", "anonymous_client"])
def test_only_staff_open_or_publish(persona, client, request, db):
    if persona == "coord_amazonas":
        client.force_login(request.getfixturevalue("coord_amazonas"))
    for response in (client.get(URL), client.post(URL)):
        assert response.status_code in (302, 403)
    assert not Release.objects.exists()


@pytest.fixture
def anonymous_client():
    return None


def test_staff_publish_now_and_see_the_release_listed(client, staff):
    ActivityFactory(status="approved", girls=2)
    client.force_login(staff)
    page = client.get(URL)
    assert "1 actividad aprobada espera" in page.content.decode()
    response = client.post(URL, follow=True)
    assert response.redirect_chain[-1][0] == reverse("publication:releases")
    release = Release.objects.get()
    assert (release.number, release.activities, release.published_by) == (1, 1, staff)
    text = response.content.decode()
    assert "Publicación 1 publicada." in text
    assert "0 actividades aprobadas esperan" in text


def test_an_approval_after_the_release_waits_for_the_next(client, staff):
    client.force_login(staff)
    client.post(URL)
    ActivityFactory(status="approved")
    assert "1 actividad aprobada espera" in client.get(URL).content.decode()


def test_the_schedule_publishes_through_the_task(db, eager_tasks, settings):
    from publication.tasks import publish_release

    ActivityFactory(status="approved")
    assert publish_release.delay().get() == 1
    assert Release.objects.get().published_by is None
    assert settings.CELERY_BEAT_SCHEDULE["publish-release"]["task"] == "publication.publish_release"
