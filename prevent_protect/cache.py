"""Django's Redis cache, reusing its redis-py client and surviving a Redis outage.

Django builds a new redis.Redis around the connection pool for every cache operation, and
redis-py fills a table of some 170 response callbacks each time it builds one: about 0.2 ms of
Python per operation, more than the round trip to Redis itself. A cached public page takes one
operation, so that was most of its cost. A client is safe to share between threads; each cache
backend instance keeps one per connection pool. count() gives the API throttle one round trip.

The cache only saves work: when Redis does not answer, a read is a miss and a write is skipped,
so the public pages and the API are computed from the database instead of failing (throttles do
not count meanwhile). /healthz reports the outage; a warning is logged at most every 30 s.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)
WARN_EVERY = 30  # seconds
_last_warning = 0.0


def _without_redis(fallback):
    """Answer `fallback` instead of raising when Redis cannot be reached."""

    def decorate(operation):
        @functools.wraps(operation)
        def wrapper(*args, **kwargs):
            try:
                return operation(*args, **kwargs)
            except (ConnectionError, TimeoutError) as exc:
                _warn(operation.__name__, exc)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        return wrapper

    return decorate


def _warn(operation, exc):
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY:
        _last_warning = now
        logger.warning("The cache is unreachable (%s: %s); %s answered without it.", type(exc).__name__, exc, operation)


def _missing(*args, **kwargs):
    # What incr() raises for a key that is not there: callers already handle it.
    raise ValueError("the cache is unreachable")


class ReusedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    get = _without_redis(lambda self, key, default: default)(RedisCacheClient.get)
    get_many = _without_redis({})(RedisCacheClient.get_many)
    set = _without_redis(None)(RedisCacheClient.set)
    set_many = _without_redis([])(RedisCacheClient.set_many)
    add = _without_redis(False)(RedisCacheClient.add)
    touch = _without_redis(False)(RedisCacheClient.touch)
    delete = _without_redis(False)(RedisCacheClient.delete)
    delete_many = _without_redis(None)(RedisCacheClient.delete_many)
    has_key = _without_redis(False)(RedisCacheClient.has_key)
    incr = _without_redis(_missing)(RedisCacheClient.incr)

    @_without_redis(0)
    def count(self, key, window):
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=window, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]

    @_without_redis(None)
    def ttl(self, key):
        seconds = self.get_client(key).ttl(key)
        return seconds if seconds > 0 else None


class PortalRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClient

    def count(self, key, window):
        """One more for `key`, a counter that lives `window` seconds from its first count; the new
        count, in one round trip (prevent_protect.throttles). 0 when Redis does not answer."""
        return self._cache.count(self.make_and_validate_key(key), window)

    def ttl(self, key):
        """Seconds before `key` expires, or None."""
        return self._cache.ttl(self.make_and_validate_key(key))
