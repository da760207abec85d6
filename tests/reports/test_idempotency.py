"""An identical request while a report is queued or running gets that report, not a second job:
written the same way or not, one click after another or at the same instant."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from programs.models import Objective
from reports.models import Report
from reports.services import report_request

from .conftest import eventually, wait_for


def request(user, region, **parameters):
    return report_request(user=user, kind="activities", format="csv", region=region, parameters=parameters)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks of what happens in the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_same_request_twice_gives_one_report_and_one_job(committed, sent_jobs, coord_amazonas, amazonas):
    with committed():
        first, created = request(coord_amazonas, amazonas, status="approved")
    with committed():
        again, created_again = request(coord_amazonas, amazonas, status="approved")
    assert (created, created_again) == (True, False)
    assert again == first
    assert sent_jobs == [first.pk]
    assert Report.objects.count() == 1


def test_the_same_filters_written_differently_are_the_same_request(sent_jobs, coord_amazonas, amazonas):
    oe1 = Objective.objects.get(code="OE1")
    first, _ = request(coord_amazonas, amazonas, objective="OE1", date_from="2025-01-01", status="")
    again, created = report_request(
        user=coord_amazonas,
        kind="activities",
        format="csv",
        region=str(amazonas.pk),
        parameters={"date_from": " 2025-01-01 ", "objective": oe1.pk, "service": None},
    )
    assert not created
    assert again == first
    assert first.parameters == {"date_from": "2025-01-01", "objective": oe1.pk}


def test_another_user_asking_the_same_gets_the_same_report(sent_jobs, coord_amazonas, staff, amazonas):
    first, _ = request(coord_amazonas, amazonas)
    again, created = request(staff, amazonas)
    assert not created
    assert again == first


@pytest.mark.parametrize(
    "change",
    [
        {"format": "xlsx"},
        {"language": "en"},
        {"parameters": {"status": "draft"}},
        {"region": "puno"},
    ],
)
def test_a_different_request_gets_its_own_report(sent_jobs, staff, amazonas, change):
    asked = {"user": staff, "kind": "activities", "format": "csv", "region": amazonas}
    first, _ = report_request(**asked)
    other, created = report_request(**{**asked, **change})
    assert created
    assert other != first


@pytest.mark.parametrize("status", [Report.Status.DONE, Report.Status.FAILED])
def test_a_finished_report_does_not_stop_a_new_request(sent_jobs, coord_amazonas, amazonas, status):
    first, _ = request(coord_amazonas, amazonas)
    Report.objects.filter(pk=first.pk).update(status=status)
    again, created = request(coord_amazonas, amazonas)
    assert created
    assert again != first


def test_the_database_refuses_a_second_active_copy(coord_amazonas, amazonas):
    report, _ = request(coord_amazonas, amazonas)
    twin = Report(kind=report.kind, format=report.format, region=amazonas, parameters={}, language="es")
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two sessions racing need PostgreSQL's row locks")
def test_two_requests_at_the_same_instant_give_one_report(transactional_db, sent_jobs, reference_data, staff):
    # The first request's row is inserted but not committed when the second one looks: the second
    # sees nothing, inserts, waits on the unique index, and gets the first one's report.
    inserted, go_on = threading.Event(), threading.Event()
    results = {}

    def first():
        with transaction.atomic():
            results["first"] = request(staff, "amazonas")
            inserted.set()
            go_on.wait(10)
        connection.close()

    def second():
        inserted.wait(10)
        # The commit of `first` is what lets this insert return; let it happen a moment later.
        threading.Timer(0.5, go_on.set).start()
        results["second"] = request(staff, "amazonas")
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    (one, created_one), (two, created_two) = results["first"], results["second"]
    assert (created_one, created_two) == (True, False)
    assert one == two
    assert Report.objects.count() == 1
    assert sent_jobs == [one.pk]


@pytest.mark.slow
def test_with_a_worker_two_identical_requests_run_once(start_worker, make_activities, amazonas, coord_amazonas):
    worker = start_worker(chunk_size=50, pause=0.2)
    make_activities(amazonas, 300)

    first, _ = request(coord_amazonas, amazonas)
    again, created = request(coord_amazonas, amazonas)
    wait_for(first)

    assert not created and again == first
    assert first.status == Report.Status.DONE
    assert first.attempts == 1
    assert Report.objects.count() == 1
    eventually(lambda: " succeeded in " in worker.log)
    assert worker.log.count(" received") == 1  # one job
