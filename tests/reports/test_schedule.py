"""On the first of each month the schedule queues last month's progress report of every campaign
region and the national summary; each region's coordinators and staff hear when theirs is ready."""

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from regions.models import Region
from reports import generators
from reports.models import Report
from reports.services import report_request
from reports.tasks import run_report, send_monthly_reports

from ..factories import UserFactory, coordinator


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_first_of_april_queues_marchs_reports(db, sent_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = send_monthly_reports("2025-04-01")

    regions = Region.objects.in_campaign()
    reports = Report.objects.filter(pk__in=queued)
    assert reports.filter(kind="regional_progress", format="pdf").count() == regions.count() > 0
    assert set(reports.filter(kind="regional_progress").values_list("region", flat=True)) == set(
        regions.values_list("pk", flat=True)
    )
    national = reports.get(kind="national_summary")
    assert (national.region, national.format) == (None, "pdf")
    assert all(r.parameters == {"date_from": "2025-03-01", "date_to": "2025-03-31"} for r in reports)
    assert all(r.scheduled and r.requested_by is None and r.language == "es" for r in reports)
    assert sorted(sent_jobs) == sorted(queued)


def test_january_reports_december_of_the_year_before(db, sent_jobs):
    send_monthly_reports("2026-01-01")
    assert Report.objects.first().parameters == {"date_from": "2025-12-01", "date_to": "2025-12-31"}


def test_running_the_schedule_twice_queues_each_report_once(db, sent_jobs):
    first = send_monthly_reports("2025-04-01")
    Report.objects.filter(pk__in=first[:3]).update(status=Report.Status.DONE)
    again = send_monthly_reports("2025-04-01")
    assert again == first
    assert Report.objects.count() == len(first)


def test_a_report_someone_asked_for_already_is_shared_with_the_schedule(db, sent_jobs, staff, amazonas):
    asked, _ = report_request(
        user=staff,
        kind="regional_progress",
        format="pdf",
        region=amazonas,
        parameters={"date_from": "2025-03-01", "date_to": "2025-03-31"},
    )
    send_monthly_reports("2025-04-01")
    asked.refresh_from_db()
    assert asked.scheduled
    assert Report.objects.filter(region=amazonas).count() == 1


def test_the_regions_coordinators_and_staff_hear_when_it_is_ready(
    monkeypatch, sent_jobs, amazonas, puno, staff, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(generators.GENERATORS, ("regional_progress", "pdf"), lambda report, output, progress: 1)
    first = coordinator("coord-amazonas-1", amazonas)
    second = coordinator("coord-amazonas-2", amazonas)
    coordinator("coord-puno", puno)
    admin = UserFactory(username="admin", role=User.Role.ADMIN)
    UserFactory(username="former-staff", role=User.Role.MINISTRY, is_active=False)

    send_monthly_reports("2025-04-01")
    report = Report.objects.get(region=amazonas)
    with django_capture_on_commit_callbacks(execute=True):
        run_report(report.pk)

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [first.email, second.email, staff.email, admin.email]
    )
    assert all(len(message.to) == 1 for message in mail.outbox), "nobody sees another's address"
    # In the portal's language, Spanish: the schedule asks for no other.
    with translation.override("es"):
        title = f"{Report.Kind.REGIONAL_PROGRESS.label} · Amazonas · 2025-03-01 – 2025-03-31 (PDF)"
        assert {message.subject for message in mail.outbox} == {_("Your report is ready: %(title)s") % {"title": title}}


def test_the_national_summary_is_for_staff_only(
    monkeypatch, sent_jobs, amazonas, staff, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(generators.GENERATORS, ("national_summary", "pdf"), lambda report, output, progress: 1)
    coordinator("coord-amazonas", amazonas)

    send_monthly_reports("2025-04-01")
    report = Report.objects.get(kind="national_summary")
    with django_capture_on_commit_callbacks(execute=True):
        run_report(report.pk)

    assert [message.to for message in mail.outbox] == [[staff.email]]


def test_beat_sweeps_every_five_minutes_purges_daily_and_reports_on_the_first_at_six_in_lima(settings):
    beat = settings.CELERY_BEAT_SCHEDULE
    assert beat["sweep-reports"] == {"task": "reports.sweep_reports", "schedule": 300.0}
    assert beat["purge-expired-reports"]["task"] == "reports.purge_expired_reports"
    monthly = beat["monthly-reports"]
    assert monthly["task"] == "reports.send_monthly_reports"
    assert (monthly["schedule"].day_of_month, monthly["schedule"].hour, monthly["schedule"].minute) == ({1}, {6}, {0})
    assert settings.CELERY_TIMEZONE == "America/Lima"
