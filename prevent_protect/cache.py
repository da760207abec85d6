"""Django's Redis cache, reusing its redis-py client.

Django builds a new redis.Redis around the connection pool for every cache operation, and
redis-py fills a table of some 170 response callbacks each time it builds one: about 0.2 ms of
Python per operation, more than the round trip to Redis itself. A cached public page takes two
operations (the data version, then the page), so that was most of its cost. A client is safe to
share between threads; each cache backend instance keeps one per connection pool.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


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


class PortalRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClient
