"""Without REDIS_URL, Celery runs the jobs in the requesting process once the request commits,
so `make run` produces reports with no broker and no worker."""

import os
import subprocess
import sys
from pathlib import Path

from django.core import mail

from reports.models import Report
from reports.services import report_open, report_request

ROOT = Path(__file__).resolve().parents[2]


def test_without_redis_the_settings_run_jobs_eagerly():
    probe = "from prevent_protect.celery import app; c = app.conf; print(c.task_always_eager, c.broker_url)"
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "prevent_protect.settings"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split()[-2:] == ["True", "memory://"]


def test_a_request_is_done_once_it_commits(celery_eager, django_capture_on_commit_callbacks, coord_amazonas, amazonas):
    with django_capture_on_commit_callbacks(execute=True):
        report, created = report_request(
            user=coord_amazonas, kind="activities", format="xlsx", region=amazonas, language="en"
        )
        # Nothing runs inside the request's transaction: the job waits for the commit.
        assert Report.objects.get(pk=report.pk).status == Report.Status.QUEUED

    report.refresh_from_db()
    assert created
    assert (report.status, report.progress, report.attempts) == (Report.Status.DONE, 100, 1)
    with report_open(report, coord_amazonas) as handle:
        assert handle.read(2) == b"PK"  # an XLSX is a zip
    [message] = mail.outbox
    assert message.to == [coord_amazonas.email]
    assert message.subject.startswith("Your report is ready")
