"""Kept copies made again in the background, so that no visitor waits for one.

When a kept copy comes due (publication.cache.REMAKE_WITHIN), the request elected to make it
again is served the copy like every other, and the same address is asked again here, through the
whole handler (language, security headers, throttles, the view), by one thread per process.
Under load, the elected request used to make the page itself: a region's page takes about 0.6 s
alone at a million activities, and behind 64 connections on 2 cores that request alone could
wait past a client's 2 s (the load drill's lone timeout, docs/PERFORMANCE.md).

The copy shown meanwhile is current: its data version is, only the figures read by a query that
bypasses the version (a change written with update()) may be up to minutes old, as before.
"""

import io
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

log = logging.getLogger(__name__)

# One thread: copies come due spread over minutes, and a remake is no more urgent than a visitor's
# request; more threads would only share the same cores and the same interpreter lock.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="remake")
_current = threading.local()
_handler = None
# What a remake keeps of the elected request's environ: the address, its host and the headers
# and cookies that choose a language, a format or an encoding (a request with a session never gets
# here: publication.cache serves it a page of its own). Not its body, nor the conditions that
# would answer 304.
_DROPPED = {"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "CONTENT_LENGTH", "CONTENT_TYPE"}


def in_progress():
    """Whether this thread is making a copy again: it must compute, not be served the copy."""
    return getattr(_current, "active", False)


def remake(request):
    """Ask the request's address again, in the background, as an anonymous GET."""
    environ = {
        name: value
        for name, value in request.META.items()
        if isinstance(value, str) and name not in _DROPPED and not name.startswith("wsgi.")
    }
    environ.update(
        {
            "REQUEST_METHOD": "GET",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": request.META.get("wsgi.url_scheme", "http"),
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
    )
    return _worker.submit(_ask, environ)


def wait(timeout=None):
    """Until every remake asked so far in this process is done."""
    _worker.submit(int).result(timeout)


def _ask(environ):
    global _handler
    _current.active = True
    try:
        if _handler is None:
            _handler = WSGIHandler()
        response = _handler(environ, lambda status, headers, exc_info=None: None)
        response.close()
    except Exception:
        log.exception("A kept copy could not be made again: %s", environ.get("PATH_INFO"))
    finally:
        _current.active = False
        # This thread's connection is not a request thread's: it is not closed at any request's end.
        connections.close_all()
