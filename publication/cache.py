"""Public pages are cached whole, per language, under a version of the public data.

Every entry carries the version; a change to what the public sees (a new release, a reopening, a
news item, a region's name) bumps it once the transaction commits, and every page is fresh on
its next request. Old entries are overwritten or expire. Bumping after the commit matters: a
request served between the bump and the commit would store the old data under the new version.

The API's public answers (statistics, maps, approved activities) are kept the same way for
anonymous callers (public_answer), after authentication and throttling have run.

With Redis (REDIS_URL) every process shares the cache and the version. Without it each process
keeps its own, and a page may lag in the other processes for at most PAGE_TIMEOUT.

In front of Redis, each process keeps the copies it served in memory (publication.page_copy),
checked against the version it reads at most once a second: a page served again costs no round
trip at all.
"""

import gzip
import hashlib
import random
import re
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import quote_etag
from django.utils.translation import get_language

from . import page_copy, remaking

VERSION_KEY = "campaign:public-version"
PAGE_TIMEOUT = 600
# A kept copy is made again some minutes before it would expire, by one thread in the background
# (publication.remaking), while every request, in every process, is still served the copy, which
# is current (its version is). Copies made together (after a bump, a restart) get their remaking
# spread over REMAKE_WITHIN, so they are not remade together either. Without this, copies made
# together expired together, and under load every worker thread computed the same pages at once
# (about a second each at a million activities): no request was answered for two seconds (the
# load drill's stall, docs/PERFORMANCE.md). A page nobody asks for in its last minute still expires.
REMAKE_WITHIN = (PAGE_TIMEOUT * 0.5, PAGE_TIMEOUT * 0.9)
# A URL longer than this is not a page anyone links to; it is not worth a cache entry.
MAX_CACHED_PATH = 300
# Copies larger than this are kept gzipped, and sent so to the clients that accept it (every
# browser): a phone on a weak connection gets the 1 MB map of activities in a tenth of that, and a
# hit reads a tenth of it from Redis; the rare client that does not accept gzip gets it unpacked.
# Public copies carry no secret, so compression leaks nothing (BREACH).
GZIP_FROM = 1024
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# Part of every kept copy's key: changed with the shape of a copy, so that during an upgrade the
# new code never reads what the old code kept, nor the old code what the new one keeps.
LAYOUT = 4


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh number, not 1: after an eviction, pages stored under the old numbers must not return.
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY) or time.time_ns()
    return version


def bump_version():
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:  # evicted: any fresh number will do
        version = time.time_ns()
        cache.set(VERSION_KEY, version, None)
    # This process serves the change from its next request; the others within page_copy.RECHECK.
    page_copy.learn_version(version)


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


def _kept(kind, where, request):
    """(key, version, the kept HttpResponse or None) for a page or answer.

    This process's own copy first, with no round trip while the version it knows is recent;
    else the shared copy in Redis. A kept copy carries the version it was made under and counts
    only while that is current, so the version and the shared copy are read together with one
    MGET, and a bump leaves old copies to be overwritten rather than piling up.
    """
    key = (kind, get_language() or "", where)
    if remaking.in_progress():
        return key, data_version(), None
    own = page_copy.copies.get(key, page_copy.known_version(data_version))
    if own is not None and time.time() < own.remake_at:
        return key, own.version, _served(own, request)
    shared_key = _shared_key(key)
    found = cache.get_many([VERSION_KEY, shared_key])
    version = found.get(VERSION_KEY)
    if version is None:
        version = data_version()
        page_copy.learn_version(version)
        return key, version, None
    page_copy.learn_version(version)
    stored = found.get(shared_key)
    if stored is None or stored[0] != version:
        return key, version, None
    if time.time() >= stored[-1] and cache.add(f"{shared_key}:remaking", 1, PAGE_TIMEOUT // 10):
        remaking.remake(request)  # in the background; this request, like the others, gets this copy
    own = _copy(kind, version, *stored[1:])
    page_copy.copies.put(key, own)
    return key, version, _served(own, request)


def _shared_key(key):
    kind, language, where = key
    return f"campaign:{kind}:{LAYOUT}:{language}:{hashlib.sha256(where.encode()).hexdigest()}"


def _copy(kind, version, content, content_type, gzipped, remake_at):
    # An API answer's ETag (prevent_protect.api), computed once here rather than by
    # ConditionalGetMiddleware on every request: the hash of the bytes sent.
    etag = quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest()) if kind == "api" else ""
    return page_copy.Copy(version, content, content_type, gzipped, etag, remake_at)


def _served(copy, request):
    if copy.gzipped and not ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        # The rare client that does not take gzip: unpacked, and its ETag left to be computed.
        return _varies(HttpResponse(gzip.decompress(copy.content), content_type=copy.content_type))
    response = HttpResponse(copy.content, content_type=copy.content_type)
    if copy.gzipped:
        response["Content-Encoding"] = "gzip"
    if copy.etag:
        response["ETag"] = copy.etag
    return _varies(response)


def _keep(key, version, response):
    content, gzipped = response.content, len(response.content) >= GZIP_FROM
    if gzipped:
        content = gzip.compress(content, mtime=0)
    kept = (version, content, response["Content-Type"], gzipped, time.time() + random.uniform(*REMAKE_WITHIN))
    cache.set(_shared_key(key), kept, PAGE_TIMEOUT)
    page_copy.copies.put(key, _copy(key[0], *kept))
    return _varies(response)


def _varies(response):
    # The same address answers gzipped or not: shared caches on the way must keep both apart.
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def public_page(view):
    """Serve a public page from the cache when the anonymous visitor's copy is there."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key, version, kept = _kept("page", request.get_full_path(), request)
        if kept is not None:
            return kept
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            return _keep(key, version, response)
        return response

    return wrapper


def public_answer(view, request, answer):
    """answer() of a DRF view, kept whole under the data version when the caller is anonymous.

    Called from the handler, not around the view, so that authentication and throttling have
    run: a kept answer still counts against the caller's rate. Signed-in callers see more
    (other statuses, exact coordinates) and are never served from here.
    """
    if request.user.is_authenticated or request.method != "GET" or len(request.get_full_path()) > MAX_CACHED_PATH:
        return answer()
    # The host is part of the key because pagination links are absolute.
    where = f"{request.get_host()} {request.accepted_renderer.format} {request.get_full_path()}"
    key, version, kept = _kept("api", where, request)
    if kept is not None:
        return kept
    response = view.finalize_response(request, answer())
    if response.status_code == 200:
        response.render()
        return _keep(key, version, response)
    return response
