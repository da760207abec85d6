"""The public site's fixtures: an empty page cache and no map tiles for every test."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_public_site(settings):
    # The page cache outlives a test's rolled-back transaction: each test starts with none.
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": ""}
    settings.SITE_URL = "https://prevenir.example.pe"
    cache.clear()
    yield
    cache.clear()
