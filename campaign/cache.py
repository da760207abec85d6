"""Public pages are cached whole, per language, under a version of the public data.

Every key carries the version; a change to what the public sees (an approval, a reopening, a
news item, a region's name) bumps it once the transaction commits, and every page is fresh on
its next request. Old entries are not deleted: they expire. Bumping after the commit matters: a
request served between the bump and the commit would store the old data under the new version.

With Redis (REDIS_URL) every process shares the cache and the version. Without it each process
keeps its own, and a page may lag in the other processes for at most PAGE_TIMEOUT.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import get_language

VERSION_KEY = "campaign:public-version"
PAGE_TIMEOUT = 600
# A URL longer than this is not a page anyone links to; it is not worth a cache entry.
MAX_CACHED_PATH = 300


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh number, not 1: after an eviction, pages stored under the old numbers must not return.
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY) or time.time_ns()
    return version


def bump_version():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # evicted: any fresh number will do
        cache.set(VERSION_KEY, time.time_ns(), None)


def bump_after_commit(**kwargs):
    """A signal receiver: the public data changed, or will when this transaction commits."""
    transaction.on_commit(bump_version)


def cached(name, compute, *, per_language=True):
    """compute(), kept under the current data version (and language)."""
    key = f"campaign:{name}:{data_version()}" + (f":{get_language()}" if per_language else "")
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, PAGE_TIMEOUT)
    return value


def _cacheable(request):
    # Anyone with a session (signed in, or with a message waiting) gets a page of their own: the
    # cached one is the anonymous visitor's, with no token, name or message in it.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and len(request.get_full_path()) <= MAX_CACHED_PATH
    )


def public_page(view):
    """Serve a public page from the cache when the anonymous visitor's copy is there."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"campaign:page:{data_version()}:{get_language()}:{path}"
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, (response.content, response["Content-Type"]), PAGE_TIMEOUT)
        return response

    return wrapper
