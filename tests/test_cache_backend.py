"""The portal's Redis cache backend keeps one redis-py client per connection pool instead of
building one per operation, and still behaves as Django's Redis cache."""

import os

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from prevent_protect.cache import PortalRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def portal_cache():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("REDIS_URL"):
            raise
        pytest.skip("no Redis on this machine and REDIS_URL unset")
    backend = PortalRedisCache(REDIS_URL, {"KEY_PREFIX": "cache-backend-test"})
    yield backend
    backend.delete_many(["a", "b", "n"])


def test_one_client_serves_every_operation(portal_cache):
    assert portal_cache._cache.get_client() is portal_cache._cache.get_client(write=True)
    # Django's own backend builds a new one each time: the reason this backend exists.
    django_cache = RedisCache(REDIS_URL, {})
    assert django_cache._cache.get_client() is not django_cache._cache.get_client()


def test_it_reads_and_writes_like_djangos_redis_cache(portal_cache):
    portal_cache.set("a", {"x": 1}, 30)
    assert portal_cache.get("a") == {"x": 1}
    assert portal_cache.get_many(["a", "b"]) == {"a": {"x": 1}}
    assert portal_cache.add("a", 2) is False
    portal_cache.set("n", 1)
    assert portal_cache.incr("n") == 2
    portal_cache.delete("a")
    assert portal_cache.get("a") is None


def test_count_adds_one_in_a_window_that_starts_at_the_first_count(portal_cache):
    assert [portal_cache.count("n", 60) for _ in range(3)] == [1, 2, 3]
    assert 55 <= portal_cache.ttl("n") <= 60
    portal_cache.delete("n")
    assert portal_cache.ttl("n") is None
    assert portal_cache.count("n", 60) == 1


DEAD = "redis://127.0.0.1:1/0"


def test_an_unreachable_redis_is_a_miss_not_an_error():
    backend = PortalRedisCache(DEAD, {"OPTIONS": {"socket_connect_timeout": 1}})
    assert backend.get("a", "default") == "default"
    assert backend.get_many(["a", "b"]) == {}
    backend.set("a", 1)
    assert backend.add("a", 1) is False
    with pytest.raises(ValueError):
        backend.incr("a")
    assert backend.count("a", 60) == 0


@pytest.mark.parametrize("url", ["/es/", "/es/estadisticas/", "/api/v1/statistics/", "/api/v1/activities/"])
def test_public_pages_and_answers_are_served_while_redis_is_down(client, db, settings, url):
    settings.CACHES = {"default": {"BACKEND": "prevent_protect.cache.PortalRedisCache", "LOCATION": DEAD}}
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
