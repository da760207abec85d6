"""What the report tests share: a real Celery worker in a subprocess (so that it can be killed for
real), the jobs a test sends when no worker should run them, and a stand-in for a live worker's
advisory lock.

The worker reads the test database through DATABASE_URL, so it needs PostgreSQL (pytest-django's
SQLite test database lives in the test process's memory) and a Redis in REDIS_URL. Without them
the worker tests are skipped, except in CI, where they fail: CI must run them.
"""

import datetime
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection, connections

from activities.models import Activity
from programs.models import Objective
from reports import tasks
from reports.models import Report

ROOT = Path(__file__).resolve().parents[2]
WORKER_READY_SECONDS = 30

# The worker, as `celery -A prevent_protect worker` starts it, plus what tests need to watch a
# report run: smaller chunks with a pause at each (so the progress moves and a test can kill the
# worker mid-job), progress written at every chunk, e-mails as files, and a broker visibility
# timeout from the environment (Redis redelivers an unacknowledged job after it).
WORKER_SCRIPT = """
import os, time
import django
django.setup()
from django.conf import settings
from prevent_protect.celery import app
from reports import generators, tasks

settings.EMAIL_FILE_PATH = os.environ["TEST_EMAIL_DIR"]
generators.CHUNK_SIZE = generators.COPY_IDS = int(os.environ["TEST_CHUNK_SIZE"])
tasks.PROGRESS_EVERY_SECONDS = 0
pause = float(os.environ["TEST_CHUNK_PAUSE"])

def paced(generate):
    def run(report, output, progress):
        def step(done, total):
            time.sleep(pause)
            progress(done, total)
        return generate(report, output, step)
    return run

for key, generate in list(generators.GENERATORS.items()):
    generators.GENERATORS[key] = paced(generate)
app.conf.broker_transport_options = {"visibility_timeout": float(os.environ["TEST_VISIBILITY_TIMEOUT"])}
app.worker_main(["worker", "-P", "solo", "--concurrency", "1", "-Q", "celery", "--without-heartbeat",
                 "--without-mingle", "--without-gossip", "--loglevel", "INFO", "-n", os.environ["TEST_WORKER_NAME"]])
"""


def _require_worker_services():
    if connection.vendor != "postgresql":
        pytest.skip("the worker tests need PostgreSQL: SQLite's test database is in memory, out of a worker's reach")
    if not settings.REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set REDIS_URL: the worker tests need a real Redis")
        pytest.skip("REDIS_URL is not set: the worker tests need a real Redis")


def _database_url():
    db = connection.settings_dict
    login = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return f"postgresql://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """One `celery worker` process; `log` is everything it printed."""

    def __init__(self, directory, *, chunk_size, pause, visibility_timeout):
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = directory / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.email_dir = directory / "emails"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": settings.REDIS_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "TEST_EMAIL_DIR": str(self.email_dir),
            "TEST_CHUNK_SIZE": str(chunk_size),
            "TEST_CHUNK_PAUSE": str(pause),
            "TEST_VISIBILITY_TIMEOUT": str(visibility_timeout),
            "TEST_WORKER_NAME": self.name,
            # So that the fixture can wait for the database to see the worker gone.
            "PGAPPNAME": "report-test-worker",
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WORKER_SCRIPT], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_ready()

    @property
    def log(self):
        return self.log_path.read_text(errors="replace")

    def _wait_until_ready(self):
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while " ready." not in self.log:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"the Celery worker did not start:\n{self.log}")
            time.sleep(0.1)

    def kill(self):
        """SIGKILL, as the kernel's OOM killer or a lost machine would: nothing is cleaned up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        _wait_for_worker_connections_to_close()

    def emails(self):
        if not self.email_dir.exists():
            return []
        messages = []
        for path in sorted(self.email_dir.iterdir()):
            # The file backend appends each message and a line of dashes to one file per connection.
            for chunk in path.read_text().split("-" * 79):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk.strip(), policy=email.policy.default))
        return messages


