"""Each process's own copies of the public pages and answers it has served, in memory.

A copy kept in Redis costs a round trip on every request, and on a machine where Redis shares the
cores with the web processes that round trip was most of a kept page's time and the source of its
worst latencies. So each process also keeps the copies it served (already gzipped, as they are
sent), each under the public data version it was made for (publication.cache), and serves them
with no round trip while that version is current.

The version is read from Redis at most once every RECHECK seconds per process. After a change the
public must see (a release, a reopening, a news item), another process may therefore serve the
previous copy for up to that second; the process that made the change knows at once, and every
process after RECHECK. Publishing is rare and done by staff; a visitor who asked a second earlier
would have got the same page.

Only what publication.cache keeps for anonymous visitors is copied here: never a page for someone
signed in. Memory is bounded: past MAX_BYTES the copies least recently served go first.
"""

import threading
import time
from collections import OrderedDict
from typing import NamedTuple

from django.core.signals import setting_changed

RECHECK = 1.0  # seconds
# Five processes keep at most 5 x 16 MB. The pages are 3-10 KB gzipped, the largest public answer
# (5,000 activities as GeoJSON) about 100 KB: thousands of addresses fit, every list page included.
MAX_BYTES = 16 * 1024 * 1024
# A copy that would push out a large part of the others is not worth keeping in memory.
LARGEST_SHARE = 8
# Python's own bookkeeping for an entry, roughly: the key, the tuple, the strings.
ENTRY_OVERHEAD = 400


class Copy(NamedTuple):
    version: int
    content: bytes
    content_type: str
    gzipped: bool
    etag: str
    remake_at: float  # time.time() from which one request makes it again (publication.cache)


class Copies:
    """Copies by key, least recently served first out once they pass max_bytes. Safe between threads."""

    def __init__(self, max_bytes=MAX_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    def get(self, key, version):
        """The copy under `key` if it was made for `version`, else None (and a stale one is dropped)."""
        with self._lock:
            copy = self._entries.get(key)
            if copy is None:
                return None
            if copy.version != version:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return copy

    def put(self, key, copy):
        cost = _cost(key, copy)
        with self._lock:
            if key in self._entries:
                self._drop(key)
            if cost * LARGEST_SHARE > self.max_bytes:
                return
            self._entries[key] = copy
            self.size += cost
            while self.size > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def forget(self):
        with self._lock:
            self._entries.clear()
            self.size = 0

    def _drop(self, key):
        self.size -= _cost(key, self._entries.pop(key))


def _cost(key, copy):
    return len(copy.content) + sum(len(part) for part in key) + ENTRY_OVERHEAD


copies = Copies()
# (version, when it was read): one tuple, replaced whole, so threads never see half of it.
_known = (None, float("-inf"))


def known_version(read):
    """The public data version, read with read() when this process has not for RECHECK seconds."""
    version, read_at = _known
    now = time.monotonic()
    if version is None or now - read_at >= RECHECK:
        version = read()
        learn_version(version, now)
    return version


def learn_version(version, at=None):
    """What this process just read or set: it counts from now for RECHECK seconds."""
    global _known
    _known = (version, time.monotonic() if at is None else at)


def forget(**kwargs):
    """Drop every copy and the version known (also a receiver: a copy is made under the settings)."""
    global _known
    _known = (None, float("-inf"))
    copies.forget()


# A page depends on settings (the site's address, the map tiles, the cache itself): when they
# change, as in tests, the copies made under the old ones must go.
setting_changed.connect(forget, dispatch_uid="publication-page-copy")
