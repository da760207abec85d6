"""Public pages are cached whole per language, and a change the public must see (an approval, a
reopening, a news item) shows on the very next request."""

import gzip

import pytest
from django.utils import timezone

from activities.models import Activity
from activities.services import activity_transition
from campaign.models import News
from publication.cache import data_version
from tests.factories import ActivityFactory


def get(client, url):
    return client.get(url).content.decode()


def test_a_page_is_served_from_the_cache(client, amazonas, publish):
    ActivityFactory(title="Taller de Luya", status="approved")
    publish()
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")
    # A change that bypasses the models' signals is not seen until the version moves:
    Activity.objects.filter(title="Taller de Luya").update(title="Taller renombrado")
    assert "Taller de Luya" in get(client, "/es/regiones/amazonas/")


def test_each_language_has_its_own_copy(client, amazonas):
    assert '<html lang="es">' in get(client, "/es/regiones/amazonas/")
    assert '<html lang="en">' in get(client, "/en/regiones/amazonas/")
    assert '<html lang="es">' in get(client, "/es/regiones/amazonas/")


def test_an_approval_shows_on_the_region_page_once_the_next_release_is_published(
    client, coord_amazonas, staff, publish, django_capture_on_commit_callbacks
):
    activity = ActivityFactory(title="Feria de Leimebamba", created_by=coord_amazonas, with_evidence=True)
    activity_transition(activity=activity, action="submit", by=coord_amazonas)
    publish()
    with django_capture_on_commit_callbacks(execute=True):
        activity_transition(activity=activity, action="approve", by=staff)
    assert "Feria de Leimebamba" not in get(client, "/es/regiones/amazonas/")
    publish()
    assert "Feria de Leimebamba" in get(client, "/es/regiones/amazonas/")
    assert "Feria de Leimebamba" in get(client, "/es/mapa/")


def test_a_reopened_activity_leaves_the_public_lists_at_once(
    client, coord_amazonas, staff, publish, django_capture_on_commit_callbacks
):
    activity = ActivityFactory(title="Feria de Leimebamba", created_by=coord_amazonas, status="approved")
    publish()
    assert "Feria de Leimebamba" in get(client, "/es/regiones/amazonas/")
    with django_capture_on_commit_callbacks(execute=True):
        activity_transition(activity=activity, action="reopen", by=staff, comment="Faltan las familias.")
    assert "Feria de Leimebamba" not in get(client, "/es/regiones/amazonas/")
    assert "Feria de Leimebamba" not in get(client, "/es/mapa/")


def test_publishing_news_shows_at_once(client, db, django_capture_on_commit_callbacks):
    item = News.objects.create(title="Nueva red en Puno", slug="red-puno", body="x")
    assert "Nueva red en Puno" not in get(client, "/es/noticias/")
    with django_capture_on_commit_callbacks(execute=True):
        item.published_at = timezone.now()
        item.save()
    assert "Nueva red en Puno" in get(client, "/es/noticias/")
    assert "Nueva red en Puno" in get(client, "/es/")


def test_the_version_moves_only_after_the_commit(db, django_capture_on_commit_callbacks):
    before = data_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        News.objects.create(title="x", slug="x", body="x", published_at=timezone.now())
    assert data_version() == before
    for callback in callbacks:
        callback()
    assert data_version() != before


def test_a_draft_saved_does_not_empty_the_cache(db, coord_amazonas, django_capture_on_commit_callbacks):
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        ActivityFactory(created_by=coord_amazonas)
    assert data_version() == before


def test_a_signed_in_user_gets_a_fresh_page_of_their_own(client, coord_amazonas, amazonas):
    get(client, "/es/regiones/amazonas/")  # the anonymous copy is cached
    client.force_login(coord_amazonas)
    html = get(client, "/es/regiones/amazonas/")
    assert 'action="/es/accounts/logout/"' in html
    client.logout()
    assert 'action="/es/accounts/logout/"' not in get(client, "/es/regiones/amazonas/")


@pytest.mark.parametrize("path", ["/es/", "/es/mapa/?objective=OE1"])
def test_a_cached_page_carries_the_security_headers_of_its_own_response(client, db, path):
    client.get(path)
    response = client.get(path)
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"


def test_a_kept_page_is_sent_gzipped_to_browsers(client, amazonas):
    plain = client.get("/es/regiones/amazonas/")
    zipped = client.get("/es/regiones/amazonas/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in plain["Vary"] and "Accept-Encoding" in zipped["Vary"]
