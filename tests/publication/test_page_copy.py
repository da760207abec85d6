"""Each process keeps its own copy of the public pages and answers, under the public data version:
a page served again costs no query and no round trip to Redis, a new release shows on the next
request in the process that published it and within a second in the others, each language and
encoding gets its own body, signed-in users and other methods never get a copy, and memory stays
under the byte cap."""

import gzip
import hashlib
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from publication import page_copy
from publication.cache import MAX_CACHED_PATH, VERSION_KEY
from publication.page_copy import Copies, Copy
from publication.services import release_publish
from tests.factories import ActivityFactory

REGION_PAGE = "/es/regiones/amazonas/"


@pytest.fixture(autouse=True)
def _no_copies(settings):
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": ""}
    page_copy.forget()
    yield
    page_copy.forget()


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    def publish_now():
        with django_capture_on_commit_callbacks(execute=True):
            return release_publish()

    return publish_now


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def recheck(monkeypatch):
    """Sets how often a process reads the version again (a second in production)."""
    return lambda seconds: monkeypatch.setattr(page_copy, "RECHECK", seconds)


@pytest.fixture
def redis_commands():
    """The commands this test's Redis database receives inside the block, as the server saw them."""
    if not settings.REDIS_URL:
        pytest.skip("the process copy is measured against a real Redis (REDIS_URL)")
    watcher, marker = (redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10) for _ in range(2))
    database = watcher.connection_pool.connection_kwargs.get("db", 0)
    marker.ping()  # connected (and its database selected) before the watch, so not counted in it

    @contextmanager
    def watch():
        seen = []
        with watcher.monitor() as monitor:
            # MONITOR answers OK only once the server is watching: nothing sent after it is missed.
            yield seen
            end = f"end-of-watch-{uuid.uuid4()}"
            marker.echo(end)
            for event in monitor.listen():
                if end in event["command"]:
                    break
                if event["db"] == database:
                    seen.append(event["command"].split()[0].upper())

    yield watch
    watcher.close()
    marker.close()


def html(response):
    return response.content.decode()


def test_a_page_served_again_comes_from_the_process_copy(
    client, amazonas, publish, recheck, redis_commands, django_assert_num_queries
):
    recheck(60)
    ActivityFactory(title="Taller de Luya", status="approved")
    publish()
    first = client.get(REGION_PAGE)
    with django_assert_num_queries(0), redis_commands() as commands:
        second = client.get(REGION_PAGE)
    assert commands == []
    assert second.status_code == 200
    assert second.content == first.content
    assert "Taller de Luya" in html(second)


def test_a_process_without_the_page_takes_it_from_redis_once(
    client, amazonas, publish, recheck, redis_commands, django_assert_num_queries
):
    recheck(60)
    publish()
    first = client.get(REGION_PAGE)
    page_copy.copies.forget()  # as a freshly started process: Redis has the page, this process not
    with django_assert_num_queries(0), redis_commands() as commands:
        assert client.get(REGION_PAGE).content == first.content
    assert commands == ["MGET"]
    with redis_commands() as commands:
        client.get(REGION_PAGE)
    assert commands == []


def test_the_version_is_read_again_after_the_recheck_and_the_page_is_not(client, amazonas, recheck, redis_commands):
    recheck(0)
    client.get(REGION_PAGE)
    with redis_commands() as commands:
        client.get(REGION_PAGE)
    assert commands == ["GET"]


def test_a_release_published_here_shows_on_the_next_request(client, amazonas, publish, recheck):
    recheck(60)
    publish()
    assert "Feria de Leimebamba" not in html(client.get(REGION_PAGE))
    ActivityFactory(title="Feria de Leimebamba", status="approved")
    publish()
    assert "Feria de Leimebamba" in html(client.get(REGION_PAGE))
    assert "Feria de Leimebamba" in html(client.get("/es/mapa/"))


def test_a_release_published_by_another_process_shows_once_the_recheck_has_passed(
    client, amazonas, publish, recheck, django_capture_on_commit_callbacks
):
    recheck(0.3)
    publish()
    assert "Feria de Leimebamba" not in html(client.get(REGION_PAGE))
    ActivityFactory(title="Feria de Leimebamba", status="approved")
    with django_capture_on_commit_callbacks(execute=False):
        release_publish()
    cache.incr(VERSION_KEY)  # what the publishing process's bump does to Redis, this process unaware
    time.sleep(0.35)
    assert "Feria de Leimebamba" in html(client.get(REGION_PAGE))


def test_a_copy_is_served_no_longer_than_the_recheck_after_the_version_moved(
    client, amazonas, publish, recheck, django_capture_on_commit_callbacks
):
    recheck(60)
    publish()
    before = client.get(REGION_PAGE).content
    ActivityFactory(title="Feria de Leimebamba", status="approved")
    with django_capture_on_commit_callbacks(execute=False):
        release_publish()
    cache.incr(VERSION_KEY)  # published by another process
    # This process read the version a moment ago: within its recheck it serves what it holds...
    assert client.get(REGION_PAGE).content == before
    # ...and once the recheck is due it reads the new version, and drops the old copy.
    recheck(0)
    assert "Feria de Leimebamba" in html(client.get(REGION_PAGE))
    assert len(page_copy.copies) == 1


def test_each_language_has_its_own_copy(client, amazonas):
    for _ in range(2):
        assert '<html lang="es">' in html(client.get("/es/regiones/amazonas/"))
        assert '<html lang="en">' in html(client.get("/en/regiones/amazonas/"))


