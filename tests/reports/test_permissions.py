"""Who may request, see and download which report: a coordinator their own regions' reports,
staff every report, nobody else any. Another region's report is not found (404), never forbidden,
so that its existence is not revealed."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import Http404

from reports.models import Report
from reports.services import report_for_user, report_open, report_request
from reports.tasks import run_report

from .conftest import wait_for


def done_report(region, kind="activities", format="csv"):
    report = Report(kind=kind, format=format, region=region, status=Report.Status.DONE, row_count=1)
    report.expires_at = report.retention_end()
    report.file.save(f"{kind}.{format}", ContentFile(b"ID\n"), save=False)
    report.save()
    return report


# --- Requesting --------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["amazonas", "AMAZONAS"])
def test_a_coordinator_cannot_request_another_regions_report(sent_jobs, coord_puno, region):
    with pytest.raises(PermissionDenied):
        report_request(user=coord_puno, kind="activities", format="csv", region=region)
    assert not Report.objects.exists()
    assert sent_jobs == []


def test_a_coordinator_cannot_request_another_region_by_its_id(sent_jobs, coord_puno, amazonas):
    with pytest.raises(PermissionDenied):
        report_request(user=coord_puno, kind="regional_progress", format="pdf", region=amazonas.pk)


@pytest.mark.parametrize(("kind", "format"), [("activities", "csv"), ("national_summary", "pdf")])
def test_a_coordinator_cannot_request_a_national_report(sent_jobs, coord_puno, kind, format):
    with pytest.raises(PermissionDenied):
        report_request(user=coord_puno, kind=kind, format=format)


def test_a_coordinator_requests_their_own_regions_report(sent_jobs, coord_puno, puno):
    report, created = report_request(user=coord_puno, kind="regional_progress", format="xlsx", region=puno)
    assert created
    assert (report.region, report.requested_by) == (puno, coord_puno)


@pytest.mark.parametrize(
    ("kind", "format", "region"),
    [("activities", "xlsx", None), ("activities", "csv", "amazonas"), ("national_summary", "xlsx", None)],
)
def test_staff_request_any_report(sent_jobs, staff, kind, format, region):
    report, created = report_request(user=staff, kind=kind, format=format, region=region)
    assert created


def test_anonymous_visitors_cannot_request_a_report(sent_jobs, anonymous, amazonas):
    with pytest.raises(PermissionDenied):
        report_request(user=anonymous, kind="activities", format="csv", region=amazonas)


def test_an_inactive_coordinator_cannot_request_a_report(sent_jobs, coord_puno, puno):
    coord_puno.is_active = False
    coord_puno.save()
    with pytest.raises(PermissionDenied):
        report_request(user=coord_puno, kind="activities", format="csv", region=puno)


# --- Seeing and downloading --------------------------------------------------------------------


def test_a_coordinator_cannot_see_or_download_another_regions_report(coord_puno, amazonas):
    report = done_report(amazonas)
    with pytest.raises(Http404):
        report_for_user(coord_puno, report.pk)
    with pytest.raises(Http404):
        report_open(report, coord_puno)


def test_a_coordinator_cannot_see_a_national_report(coord_puno):
    report = done_report(None, "national_summary", "pdf")
    with pytest.raises(Http404):
        report_for_user(coord_puno, report.pk)
    with pytest.raises(Http404):
        report_open(report, coord_puno)


@pytest.mark.parametrize("pk", [987_654, "abc", None])
def test_a_missing_report_is_not_found_like_a_forbidden_one(coord_puno, pk):
    with pytest.raises(Http404):
        report_for_user(coord_puno, pk)


def test_a_coordinator_sees_and_downloads_their_regions_report(coord_amazonas, amazonas):
    report = done_report(amazonas)
    assert report_for_user(coord_amazonas, report.pk) == report
    with report_open(report, coord_amazonas) as handle:
        assert handle.read() == b"ID\n"


@pytest.mark.parametrize("region", ["amazonas", None])
def test_staff_see_and_download_every_report(staff, region, request):
    report = done_report(request.getfixturevalue(region) if region else None)
    assert report_for_user(staff, report.pk) == report
    with report_open(report, staff) as handle:
        assert handle.read() == b"ID\n"


def test_anonymous_visitors_see_no_report(anonymous, amazonas):
    report = done_report(amazonas)
    with pytest.raises(Http404):
        report_for_user(anonymous, report.pk)
    with pytest.raises(Http404):
        report_open(report, anonymous)


@pytest.mark.parametrize("status", [Report.Status.QUEUED, Report.Status.RUNNING, Report.Status.FAILED])
def test_a_report_that_is_not_done_has_nothing_to_download(staff, amazonas, status):
    report = done_report(amazonas)
    Report.objects.filter(pk=report.pk).update(status=status)
    with pytest.raises(Http404):
        report_open(report, staff)


def test_a_report_whose_file_went_missing_is_not_found(settings, staff, amazonas):
    report = done_report(amazonas)
    (settings.MEDIA_ROOT / report.file.name).unlink()
    with pytest.raises(Http404):
        report_open(report, staff)


def test_opening_checks_the_stored_row_not_the_object_passed(coord_puno, amazonas, puno):
    report = done_report(amazonas)
    report.region = puno  # a tampered copy does not open Amazonas's file
    with pytest.raises(Http404):
        report_open(report, coord_puno)


# --- What an export holds ----------------------------------------------------------------------


def test_a_coordinator_who_lost_the_region_gets_none_of_its_activities(sent_jobs, make_activities, coord_puno, puno):
    make_activities(puno, 3)
    report, _ = report_request(user=coord_puno, kind="activities", format="csv", region=puno)
    coord_puno.memberships.all().delete()
    run_report(report.pk)
    report.refresh_from_db()
    assert report.row_count == 0


@pytest.mark.slow
def test_the_workers_export_for_a_coordinator_holds_their_region_only(
    celery_worker, make_activities, puno, amazonas, coord_puno
):
    make_activities(puno, 7)
    make_activities(amazonas, 11)

    report, _ = report_request(user=coord_puno, kind="activities", format="csv", region=puno)
    wait_for(report)

    with report_open(report, coord_puno) as handle:
        rows = handle.read().decode("utf-8-sig").splitlines()[1:]
    assert report.row_count == len(rows) == 7
    assert all(",Puno," in row for row in rows)
