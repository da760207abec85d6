"""Report files are kept for REPORT_RETENTION_DAYS, then the file and the row go; nothing else does."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.http import Http404
from django.utils import timezone

from reports.models import Report
from reports.services import report_open, report_request
from reports.tasks import purge_expired_reports, run_report

from .conftest import eventually

NOW = timezone.now()
DAY = datetime.timedelta(days=1)


def finished_report(user, *, expires_at, status=Report.Status.DONE):
    report = Report(
        kind="activities", format="csv", status=status, requested_by=user, finished_at=NOW, expires_at=expires_at
    )
    report.file.save("activities-peru.csv", ContentFile(b"ID\n"), save=False)
    report.save()
    return report


def test_a_finished_report_expires_after_the_retention(settings, sent_jobs, staff, amazonas):
    settings.REPORT_RETENTION_DAYS = 7
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas)
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert abs(report.expires_at - report.finished_at - datetime.timedelta(days=7)) < datetime.timedelta(seconds=1)


def test_expired_reports_lose_their_file_and_row_and_others_stay(settings, staff):
    expired = finished_report(staff, expires_at=NOW - DAY)
    expired_failure = finished_report(staff, expires_at=NOW - DAY, status=Report.Status.FAILED)
    kept = finished_report(staff, expires_at=NOW + DAY)
    queued = Report.objects.create(kind="activities", format="xlsx", requested_by=staff)
    gone_file = settings.MEDIA_ROOT / expired.file.name

    assert purge_expired_reports() == 2

    assert not gone_file.exists()
    assert set(Report.objects.values_list("pk", flat=True)) == {kept.pk, queued.pk}
    assert (settings.MEDIA_ROOT / kept.file.name).exists()
    assert not Report.objects.filter(pk=expired_failure.pk).exists()


def test_a_report_whose_file_is_already_gone_is_still_purged(settings, staff):
    report = finished_report(staff, expires_at=NOW - DAY)
    (settings.MEDIA_ROOT / report.file.name).unlink()
    assert purge_expired_reports() == 1
    assert not Report.objects.exists()


def test_an_expired_report_cannot_be_downloaded_even_before_the_purge(staff):
    report = finished_report(staff, expires_at=NOW - datetime.timedelta(minutes=1))
    with pytest.raises(Http404):
        report_open(report, staff)


def test_a_report_within_its_retention_downloads(staff):
    report = finished_report(staff, expires_at=NOW + DAY)
    with report_open(report, staff) as handle:
        assert handle.read() == b"ID\n"


@pytest.mark.slow
def test_the_worker_purges_expired_reports(celery_worker, settings, staff):
    expired = finished_report(staff, expires_at=NOW - DAY)
    kept = finished_report(staff, expires_at=NOW + DAY)
    path = settings.MEDIA_ROOT / expired.file.name

    purge_expired_reports.delay()

    eventually(lambda: not Report.objects.filter(pk=expired.pk).exists())
    assert not path.exists()
    assert list(Report.objects.values_list("pk", flat=True)) == [kept.pk]