def test_the_gzipped_copy_goes_to_browsers_and_the_plain_body_to_the_others(client, amazonas):
    plain = client.get(REGION_PAGE).content
    for _ in range(2):
        zipped = client.get(REGION_PAGE, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert zipped["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.content) == plain
        unzipped = client.get(REGION_PAGE, HTTP_ACCEPT_ENCODING="identity")
        assert not unzipped.has_header("Content-Encoding")
        assert unzipped.content == plain
        assert "Accept-Encoding" in zipped["Vary"] and "Accept-Encoding" in unzipped["Vary"]


def test_each_address_has_its_own_copy(client, db):
    first = html(client.get("/es/mapa/?objective=OE1"))
    second = html(client.get("/es/mapa/?objective=OE2"))
    assert first != second
    assert html(client.get("/es/mapa/?objective=OE1")) == first


def test_an_address_too_long_to_link_to_is_not_kept(client, db):
    path = "/es/mapa/?q=" + "a" * MAX_CACHED_PATH
    assert client.get(path).status_code in (200, 400)
    assert len(page_copy.copies) == 0


def test_signed_in_staff_never_get_the_copy_nor_leave_theirs(client, staff, amazonas):
    anonymous = html(client.get(REGION_PAGE))
    client.force_login(staff)
    for _ in range(2):
        assert 'action="/es/accounts/logout/"' in html(client.get(REGION_PAGE))
    client.logout()
    assert html(client.get(REGION_PAGE)) == anonymous


def test_a_signed_in_api_caller_never_gets_the_copy(api, staff, db):
    release_publish()
    ActivityFactory(status="approved")  # approved after the release: not public yet
    for _ in range(2):
        assert api.get("/api/v1/activities/").json()["count"] == 0
    api.force_authenticate(staff)
    assert api.get("/api/v1/activities/").json()["count"] == 1


def test_other_methods_are_never_answered_from_the_copy(client, amazonas):
    client.get(REGION_PAGE)
    assert client.post(REGION_PAGE).status_code == 405
    assert client.put(REGION_PAGE).status_code == 405


def test_an_api_answer_from_the_copy_carries_the_etag_of_its_bytes(api, db, recheck):
    recheck(60)
    release_publish()
    url = "/api/v1/activities/geojson/"
    first = api.get(url, HTTP_ACCEPT_ENCODING="gzip")
    kept = api.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert kept.content == first.content
    assert kept["ETag"] == first["ETag"] == f'"{hashlib.md5(kept.content).hexdigest()}"'
    assert api.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=kept["ETag"]).status_code == 304
    assert api.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_change_of_settings_forgets_every_copy(client, amazonas, settings):
    client.get(REGION_PAGE)
    assert len(page_copy.copies) == 1
    settings.SITE_URL = "https://otro.example.pe"
    assert len(page_copy.copies) == 0


# The store itself ---------------------------------------------------------------------------------


def copy_of(size, version=1):
    return Copy(version, b"x" * size, "text/html", False, "", remake_at=float("inf"))


# 800 bytes and their key and bookkeeping: 8 fit under 10,000, and each is under an eighth of it.
CAP, SIZE = 10_000, 800


def test_the_byte_cap_evicts_the_copies_least_recently_served():
    copies = Copies(max_bytes=CAP)
    for name in "abcdefgh":
        copies.put(("page", "es", name), copy_of(SIZE))
    assert len(copies) == 8
    assert copies.get(("page", "es", "a"), 1) is not None  # a is now the most recent
    copies.put(("page", "es", "i"), copy_of(SIZE))
    assert copies.get(("page", "es", "b"), 1) is None
    assert all(copies.get(("page", "es", name), 1) is not None for name in "acdefghi")
    assert copies.size <= CAP


def test_a_copy_too_large_for_its_share_of_the_cap_is_not_kept():
    copies = Copies(max_bytes=CAP)
    copies.put(("page", "es", "a"), copy_of(SIZE))
    copies.put(("page", "es", "big"), copy_of(CAP // 4))
    assert copies.get(("page", "es", "big"), 1) is None
    assert copies.get(("page", "es", "a"), 1) is not None


def test_a_copy_made_for_another_version_is_never_served_and_is_dropped():
    copies = Copies()
    copies.put(("page", "es", "a"), copy_of(100, version=7))
    assert copies.get(("page", "es", "a"), 8) is None
    assert len(copies) == 0 and copies.size == 0
    assert copies.get(("page", "es", "a"), 7) is None


def test_replacing_a_copy_counts_its_bytes_once():
    copies = Copies()
    copies.put(("page", "es", "a"), copy_of(100))
    copies.put(("page", "es", "a"), copy_of(300))
    copies.put(("page", "es", "b"), copy_of(50))
    copies.forget()
    assert copies.size == 0 and len(copies) == 0


def test_threads_serving_and_keeping_at_once_stay_under_the_cap():
    copies = Copies(max_bytes=50_000)  # room for 41 of the 160 addresses

    def work(worker):
        for i in range(2000):
            key = ("page", "es", f"{worker}-{i % 40}")
            if copies.get(key, 1) is None:
                copies.put(key, copy_of(SIZE))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0 < copies.size <= 50_000
    assert copies.size == sum(SIZE + len("".join(k)) + page_copy.ENTRY_OVERHEAD for k in copies._entries)
