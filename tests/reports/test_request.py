"""Asking for a report: a kind in a format it is made in, a region that exists, filters that mean
something, each refusal with a message that says what to give instead; and the e-mail that says
the report is ready, or why it is not."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from programs.models import Objective, Service
from reports.models import Report
from reports.services import report_build, report_notify, report_request, report_url


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever the Spanish catalogue says.
    with translation.override("en"):
        yield


def refusal(**asked):
    with pytest.raises(ValidationError) as caught:
        report_build(**{"kind": "activities", "format": "csv", "region": "amazonas", **asked})
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("asked", "field", "message"),
    [
        ({"kind": "budget"}, "kind", "Choose one of the kinds of report offered."),
        ({"format": "pdf"}, "format", "This report is made in CSV, XLSX only."),
        ({"kind": "regional_progress", "format": "csv"}, "format", "This report is made in PDF, XLSX only."),
        ({"language": "qu"}, "language", "Choose Spanish or English."),
        ({"region": "atlantis"}, "region", "No region has this id or slug."),
        ({"region": 2**40}, "region", "No region has this id or slug."),
        ({"kind": "regional_progress", "format": "pdf", "region": None}, "region", "Choose the region"),
        ({"kind": "national_summary", "format": "pdf"}, "region", "The national summary covers every region"),
    ],
)
def test_a_request_that_cannot_be_made_is_refused_by_name(db, asked, field, message):
    assert refusal(**asked)[field][0].startswith(message)


@pytest.mark.parametrize(
    ("parameters", "field", "message"),
    [
        ({"objective": "OE9"}, "objective", "No objective has this id or code."),
        ({"service": "no-such-service"}, "service", "No service has this id or slug."),
        ({"status": "archived"}, "status", "Choose draft, submitted, approved or returned."),
        ({"date_from": "10/03/2025"}, "date_from", "Give a date as YYYY-MM-DD."),
        ({"date_to": "2025-02-30"}, "date_to", "Give a date as YYYY-MM-DD."),
        ({"date_from": "2025-03-10", "date_to": "2025-03-01"}, "date_to", "Give an end date on or after"),
        ({"colour": "red"}, "colour", "This report has no such filter."),
    ],
)
def test_a_bad_filter_is_refused_by_name(db, parameters, field, message):
    assert refusal(parameters=parameters)[field][0].startswith(message)


def test_a_progress_report_has_no_status_filter(db):
    errors = refusal(kind="regional_progress", format="pdf", parameters={"status": "draft"})
    assert errors == {"status": ["This report has no such filter."]}


def test_every_bad_filter_is_named_at_once(db):
    errors = refusal(parameters={"objective": "OE9", "date_from": "ayer"})
    assert set(errors) == {"objective", "date_from"}


def test_filters_are_stored_as_ids_and_iso_dates(db, amazonas):
    service = Service.objects.order_by("pk").first()
    report = report_build(
        kind="activities",
        format="xlsx",
        region=amazonas.slug.upper(),
        parameters={
            "objective": "oe2",
            "service": service.slug,
            "status": "submitted",
            "date_from": datetime.date(2025, 1, 1),
            "date_to": "2025-06-30",
        },
    )
    assert report.region == amazonas
    assert report.parameters == {
        "date_from": "2025-01-01",
        "date_to": "2025-06-30",
        "objective": Objective.objects.get(code="OE2").pk,
        "service": service.pk,
        "status": "submitted",
    }
    assert report.pk is None


def test_a_request_is_queued_with_its_requester(
    sent_jobs, coord_amazonas, amazonas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report, created = report_request(user=coord_amazonas, kind="activities", format="csv", region=amazonas)
    assert created
    assert (report.status, report.progress, report.attempts) == (Report.Status.QUEUED, 0, 0)
    assert (report.requested_by, report.scheduled) == (coord_amazonas, False)
    assert sent_jobs == [report.pk]


# --- The e-mail ---------------------------------------------------------------------------------


def finished(user, region, status, **fields):
    return Report.objects.create(
        kind="activities",
        format="csv",
        region=region,
        status=status,
        requested_by=user,
        language="en",
        parameters={"date_from": "2025-01-01"},
        finished_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=30),
        **fields,
    )


def test_the_ready_email_links_to_the_report_and_says_when_it_goes(coord_amazonas, amazonas):
    report = finished(coord_amazonas, amazonas, Report.Status.DONE)
    assert report_notify(report) == 1
    [message] = mail.outbox
    assert message.to == [coord_amazonas.email]
    assert message.subject == "Your report is ready: Activities export · Amazonas · 2025-01-01 – … (CSV)"
    assert f"{settings.SITE_URL}{report_url(report)}" in message.body
    assert report_url(report).startswith("/en/panel/reports/")
    assert report_url(report).endswith(f"#report-{report.pk}")
    assert "It will be deleted on" in message.body


def test_the_failure_email_says_why(staff, amazonas):
    report = finished(staff, amazonas, Report.Status.FAILED, error="Ask for a shorter period.")
    report_notify(report)
    [message] = mail.outbox
    assert message.subject.startswith("Your report could not be produced")
    assert "Ask for a shorter period." in message.body


def test_the_email_speaks_the_reports_language(coord_amazonas, amazonas):
    report = finished(coord_amazonas, amazonas, Report.Status.DONE)
    Report.objects.filter(pk=report.pk).update(language="es")
    report.refresh_from_db()
    report_notify(report)
    assert report_url(report).startswith("/es/panel/")
    assert f"{settings.SITE_URL}{report_url(report)}" in mail.outbox[0].body


def test_nobody_without_an_address_is_written_to(coord_amazonas, amazonas):
    coord_amazonas.email = ""
    coord_amazonas.save()
    assert report_notify(finished(coord_amazonas, amazonas, Report.Status.DONE)) == 0
    assert mail.outbox == []
