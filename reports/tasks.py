"""Celery tasks for reports: run one, sweep stuck and lost ones, purge expired ones, queue the
monthly ones.

The database row is the truth; a broker message only says "look at report N". A message may be
lost (Redis restarted), delivered twice (late acknowledgement after a worker died, or the sweep
sending it again) or arrive late. So `run_report` locks the row and runs it only when it is
queued, or when it is marked running by a worker that has died; everything else is refused.

On PostgreSQL the worker running a report also holds a session advisory lock on it. The database
releases it the moment the worker's connection ends, however the worker ended (SIGKILL, a lost
machine), so "running, but nobody holds it" means the worker died. Elsewhere (SQLite, where tasks
run eagerly) only the time limit tells.
"""

import datetime
import json
import logging
import tempfile
import time
import uuid
from contextlib import contextmanager
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError

from regions.models import Region

# progress registers the progress reports' generators, which the worker must know.
from . import generators, progress, services  # noqa: F401
from .models import Report

logger = logging.getLogger(__name__)

# A generator may report progress thousands of times; the row is written at most this often.
PROGRESS_EVERY_SECONDS = 1.0
# A queued report younger than this still has its first message on the way.
LOST_AFTER = datetime.timedelta(minutes=1)
# Job ids name their report, so that the sweep can tell which reports the broker still holds.
TASK_ID_PREFIX = "report-"
# First key of the two-key advisory locks on reports, so that they never meet another app's locks.
LOCK_NAMESPACE = 0x5250

FAILED_MESSAGE = _(
    "The report could not be produced because of an error on our side, which has been recorded for "
    "the technical team. Try again later; if it fails again, contact the ministry's support team."
)

STOPPED_MESSAGE = _(
    # No noun after the number: "1 times" would be wrong and plural forms are not worth it here.
    "The report never finished (attempts: %(attempts)s), so it has been stopped. Ask for a shorter "
    "period or fewer regions; if it stops again, contact the ministry's support team."
)
MISSING_MESSAGE = _("This report cannot be produced in this format yet. Choose another format.")


def report_enqueue(report_id):
    """Send the job that runs a report; called after the commit that queued the row.

    A broker that cannot be reached does not fail the request: the row is queued, and the sweep
    sends the job again once the broker is back."""
    try:
        run_report.apply_async((report_id,), task_id=f"{TASK_ID_PREFIX}{report_id}-{uuid.uuid4().hex}")
    except OperationalError:
        logger.exception("Report %s: the broker could not be reached; the sweep will send its job.", report_id)


class Superseded(Exception):
    """The report is no longer this run's: the sweep re-queued or failed it meanwhile."""


# --- Running one report ------------------------------------------------------------------------


