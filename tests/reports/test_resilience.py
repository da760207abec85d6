"""Nothing gets stuck: a worker killed mid-job, a job past its time limit, a job the broker lost
and a generator that breaks all end with the report done, or failed with a message that says
what to do, and the cause in the logs."""

import datetime
import json
import logging

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from reports import generators, tasks
from reports.models import Report
from reports.services import report_request
from reports.tasks import run_report, sweep_reports

from .conftest import running_report, wait_for, wait_for_progress

HOURS_AGO = timezone.now() - datetime.timedelta(hours=2)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")


def unacknowledged_report_ids(broker):
    return [int(json.loads(entry)[0]["headers"]["id"].split("-")[1]) for entry in broker.hvals("unacked")]


# --- A worker killed mid-job -----------------------------------------------------------------


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_the_job_unacknowledged_and_the_next_worker_finishes_it(
    start_worker, broker, make_activities, amazonas, staff
):
    make_activities(amazonas, 1_000)
    first = start_worker(chunk_size=100, pause=0.3, visibility_timeout=1)
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas)
    wait_for_progress(report, past=10)

    first.kill()
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING
    # Late acknowledgement: the job is still Redis's, delivered but never acknowledged.
    assert unacknowledged_report_ids(broker) == [report.pk]

    # Redis hands the job out again after the visibility timeout; the next worker finds the report
    # running with nobody holding it, so its worker died: it runs it again.
    start_worker(chunk_size=100, pause=0, visibility_timeout=1)
    wait_for(report)
    assert report.status == Report.Status.DONE, report.error
    assert (report.attempts, report.row_count) == (2, 1_000)


@pytest.mark.slow
def test_the_sweep_requeues_the_job_of_a_worker_killed_mid_job(start_worker, broker, make_activities, amazonas, staff):
    make_activities(amazonas, 1_000)
    first = start_worker(chunk_size=100, pause=0.3)
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas)
    wait_for_progress(report, past=10)
    first.kill()

    # Well within the time limit, but nobody holds the report: its worker is dead.
    assert sweep_reports() == {"requeued": 1, "failed": 0, "resent": 0}
    report.refresh_from_db()
    assert (report.status, report.progress, report.started_at) == (Report.Status.QUEUED, 0, None)

    start_worker(pause=0)
    wait_for(report)
    assert report.status == Report.Status.DONE, report.error
    assert report.attempts == 2


@pytest.mark.slow
def test_a_job_past_its_time_limit_is_taken_over_and_the_slow_run_gives_way(
    start_worker, settings, make_activities, amazonas, staff
):
    make_activities(amazonas, 600)
    worker = start_worker(chunk_size=100, pause=0.5)
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas)
    wait_for_progress(report, past=0)

    settings.REPORT_TIME_LIMIT_SECONDS = 0
    assert sweep_reports() == {"requeued": 1, "failed": 0, "resent": 0}

    # The slow run learns at its next progress update that the report is no longer its own and
    # stops; the worker then takes the job the sweep sent and runs attempt 2 to the end.
    settings.REPORT_TIME_LIMIT_SECONDS = 1800
    wait_for(report, timeout=90)
    assert report.status == Report.Status.DONE, report.error
    assert report.attempts == 2
    assert "taken over by the sweep" in worker.log


# --- The sweep, row by row (any database) ------------------------------------------------------


def test_a_job_running_past_its_limit_is_requeued(settings, sent_jobs, staff, live_worker_lock):
    settings.REPORT_TIME_LIMIT_SECONDS = 600
    report = running_report(started_at=HOURS_AGO, requested_by=staff)
    if connection.vendor == "postgresql":
        live_worker_lock(report)  # alive, but too slow

    assert sweep_reports() == {"requeued": 1, "failed": 0, "resent": 0}
    report.refresh_from_db()
    assert (report.status, report.attempts, report.progress, report.started_at) == ("queued", 1, 0, None)
    assert sent_jobs == [report.pk]


def test_after_its_last_attempt_a_stuck_job_fails_with_a_message(
    settings, sent_jobs, staff, django_capture_on_commit_callbacks
):
    settings.REPORT_MAX_ATTEMPTS = 3
    report = running_report(started_at=HOURS_AGO, attempts=3, requested_by=staff, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_reports() == {"requeued": 0, "failed": 1, "resent": 0}

    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error.startswith("The report never finished (attempts: 3)")
    assert report.expires_at is not None
    assert sent_jobs == []
    [message] = mail.outbox
    assert message.to == [staff.email]
    assert report.error in message.body


def test_a_job_within_its_limit_whose_worker_lives_is_left_alone(sent_jobs, staff, live_worker_lock):
    report = running_report(started_at=timezone.now(), requested_by=staff)
    if connection.vendor == "postgresql":
        live_worker_lock(report)

    assert sweep_reports() == {"requeued": 0, "failed": 0, "resent": 0}
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING


@on_postgresql
def test_a_running_job_nobody_holds_is_requeued_at_once(sent_jobs, staff):
    report = running_report(started_at=timezone.now(), requested_by=staff)
    assert sweep_reports()["requeued"] == 1
    assert sent_jobs == [report.pk]


# --- Jobs the broker lost ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_job_lost_with_redis_is_sent_again_by_the_sweep_and_runs(
    start_worker, broker, make_activities, amazonas, coord_amazonas
):
    make_activities(amazonas, 50)
    report, _ = report_request(user=coord_amazonas, kind="activities", format="csv", region=amazonas)
    Report.objects.filter(pk=report.pk).update(created_at=HOURS_AGO)

    # While Redis holds the job, the sweep leaves it alone, however old the report.
    assert sweep_reports()["resent"] == 0
    assert broker.llen("celery") == 1

    broker.flushdb()  # Redis restarted without its data
    assert sweep_reports()["resent"] == 1
    assert broker.llen("celery") == 1

    start_worker(pause=0)
    wait_for(report)
    assert report.status == Report.Status.DONE, report.error
    assert report.attempts == 1


