"""The public site's fixtures: an empty page cache and no map tiles for every test, and a way to
publish a release (the public pages read nothing else)."""

import pytest
from django.core.cache import cache

from publication.services import release_publish


@pytest.fixture(autouse=True)
def _fresh_public_site(settings):
    # The page cache outlives a test's rolled-back transaction: each test starts with none.
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": ""}
    settings.SITE_URL = "https://prevenir.example.pe"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publish the next release, as the schedule would, with its page-cache bump run at commit."""

    def publish_now(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return release_publish(**kwargs)

    return publish_now
