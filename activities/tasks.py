"""The spreadsheet import's jobs: check an upload's rows, import a confirmed dry run, and the sweep
that stops what lost its worker, expires dry runs nobody confirmed and deletes old jobs.

The ImportJob row is the truth; a broker message only says "look at job N". A step runs only when it
finds the row in the state that step expects, and moves it on under the row's lock, so a duplicate or
late message does nothing. Small files take the same steps inside the request (import_views).
"""

import datetime
import logging
import time
from dataclasses import asdict
from functools import partial

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError

from . import importing
from .models import ImportJob

logger = logging.getLogger(__name__)

Status = ImportJob.Status
# The rows are checked in thousands; the row is written at most this often.
PROGRESS_EVERY_SECONDS = 1.0
# A job still waiting after this may have lost its message (Redis restarted): the sweep sends it again.
LOST_AFTER = datetime.timedelta(minutes=2)

FAILED_MESSAGE = _(
    "The file could not be processed because of an error on our side, which has been recorded. "
    "Nothing was saved: try again later."
)
STOPPED_MESSAGE = _("The work on this file stopped before it finished. Nothing was saved: upload the file again.")
EXPIRED_MESSAGE = _("This check was not confirmed within an hour. Nothing was saved: upload the file again.")
CHANGED_MESSAGE = _(
    "Something changed since the check (a partner, a service or the regions you log activities in). "
    "Nothing was saved: correct the rows below and upload the file again."
)
CONFLICT_MESSAGE = _("These rows were imported meanwhile by another upload. Upload the file again.")


# --- Creating jobs (called by the views) -------------------------------------------------------


def import_job_queue(*, user, region, data, file_name, language):
    """A job whose rows a worker checks, sent once the request commits."""
    job = _new_job(user=user, region=region, data=data, file_name=file_name, language=language)
    job.status, job.queued_at = Status.QUEUED, timezone.now()
    job.save()
    transaction.on_commit(partial(enqueue, check_import, job.pk))
    return job


def import_job_ready(*, user, region, data, file_name, language, result, checked):
    """A dry run checked in the request that has rows to import: kept until confirmed."""
    job = _new_job(user=user, region=region, data=data, file_name=file_name, language=language)
    for name, value in _check_fields(result, checked).items():
        setattr(job, name, value)
    job.save()
    return job


def _new_job(*, user, region, data, file_name, language):
    job = ImportJob(user=user, region=region, language=language, file_name=file_name[:200])
    job.file.save("upload.xlsx", ContentFile(data), save=False)
    return job


def import_job_confirm(job):
    """Move a dry run ready to import on to its import; False when it had already moved on."""
    moved = ImportJob.objects.filter(pk=job.pk, status=Status.READY, expires_at__gt=timezone.now()).update(
        status=Status.CONFIRMED, progress=0, queued_at=timezone.now()
    )
    return bool(moved)


def enqueue(task, job_id):
    # A broker that cannot be reached does not fail the request: the sweep sends the job again.
    try:
        task.delay(job_id)
    except OperationalError:
        logger.exception("Import job %s: the broker could not be reached; the sweep will send it.", job_id)


# --- The steps ---------------------------------------------------------------------------------


