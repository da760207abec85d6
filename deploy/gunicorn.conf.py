"""gunicorn settings for the portal: `gunicorn -c deploy/gunicorn.conf.py prevent_protect.wsgi`.

Every value can be changed from the environment (GUNICORN_*), so the systemd unit, the
benchmarks and a developer trying production locally run the same configuration.
"""

import gc
import multiprocessing
import os

wsgi_app = "prevent_protect.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes use the cores; two threads in each let it serve a request while another waits on
# PostgreSQL or Redis. Measured on 2 cores at 32 connections (docs/PERFORMANCE.md): 5 processes
# x 2 threads gave the same throughput as 4 x 4 or 5 sync workers with the lowest 99th percentile,
# since more threads per process only queue behind its one interpreter lock.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 2))
keepalive = 5

# A worker process silent for this long is killed and replaced. (With threads, one stuck request
# does not silence its process: nginx's proxy_read_timeout ends the visitor's wait; reports run in
# Celery, never in a request.) Restarting workers now and then bounds what any leak could take.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 50000))
max_requests_jitter = max_requests // 10
# Django is imported once, in the master: a renewed worker is a fork, ready at once, instead of
# a second of importing while its share of the connections waits. (No connection is opened at
# import, so none is shared between processes.)
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"

# Each worker touches a file every second to show it is alive; on a disk busy writing (a backup,
# an export) that call can block the worker with all its connections. Memory never blocks.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# See pre_fork; off only to measure what it saves (bench/tails.sh).
gc_freeze = os.environ.get("GUNICORN_GC_FREEZE", "1") == "1"

# nginx logs every request; gunicorn's access log is off unless asked for ("-" is stdout).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Behind nginx on the same machine: trust its X-Forwarded-* headers only from loopback.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """With the application preloaded, import every view in the master too: the URL configuration
    is about 0.4 s of imports that each worker would otherwise spend on its first request, renewed
    workers included, while the connections it already accepted wait."""
    if preload_app:
        from django.db import connections
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 (the import is the point)
        # Nothing should have connected; a connection made in the master must not be shared by forks.
        connections.close_all()


def pre_fork(server, worker):
    """Set every object the master holds (Django, the URL configuration, the modules) aside from
    the garbage collector before each worker is forked from it. Otherwise each of a worker's full
    collections walks all of them (about 190,000 objects, 100 ms) with both its threads stopped,
    which was most of the public pages' 99th percentile at 32 connections (docs/PERFORMANCE.md,
    "Tail latency"). It also keeps those pages of memory shared between the processes, since a
    collection no longer writes to them."""
    if gc_freeze:
        gc.freeze()