def test_a_fresh_queued_report_is_left_to_its_first_job(sent_jobs, staff, amazonas):
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas)
    sent_jobs.clear()
    assert sweep_reports()["resent"] == 0
    Report.objects.filter(pk=report.pk).update(created_at=HOURS_AGO)
    assert sweep_reports()["resent"] == 1
    assert sent_jobs == [report.pk]


# --- run_report refuses what is not its own ----------------------------------------------------


@pytest.mark.parametrize("status", [Report.Status.DONE, Report.Status.FAILED])
def test_a_finished_report_is_not_run_again(staff, status):
    report = Report.objects.create(kind="activities", format="csv", status=status, attempts=1, requested_by=staff)
    run_report(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (status, 1)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="on PostgreSQL a report nobody holds is taken over")
def test_without_advisory_locks_a_running_report_is_left_to_the_sweep(staff):
    report = running_report(started_at=HOURS_AGO, requested_by=staff)
    run_report(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (Report.Status.RUNNING, 1)


@on_postgresql
def test_a_running_report_held_by_a_live_worker_is_not_run_twice(staff, live_worker_lock):
    report = running_report(started_at=timezone.now(), requested_by=staff)
    live_worker_lock(report)
    run_report(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (Report.Status.RUNNING, 1)


def test_a_report_that_no_longer_exists_is_skipped(db, caplog):
    run_report(987_654)
    assert "no longer exists" in caplog.text


# --- A generator that breaks -------------------------------------------------------------------


def broken_generator(report, output, progress):
    output.write(b"half a file")
    raise ZeroDivisionError("the indicator had no target")


def test_a_broken_generator_fails_the_report_with_a_clear_message_and_logs_the_cause(
    monkeypatch, caplog, sent_jobs, coord_amazonas, amazonas, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(generators.GENERATORS, ("activities", "csv"), broken_generator)
    report, _ = report_request(user=coord_amazonas, kind="activities", format="csv", region=amazonas, language="en")

    with caplog.at_level(logging.ERROR, logger="reports.tasks"), django_capture_on_commit_callbacks(execute=True):
        run_report(report.pk)

    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    with translation.override("en"):
        assert report.error == str(tasks.FAILED_MESSAGE)
    assert "ZeroDivisionError: the indicator had no target" in caplog.text
    assert f"Report {report.pk} failed on attempt 1" in caplog.text
    assert not report.file
    [message] = mail.outbox
    assert message.subject.startswith("Your report could not be produced")
    assert report.error in message.body


def test_the_failure_message_speaks_the_reports_language(monkeypatch, sent_jobs, staff, amazonas):
    monkeypatch.setitem(generators.GENERATORS, ("activities", "csv"), broken_generator)
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas, language="es")
    run_report(report.pk)
    report.refresh_from_db()
    with translation.override("es"):
        assert report.error == str(tasks.FAILED_MESSAGE)


def test_a_kind_without_a_generator_fails_with_a_message(monkeypatch, caplog, sent_jobs, staff, amazonas):
    monkeypatch.delitem(generators.GENERATORS, ("activities", "xlsx"))
    report, _ = report_request(user=staff, kind="activities", format="xlsx", region=amazonas, language="en")
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error == "This report cannot be produced in this format yet. Choose another format."
    assert "no generator is registered" in caplog.text


def test_a_generator_bug_that_raises_a_key_error_is_not_taken_for_a_missing_format(
    monkeypatch, sent_jobs, staff, amazonas
):
    def buggy(report, output, progress):
        return {}["rows"]

    monkeypatch.setitem(generators.GENERATORS, ("activities", "csv"), buggy)
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas, language="en")
    run_report(report.pk)
    report.refresh_from_db()
    with translation.override("en"):
        assert report.error == str(tasks.FAILED_MESSAGE)


def test_an_email_that_cannot_be_sent_does_not_undo_the_report(
    monkeypatch, caplog, sent_jobs, staff, amazonas, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("reports.services.report_notify", refuse)
    report, _ = report_request(user=staff, kind="activities", format="csv", region=amazonas)
    with django_capture_on_commit_callbacks(execute=True):
        run_report(report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert "the e-mail could not be sent" in caplog.text


def test_a_request_made_while_redis_is_down_stays_queued_for_the_sweep(
    monkeypatch, caplog, staff, amazonas, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(run_report, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        report, created = report_request(user=staff, kind="activities", format="csv", region=amazonas)

    assert created
    assert Report.objects.get(pk=report.pk).status == Report.Status.QUEUED
    assert "the sweep will send its job" in caplog.text