def _wait_for_worker_connections_to_close():
    # A killed client's session ends when PostgreSQL notices; until then it holds its advisory locks.
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'report-test-worker' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture
def broker():
    """The test's Redis database, emptied before and after."""
    _require_worker_services()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def start_worker(broker, reference_data, tmp_path):
    """`start_worker(chunk_size=100, pause=0.2, visibility_timeout=3600)` starts a worker; every
    worker started is killed at the end of the test."""
    workers = []

    def start(*, chunk_size=100, pause=0.2, visibility_timeout=3600):
        workers.append(Worker(tmp_path, chunk_size=chunk_size, pause=pause, visibility_timeout=visibility_timeout))
        return workers[-1]

    yield start
    for worker in workers:
        worker.kill()
        # Captured: pytest shows it only when the test failed.
        print(f"--- log of {worker.name} ---\n{worker.log}")


@pytest.fixture
def celery_worker(start_worker):
    """A real worker, started before the test and killed after it."""
    return start_worker()


FINISHED = ("done", "failed")


def eventually(condition, *, timeout=30):
    """Waits until `condition()` is true; fails when the time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        time.sleep(0.05)


def wait_until(report, condition, *, timeout=60, watch=None):
    """Reloads the report until `condition(report)`; `watch(report)` sees every reload. Fails when
    the report finishes first (unless that is the condition) or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        report.refresh_from_db()
        if watch:
            watch(report)
        if condition(report):
            return report
        if report.status in FINISHED:
            raise AssertionError(f"report {report.pk} finished ({report.status}) before the awaited moment")
        if time.monotonic() > deadline:
            raise AssertionError(f"report {report.pk} still {report.status} ({report.progress}%) after {timeout} s")
        time.sleep(0.05)


def wait_for(report, *, timeout=60, watch=None):
    """Reloads the report until it is done or failed."""
    return wait_until(report, lambda row: row.status in FINISHED, timeout=timeout, watch=watch)


def wait_for_progress(report, past=0):
    """Reloads the report until it runs beyond `past` percent."""
    return wait_until(report, lambda row: row.status == "running" and row.progress > past)


@pytest.fixture
def celery_eager():
    """Jobs run in the test's process once the request commits, as without REDIS_URL. Setting
    CELERY_TASK_ALWAYS_EAGER does not do it: the Celery app reads the settings once, at start."""
    before = current_app.conf.task_always_eager
    current_app.conf.update(task_always_eager=True)
    yield
    current_app.conf.update(task_always_eager=before)


@pytest.fixture
def sent_jobs(monkeypatch):
    """The report ids whose job was sent, in order, instead of sending them to a broker."""
    sent = []
    monkeypatch.setattr(tasks, "report_enqueue", sent.append)
    return sent


@pytest.fixture
def live_worker_lock():
    """`live_worker_lock(report)` holds the report's advisory lock from another connection, as a
    live worker running it would (PostgreSQL only)."""
    held = []

    def hold(report):
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [tasks.LOCK_NAMESPACE, report.pk])
        held.append(other)

    yield hold
    for other in held:
        other.close()


def running_report(**fields):
    """A report some worker marked running, as a row (no job behind it)."""
    values = {"kind": "activities", "format": "csv", "status": Report.Status.RUNNING, "attempts": 1, **fields}
    return Report.objects.create(**values)


@pytest.fixture
def make_activities():
    """`make_activities(region, count, **fields)`: that many activities in one INSERT, for exports
    that need rows rather than realistic ones (OE1 workshops, 2025-03-10, 12 women and 8 men)."""

    def make(region, count, **fields):
        objective = Objective.objects.get(code=fields.pop("objective", "OE1"))
        values = {
            "region": region,
            "objective": objective,
            "service": objective.services.order_by("slug").first(),
            "start_date": datetime.date(2025, 3, 10),
            "end_date": datetime.date(2025, 3, 10),
            "women": 12,
            "men": 8,
            "status": "approved",
            **fields,
        }
        activities = [Activity(title=f"Taller {region.slug} {n}", **values) for n in range(count)]
        return Activity.objects.bulk_create(activities, batch_size=500)

    return make
