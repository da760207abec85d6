"""Time the spreadsheet import of 10,000 activities as a coordinator, through the steps the Celery
worker runs: the dry run (read the stored upload, check every row, keep the rows that passed) and
the confirmed import (the bulk re-check of what the rows depend on, then the write). For comparison,
in the same run: the full path a changed reference falls back to (check the file again, then write),
and a baseline, the same activities written by a bare bulk_create (no checks, no history, no partners).

    DATABASE_URL=postgres://…/db python bench/import.py [rows]

Runs inside a transaction that is rolled back, so the database is left as it was (reference data
is loaded first if missing); the stored upload is deleted when its job finishes. Prints the
seconds each step took.
"""

import os
import sys
import time
import uuid

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prevent_protect.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import translation  # noqa: E402

from activities import importing, tasks  # noqa: E402
from activities.models import Activity, ImportJob, Institution  # noqa: E402
from programs.reference import load_reference_data  # noqa: E402
from regions.models import Region, RegionMembership  # noqa: E402

Status = ImportJob.Status


def timed(step):
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main(rows):
    from tests.test_import import many_rows, workbook

    with translation.override("es"), transaction.atomic():
        load_reference_data()
        region = Region.objects.get(slug="amazonas")
        partner, _ = Institution.objects.get_or_create(region=region, name="I.E. bench", defaults={"sector": "public"})
        user = get_user_model().objects.create(username="bench-import", role="coordinator")
        RegionMembership.objects.create(user=user, region=region)
        data = workbook(many_rows(region, rows, institutions=partner.name))
        before_the_job = transaction.savepoint()
        # Queued as the upload view queues it (its message would leave at the commit, which never comes).
        job = tasks.import_job_queue(user=user, region=None, data=data, file_name="bench.xlsx", language="es")
        dry = timed(lambda: tasks.import_job_check(tasks.claim(job.pk, Status.QUEUED, Status.CHECKING)))
        job.refresh_from_db()
        assert (job.status, job.new) == (Status.READY, rows), (job.status, job.errors[:3])
        assert tasks.import_job_confirm(job)
        imported = timed(lambda: tasks.import_job_import(tasks.claim(job.pk, Status.CONFIRMED, Status.IMPORTING)))
        job.refresh_from_db()
        assert (job.status, job.created) == (Status.DONE, rows), job.failure
        assert Activity.objects.filter(created_by=user).count() == rows
        transaction.savepoint_rollback(before_the_job)
        full = timed(lambda: importing.activities_import(data, user=user))
        transaction.savepoint_rollback(before_the_job)
        copies = [Activity(**{**activity_fields(a), "client_uuid": uuid.uuid4()}) for a in job_activities(user, data)]
        bare = timed(lambda: Activity.objects.bulk_create(copies, batch_size=1_000))
        print(machine())
        print(
            f"rows={rows} file={len(data) / 1024:.0f} KiB dry_run={dry:.1f}s import={imported:.1f}s "
            f"total={dry + imported:.1f}s | full re-check and write: {full:.1f}s | "
            f"baseline, bare bulk_create: {bare:.1f}s"
        )
        transaction.set_rollback(True)


def job_activities(user, data):
    _result, checked = importing.check_rows(data, user=user)
    return [row.activity for row in checked]


def activity_fields(activity):
    return {field.attname: getattr(activity, field.attname) for field in importing.STORED_FIELDS}


def machine():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0] if connection.vendor == "postgresql" else connection.vendor
    load = " ".join(f"{figure:.1f}" for figure in os.getloadavg())
    return f"machine: {os.cpu_count()} cores, load average {load}, PostgreSQL {version.split()[0]}"


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