@shared_task(name="activities.check_import", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def check_import(job_id):
    job = claim(job_id, Status.QUEUED, Status.CHECKING)
    if job is not None:
        import_job_check(job)


@shared_task(name="activities.run_import", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_import(job_id):
    job = claim(job_id, Status.CONFIRMED, Status.IMPORTING)
    if job is not None:
        import_job_import(job)


def claim(job_id, expected, moving_to):
    """The job, moved from `expected` to `moving_to`; None when it is not in `expected`."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("user", "region").filter(pk=job_id)
        job = job.first()
        if job is None or job.status != expected:
            logger.info("Import job %s is not %s; this message is not needed.", job_id, expected)
            return None
        job.status, job.progress, job.started_at = moving_to, 0, timezone.now()
        job.save(update_fields=["status", "progress", "started_at"])
    return job


def import_job_check(job):
    """The dry run of a claimed job's file: ready to confirm, checked (errors, or nothing new), or failed."""
    with translation.override(job.language), Progress(job) as progress:
        try:
            data = _read(job)
            result, checked = importing.check_rows(data, user=job.user, default_region=job.region, progress=progress)
        except importing.FileRefused as exc:
            _finish(job, Status.FAILED, failure=str(exc))
            return
        except Exception:
            logger.exception("Import job %s: the check failed.", job.pk)
            _finish(job, Status.FAILED, failure=str(FAILED_MESSAGE))
            return
        fields = _check_fields(result, checked)
        if fields["status"] == Status.CHECKED:
            _finish(job, Status.CHECKED, **{k: v for k, v in fields.items() if k != "status"})
        elif not _this_step(job).update(**fields):
            logger.warning("Import job %s was stopped by the sweep while it was checked.", job.pk)


def _check_fields(result, checked):
    fields = {
        "rows": result.rows,
        "error_count": result.error_count,
        "new": result.new,
        "already": result.already,
        "errors": [asdict(error) for error in result.errors],
        "progress": 100,
    }
    if result.is_valid and checked:
        fields.update(
            status=Status.READY,
            checked_rows=importing.checked_rows_dump(checked),
            expires_at=timezone.now() + ImportJob.PENDING,
        )
    else:
        fields["status"] = Status.CHECKED
    return fields


def import_job_import(job):
    """Import a claimed job's checked rows; done, or checked with the errors of what changed, or failed."""
    with translation.override(job.language), Progress(job) as progress:
        try:
            outcome = _import(job, progress)
        except importing.ImportConflict:
            outcome = {"status": Status.FAILED, "failure": str(CONFLICT_MESSAGE)}
        except Exception:
            logger.exception("Import job %s: the import failed.", job.pk)
            outcome = {"status": Status.FAILED, "failure": str(FAILED_MESSAGE)}
        _finish(job, **outcome)


def _import(job, progress):
    checked = importing.checked_rows_load(job.checked_rows or [])
    if importing.references_unchanged(checked, user=job.user):
        fresh = importing.not_yet_imported(checked)
        created = importing.checked_import(fresh, user=job.user, progress=progress)
        # Rows another upload created since the dry run count as already imported.
        return {"status": Status.DONE, "created": created, "already": job.already + len(checked) - len(fresh)}
    # What a row depends on changed since the dry run: every row is checked again, so that each says what.
    result = importing.activities_import(_read(job), user=job.user, default_region=job.region, progress=progress)
    fields = {"rows": result.rows, "new": result.new, "already": result.already, "created": result.created}
    if result.is_valid:
        return {"status": Status.DONE, **fields}
    errors = [asdict(error) for error in result.errors]
    failure = str(CHANGED_MESSAGE)
    return {"status": Status.CHECKED, "error_count": result.error_count, "errors": errors, "failure": failure, **fields}


def _read(job):
    with job.file.open("rb") as upload:
        return upload.read()


def _this_step(job):
    return ImportJob.objects.filter(pk=job.pk, status=job.status)


def _finish(job, status, **fields):
    """End the job, if it is still in the step this run was given; the upload and the checked rows go."""
    if status in (Status.CHECKED, Status.DONE):
        fields.setdefault("progress", 100)
    finished = _this_step(job).update(
        status=status, finished_at=timezone.now(), file="", checked_rows=None, expires_at=None, **fields
    )
    # Only the run that ends the job deletes its file: one the sweep or a confirmation moved on first is theirs.
    if finished:
        if job.file:
            job.file.delete(save=False)
        logger.info("Import job %s: %s.", job.pk, status)
    else:
        logger.warning("Import job %s had moved on before this run finished it (%s).", job.pk, status)


class Progress:
    """The steps' `progress(done, total)`: at most one small UPDATE a second.

    Inside the import's transaction an UPDATE would show only at its commit, so there it goes through
    a connection of its own (PostgreSQL; SQLite's one writer is the import itself, which waits)."""

    def __init__(self, job):
        self.job = job
        self.written_at = time.monotonic()
        self.side = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.side is not None:
            self.side.close()

    def __call__(self, done, total):
        now = time.monotonic()
        if now - self.written_at < PROGRESS_EVERY_SECONDS:
            return
        self.written_at = now
        percent = min(99, done * 100 // total) if total else 0
        if not connection.in_atomic_block:
            _this_step(self.job).update(progress=percent)
        elif connection.vendor == "postgresql":
            self._write_aside(percent)

    def _write_aside(self, percent):
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET progress = %s WHERE id = %s AND status = %s",  # noqa: S608
                [percent, self.job.pk, self.job.status],
            )


# --- The sweep ---------------------------------------------------------------------------------


@shared_task(name="activities.sweep_import_jobs", ignore_result=True)
def sweep_import_jobs():
    """Stop steps that lost their worker, send again the messages the broker may have lost, expire
    dry runs nobody confirmed, and delete finished jobs past their retention. Returns the counts."""
    now = timezone.now()
    counts = {"stopped": 0, "resent": 0, "expired": 0, "deleted": 0}
    # A step running past the limit lost its worker; an import's transaction died with it.
    jobs = ImportJob.objects.defer("checked_rows", "errors")
    running = jobs.filter(status__in=(Status.CHECKING, Status.IMPORTING))
    for job in running.filter(started_at__lt=now - ImportJob.TIME_LIMIT):
        _stop(job, STOPPED_MESSAGE)
        counts["stopped"] += 1
    waiting = jobs.filter(status__in=(Status.QUEUED, Status.CONFIRMED))
    for job in waiting.filter(queued_at__lt=now - ImportJob.TIME_LIMIT):
        _stop(job, STOPPED_MESSAGE)
        counts["stopped"] += 1
    for job in waiting.filter(queued_at__lt=now - LOST_AFTER).only("pk", "status"):
        enqueue(check_import if job.status == Status.QUEUED else run_import, job.pk)
        counts["resent"] += 1
    for job in jobs.filter(status=Status.READY, expires_at__lte=now):
        _stop(job, EXPIRED_MESSAGE)
        counts["expired"] += 1
    for job in jobs.filter(status__in=ImportJob.FINISHED, finished_at__lt=now - ImportJob.RETENTION):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        counts["deleted"] += 1
    if any(counts.values()):
        logger.info("Import sweep: %s.", counts)
    return counts


def _stop(job, message):
    with translation.override(job.language):
        _finish(job, Status.FAILED, failure=str(message))
