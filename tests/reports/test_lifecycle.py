"""A requested report, run by a real Celery worker: queued, then running with its progress moving,
then done, with a file its requester downloads and an e-mail that says where."""

import pytest
from django.conf import settings

from reports.models import Report
from reports.services import report_open, report_request, report_url

from .conftest import eventually, wait_for

pytestmark = pytest.mark.slow


def test_a_report_is_queued_then_runs_with_its_progress_moving_then_is_done(
    start_worker, make_activities, amazonas, coord_amazonas
):
    start_worker(chunk_size=100, pause=0.25)
    make_activities(amazonas, 1_000)

    report, created = report_request(user=coord_amazonas, kind="activities", format="csv", region=amazonas)
    assert created
    assert report.status == Report.Status.QUEUED

    seen = []
    wait_for(report, watch=lambda row: seen.append((row.status, row.progress)))
    assert report.status == Report.Status.DONE, report.error
    progress = [percent for status, percent in seen if status == Report.Status.RUNNING]
    assert len(set(progress)) >= 3, seen
    assert progress == sorted(progress)
    assert max(progress) < 100
    assert (report.progress, report.row_count, report.attempts, report.error) == (100, 1_000, 1, "")
    assert report.started_at <= report.finished_at < report.expires_at


def test_the_requester_downloads_the_file_and_is_told_by_email(start_worker, make_activities, amazonas, coord_amazonas):
    worker = start_worker(pause=0)
    make_activities(amazonas, 250)

    report, _ = report_request(user=coord_amazonas, kind="activities", format="csv", region=amazonas, language="en")
    wait_for(report)

    with report_open(report, coord_amazonas) as handle:
        lines = handle.read().decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 250
    assert lines[0].startswith("ID,Region,Objective,Service,Title,")
    # Sent once the commit that marked it done is over: a moment after the status changes.
    eventually(worker.emails)
    [message] = worker.emails()
    assert message["To"] == coord_amazonas.email
    assert message["Subject"].strip().startswith("Your report is ready: Activities export · Amazonas")
    assert settings.SITE_URL + report_url(report) in message.get_content()


def test_the_file_is_stored_privately_under_a_random_name(start_worker, make_activities, amazonas, staff):
    start_worker(pause=0)
    make_activities(amazonas, 10)

    report, _ = report_request(user=staff, kind="activities", format="xlsx", region=amazonas)
    wait_for(report)

    # Under MEDIA_ROOT, which no URL serves, with a name nobody can guess.
    assert (settings.MEDIA_ROOT / report.file.name).is_file()
    assert report.file.name.startswith("reports/")
    assert report.file.name.endswith("-activities-amazonas.xlsx")
    assert len(report.file.name.rsplit("/", 1)[-1].split("-", 1)[0]) == 32