@shared_task(name="reports.run_report", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_report(report_id):
    """Produce the report's file, if the report is this worker's to run."""
    with _worker_lock(report_id) as held:
        if held is False:
            logger.info("Report %s is held by a live worker; this message is a duplicate.", report_id)
            return
        report = _claim(report_id, holder_dead=held is True)
        if report is not None:
            _run(report)


def _claim(report_id, *, holder_dead):
    """Mark the report running, and return it, when it is queued (or running for a dead worker)."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            logger.warning("Report %s no longer exists; nothing to run.", report_id)
            return None
        if report.status == Report.Status.RUNNING and holder_dead:
            _requeue_or_fail(report, why="its worker stopped")
        if report.status != Report.Status.QUEUED:
            logger.info("Report %s is %s, not queued; this message is not needed.", report_id, report.status)
            return None
        report.status = Report.Status.RUNNING
        report.started_at = timezone.now()
        report.attempts += 1
        report.progress = 0
        report.error = ""
        report.save(update_fields=["status", "started_at", "attempts", "progress", "error"])
    logger.info("Report %s started (attempt %s).", report_id, report.attempts)
    return report


def _run(report):
    try:
        generate = generators.generator_for(report.kind, report.format)
    except LookupError:
        logger.error("Report %s: no generator is registered for %s in %s.", report.pk, report.kind, report.format)
        _fail(report, MISSING_MESSAGE)
        return
    try:
        rows = _produce(report, generate)
    except Superseded:
        logger.warning(
            "Report %s attempt %s was taken over by the sweep; its work is dropped.", report.pk, report.attempts
        )
    except Exception:
        # The cause, with its traceback, is for the logs; the person gets a message they can act on.
        logger.exception("Report %s failed on attempt %s.", report.pk, report.attempts)
        _fail(report, FAILED_MESSAGE)
    else:
        _finish(report, rows)


def _produce(report, generate):
    """Write the report into a temporary file, then store it privately; returns the row count."""
    with tempfile.TemporaryFile() as output:
        with translation.override(report.language):
            rows = generate(report, output, _Progress(report))
        output.seek(0)
        region = report.region.slug if report.region_id else "peru"
        report.file.save(f"{report.kind}-{region}.{report.format}", File(output), save=False)
    return rows


class _Progress:
    """The generators' `progress(done, total)`: at most one small UPDATE a second.

    Each UPDATE only touches a row that is still this run's (running, same attempt), so it also
    tells the run when the sweep has given the report to another one."""

    def __init__(self, report):
        self.mine = _this_run(report)
        self.written_at = time.monotonic()

    def __call__(self, done, total):
        now = time.monotonic()
        if now - self.written_at < PROGRESS_EVERY_SECONDS:
            return
        self.written_at = now
        percent = min(99, done * 100 // total) if total else 0
        if not self.mine.update(progress=percent):
            raise Superseded


def _this_run(report):
    return Report.objects.filter(pk=report.pk, status=Report.Status.RUNNING, attempts=report.attempts)


def _finish(report, rows):
    with transaction.atomic():
        finished = _this_run(report).update(
            status=Report.Status.DONE,
            file=report.file.name,
            row_count=rows,
            progress=100,
            finished_at=timezone.now(),
            expires_at=report.retention_end(),
        )
        if finished:
            transaction.on_commit(partial(_notify, report.pk))
    if not finished:
        report.file.delete(save=False)
        logger.warning(
            "Report %s attempt %s finished after the sweep took it over; file dropped.", report.pk, report.attempts
        )
        return
    logger.info("Report %s done: %s rows.", report.pk, rows)


def _fail(report, message):
    with translation.override(report.language):
        message = str(message)
    with transaction.atomic():
        failed = _this_run(report).update(
            status=Report.Status.FAILED,
            error=message,
            finished_at=timezone.now(),
            expires_at=report.retention_end(),
        )
        if failed:
            transaction.on_commit(partial(_notify, report.pk))


def _notify(report_id):
    # An e-mail that cannot be sent must not undo a finished report: it is logged, not raised.
    try:
        services.report_notify(Report.objects.select_related("region").get(pk=report_id))
    except Exception:
        logger.exception("Report %s: the e-mail could not be sent.", report_id)


def _requeue_or_fail(report, *, why):
    """Give a stuck report another attempt, or fail it after REPORT_MAX_ATTEMPTS; the caller holds
    the row's lock. Returns True when it was re-queued (the caller sends the job)."""
    now = timezone.now()
    if report.attempts < settings.REPORT_MAX_ATTEMPTS:
        logger.warning("Report %s re-queued after attempt %s: %s.", report.pk, report.attempts, why)
        report.status, report.progress, report.started_at = Report.Status.QUEUED, 0, None
        report.save(update_fields=["status", "progress", "started_at"])
        return True
    logger.error("Report %s failed after %s attempts: %s.", report.pk, report.attempts, why)
    report.status, report.finished_at, report.expires_at = Report.Status.FAILED, now, report.retention_end()
    with translation.override(report.language):
        report.error = str(STOPPED_MESSAGE) % {"attempts": report.attempts}
    report.save(update_fields=["status", "finished_at", "expires_at", "error"])
    transaction.on_commit(partial(_notify, report.pk))
    return False


@contextmanager
def _worker_lock(report_id):
    """Yields True when this process now holds the report's advisory lock, False when a live
    worker holds it, None when the database has no such locks (then nobody can tell)."""
    if connection.vendor != "postgresql":
        yield None
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, report_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, report_id])


# --- The sweep ---------------------------------------------------------------------------------


@shared_task(name="reports.sweep_reports", ignore_result=True)
def sweep_reports():
    """Re-queue (or fail, after the last attempt) reports whose worker died or that ran past the
    time limit, and send again the jobs of queued reports the broker lost. Returns the counts."""
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    overdue = timezone.now() - datetime.timedelta(seconds=settings.REPORT_TIME_LIMIT_SECONDS)
    for report_id in Report.objects.filter(status=Report.Status.RUNNING).values_list("pk", flat=True):
        outcome = _sweep_running(report_id, overdue)
        if outcome:
            counts[outcome] += 1
    for report_id in _lost_reports():
        report_enqueue(report_id)
        counts["resent"] += 1
    if any(counts.values()):
        logger.warning("Report sweep: %s.", counts)
    return counts


def _sweep_running(report_id, overdue):
    with _worker_lock(report_id) as held:
        outcome = _settle_running(report_id, dead=held is True, overdue=overdue)
    # Sent once the lock is released, or the worker that takes the job would find it held.
    if outcome == "requeued":
        report_enqueue(report_id)
    return outcome


def _settle_running(report_id, *, dead, overdue):
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(skip_locked=True)
            .filter(pk=report_id, status=Report.Status.RUNNING)
            .first()
        )
        if report is None:
            return None
        if dead:
            why = "its worker stopped"
        elif report.started_at < overdue:
            why = f"it ran longer than {settings.REPORT_TIME_LIMIT_SECONDS} s"
        else:
            return None
        return "requeued" if _requeue_or_fail(report, why=why) else "failed"


def _lost_reports():
    """Ids of reports queued for over a minute whose job the broker does not hold."""
    queued = Report.objects.filter(status=Report.Status.QUEUED, created_at__lt=timezone.now() - LOST_AFTER)
    ids = list(queued.values_list("pk", flat=True))
    if not ids:
        return []
    held = _ids_in_broker()
    # A broker that cannot be read gets every job again: run_report refuses the duplicates.
    return [pk for pk in ids if held is None or pk not in held]


def _ids_in_broker():
    """Ids of the reports whose job waits in Redis or was delivered and not acknowledged; None
    when the broker is not Redis or cannot be read."""
    app = run_report.app
    if app.conf.task_always_eager or not app.conf.broker_url.startswith(("redis://", "rediss://")):
        return None
    try:
        with app.connection_for_read() as broker:
            channel = broker.default_channel
            queue = app.conf.task_default_queue
            keys = [queue, *(f"{queue}{channel.sep}{step}" for step in channel.priority_steps if step)]
            waiting = [payload for key in keys for payload in channel.client.lrange(key, 0, -1)]
            delivered = [json.loads(entry)[0] for entry in channel.client.hvals(channel.unacked_key)]
    except Exception:
        logger.exception("The sweep could not read the broker's queue.")
        return None
    messages = [json.loads(payload) for payload in waiting] + delivered
    return {_report_id(message) for message in messages} - {None}


def _report_id(message):
    task_id = message.get("headers", {}).get("id", "")
    if not task_id.startswith(TASK_ID_PREFIX):
        return None
    return int(task_id[len(TASK_ID_PREFIX) :].split("-", 1)[0])


# --- Retention and the monthly schedule --------------------------------------------------------


@shared_task(name="reports.purge_expired_reports", ignore_result=True)
def purge_expired_reports():
    """Delete finished reports past their retention, file first; returns how many."""
    expired = Report.objects.filter(expires_at__lte=timezone.now()).exclude(status__in=Report.ACTIVE)
    purged = 0
    for report in expired.iterator():
        if report.file:
            report.file.delete(save=False)
        report.delete()
        purged += 1
    if purged:
        logger.info("Purged %s expired reports.", purged)
    return purged


@shared_task(name="reports.send_monthly_reports", ignore_result=True)
def send_monthly_reports(today=None):
    """Queue last month's progress report of each campaign region and the national summary.

    `today` (ISO date) is for tests and reruns; the schedule runs it on the first of the month."""
    today = datetime.date.fromisoformat(today) if today else timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    period = {"date_from": last.replace(day=1).isoformat(), "date_to": last.isoformat()}
    queued = []
    for region in Region.objects.in_campaign():
        report, _created = services.report_schedule(
            kind=Report.Kind.REGIONAL_PROGRESS, format=Report.Format.PDF, region=region, parameters=period
        )
        queued.append(report.pk)
    report, _created = services.report_schedule(
        kind=Report.Kind.NATIONAL_SUMMARY, format=Report.Format.PDF, parameters=period
    )
    queued.append(report.pk)
    logger.info("Monthly reports for %s queued: %s.", period["date_from"][:7], queued)
    return queued
