"""Completeness and timeliness (/<lang>/panel/dashboard/completeness/, its CSV and XLSX, and
GET /api/v1/completeness/): figures against hand-made activities and transitions with set dates,
silent regions flagged in words, staff only, exports, filters and bad input."""

import contextlib
import csv
import datetime
import io
import itertools
import random
import statistics
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from activities.models import Activity, ActivityTransition
from programs.models import Indicator, Target
from regions.models import Region
from reports import completeness, tally

from ..factories import ActivityFactory, EvidenceFactory

PAGE = "/en/panel/dashboard/completeness/"
API = "/api/v1/completeness/"
MARCH, APRIL = datetime.date(2025, 3, 1), datetime.date(2025, 4, 1)


def when(text):
    """An aware datetime: Lima is UTC-5 all year."""
    return datetime.datetime.fromisoformat(text)


def activity(region, status, start, end=None, steps=()):
    """An activity with its transitions at the given times: steps are (from, to, "iso datetime").
    The steps are written around the workflow, as a bulk loader writes them: the activity's times
    are read from them and the tallies rebuilt, as such a loader does."""
    start = datetime.date.fromisoformat(start)
    made = ActivityFactory(
        region=region, status=status, start_date=start, end_date=end and datetime.date.fromisoformat(end) or start
    )
    for source, target, at in steps:
        step = ActivityTransition.objects.create(activity=made, from_status=source, to_status=target)
        ActivityTransition.objects.filter(pk=step.pk).update(at=when(at))
    if steps:
        Activity.objects.filter(pk=made.pk).times_from_steps()
        tally.rebuild()
    return made


def target(code, region, value, year=2025, quarter=0):
    Target.objects.create(
        indicator=Indicator.objects.get(code=code), region=region, year=year, quarter=quarter, value=value
    )


@pytest.fixture
def march(amazonas, puno):
    """Amazonas in March 2025: six activities, one per case; Puno nothing; Lima one submission
    late in the evening (a UTC date would be a day later)."""
    target("oe1-awareness-activities", amazonas, 120)  # 10 a month
    target("oe2-parenting-sessions", amazonas, 240)  # 20 a month, but Q1 has its own:
    target("oe2-parenting-sessions", amazonas, 9, quarter=1)  # 3 a month in Q1
    target("oe1-people-reached", amazonas, 1000)  # people, not activities: no part of the expectation
    target("oe4-articulated-actions", amazonas, 1200, year=2024)  # another year
    activity(amazonas, "draft", "2025-03-10")
    # Returned once, sent again, waiting: 4 days to its latest submission, no decision yet.
    activity(amazonas, "submitted", "2025-03-10", steps=[
        ("draft", "submitted", "2025-03-11T10:00-05:00"),
        ("submitted", "returned", "2025-03-12T10:00-05:00"),
        ("returned", "submitted", "2025-03-14T10:00-05:00"),
    ])  # fmt: skip
    # Sent at 21:00 in Lima (02:00 UTC the next day): 1 day after its end; decided 2.0 days later.
    activity(amazonas, "approved", "2025-03-05", steps=[
        ("draft", "submitted", "2025-03-07T02:00Z"),
        ("submitted", "approved", "2025-03-09T02:00Z"),
    ])  # fmt: skip
    # Returned, then sent again 10 days after its end and approved 3.5 days later.
    activity(amazonas, "approved", "2025-03-20", steps=[
        ("draft", "submitted", "2025-03-21T09:00-05:00"),
        ("submitted", "returned", "2025-03-22T09:00-05:00"),
        ("returned", "submitted", "2025-03-30T00:00-05:00"),
        ("submitted", "approved", "2025-04-02T12:00-05:00"),
    ])  # fmt: skip
    # Returned half a day after a submission 1 day after its end.
    activity(amazonas, "returned", "2025-03-24", steps=[
        ("draft", "submitted", "2025-03-25T12:00-05:00"),
        ("submitted", "returned", "2025-03-26T00:00-05:00"),
    ])  # fmt: skip
    # Sent 6 days after its end, approved a day later, reopened weeks after: a reopening is no decision.
    activity(amazonas, "returned", "2025-03-01", "2025-03-03", steps=[
        ("draft", "submitted", "2025-03-09T00:00-05:00"),
        ("submitted", "approved", "2025-03-10T00:00-05:00"),
        ("approved", "returned", "2025-03-30T00:00-05:00"),
    ])  # fmt: skip
    # The neighbouring months: by start date, not end date.
    activity(amazonas, "approved", "2025-02-28", "2025-03-02")
    activity(amazonas, "draft", "2025-04-01")
    lima = Region.objects.get(slug="lima-metropolitana")
    activity(lima, "submitted", "2025-03-05", steps=[("draft", "submitted", "2025-03-06T03:30Z")])


def rows_by(table):
    return {(row["region"]["slug"], row["month"]): row for row in table.rows}


# --- Figures ---------------------------------------------------------------------------------------


def test_figures_against_hand_made_data(march):
    table = completeness.completeness(first=MARCH, last=APRIL)
    row = rows_by(table)["amazonas", MARCH]
    assert row["expected"] == 13.0  # 120 / 12 + 9 / 3
    assert (row["logged"], row["drafts"], row["submitted"], row["approved"], row["returned"]) == (6, 1, 1, 2, 2)
    assert row["logged_percent"] == 46
    # Latest submissions: 4, 1, 10, 1 and 6 days after the end.
    assert row["days_to_submit"] == 4.0
    # Decisions 2.0, 3.5, 0.5 and 1.0 days after the submission they answered.
    assert row["days_to_decide"] == 1.5
    assert row["nothing_logged"] is False


def test_a_quarter_without_its_own_target_falls_back_to_the_years(march):
    april = rows_by(completeness.completeness(first=APRIL, last=APRIL))["amazonas", APRIL]
    assert april["expected"] == 30.0  # 120 / 12 + 240 / 12
    assert (april["logged"], april["drafts"], april["days_to_submit"], april["days_to_decide"]) == (1, 1, None, None)


def test_the_submission_day_is_lima_s(march):
    lima = rows_by(completeness.completeness(first=MARCH, last=MARCH))["lima-metropolitana", MARCH]
    # 03:30 UTC on the 6th is 22:30 on the 5th in Lima, the day the activity ended.
    assert (lima["days_to_submit"], lima["days_to_decide"], lima["submitted"]) == (0.0, None, 1)


def test_a_region_without_target_or_activity(march):
    row = rows_by(completeness.completeness(first=MARCH, last=MARCH))["puno", MARCH]
    assert (row["expected"], row["logged"], row["logged_percent"], row["days_to_submit"]) == (None, 0, None, None)
    assert row["nothing_logged"] is True


@pytest.mark.parametrize("seed", range(20))
def test_the_median_of_counted_values_is_the_median_of_the_values(seed):
    rng = random.Random(seed)
    values = sorted(rng.choice(range(-3, 40)) for _ in range(rng.randint(1, 60)))
    histogram = [(value, len(list(same))) for value, same in itertools.groupby(values)]
    assert completeness.median_of_counts(histogram) == statistics.median(values)


def test_the_medians_follow_the_workflow_as_it_happens(amazonas, staff, coord_amazonas):
    """Submitted, returned, sent again and approved through the workflow itself: the figures move
    with each step, through the tallies' receivers, without a rebuild."""
    made = ActivityFactory(region=amazonas, status="draft", start_date=MARCH, end_date=MARCH)
    EvidenceFactory(activity=made)
    with time_at("2025-03-03T10:00-05:00"):
        made.transition("submit", by=coord_amazonas)
    assert march_row()["days_to_submit"] == 2.0 and march_row()["days_to_decide"] is None
    with time_at("2025-03-04T04:00-05:00"):
        made.transition("return", by=staff, comment="Falta la lista.")
    assert (march_row()["returned"], march_row()["days_to_decide"]) == (1, 0.8)  # 18 hours
    with time_at("2025-03-08T10:00-05:00"):
        made.transition("submit", by=coord_amazonas)
    # Waiting again: its earlier decision answered an earlier submission.
    assert (march_row()["days_to_submit"], march_row()["days_to_decide"], march_row()["submitted"]) == (7.0, None, 1)
    with time_at("2025-03-10T10:59-05:00"):
        made.transition("approve", by=staff)
    assert (march_row()["approved"], march_row()["days_to_decide"]) == (1, 2.0)  # 48 whole hours
    kept = tally.tallied()
    assert kept == tally.recount()
    tally.rebuild()
    assert tally.tallied() == kept


def march_row():
    return rows_by(completeness.completeness(first=MARCH, last=MARCH))["amazonas", MARCH]


@contextlib.contextmanager
def time_at(text):
    """The workflow's steps stamped at a set time: the clock that auto_now_add reads."""
    moment = when(text)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def test_three_queries_whatever_the_regions_and_months(march, puno):
    with CaptureQueriesContext(connection) as few:
        completeness.completeness(first=MARCH, last=MARCH)
    activity(puno, "approved", "2025-05-02", steps=[("draft", "submitted", "2025-05-03T10:00-05:00")])
    with CaptureQueriesContext(connection) as many:
        completeness.completeness(first=datetime.date(2024, 6, 1), last=datetime.date(2026, 5, 1))
    # The regions, the targets, the statuses' tallies and the timings' histograms.
    assert statements(few) == statements(many) == 4


def statements(captured):
    return len([q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


# --- The page --------------------------------------------------------------------------------------


def this_month():
    return completeness.month_start(timezone.localdate())


def test_a_region_with_nothing_this_month_stands_out_in_words(client, staff, amazonas, puno):
    today = timezone.localdate()
    ActivityFactory(region=amazonas, status="draft", start_date=today, end_date=today)
    client.force_login(staff)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    silent = [region["slug"] for region in response.context["table"].silent]
    assert "puno" in silent and "amazonas" not in silent
    assert "have logged nothing this month" in html
    summary = html.split('id="silent-regions"')[1].split("</ul>")[0]
    assert "Puno" in summary and "Amazonas" not in summary
    key = f'data-region="puno" data-month="{this_month():%Y-%m}"'
    puno_row = html.split(key)[1].split("</tr>")[0]
    assert 'class="nothing-logged"' in html.split(key)[0].rsplit("<tr", 1)[1]
    assert "Nothing logged" in puno_row
    amazonas_row = html.split(f'data-region="amazonas" data-month="{this_month():%Y-%m}"')[1].split("</tr>")[0]
    assert "Nothing logged" not in amazonas_row


def test_a_region_not_launched_yet_is_not_flagged(client, staff, puno):
    Region.objects.filter(pk=puno.pk).update(launched_on=completeness.add_months(this_month(), 2))
    client.force_login(staff)
    response = client.get(PAGE)
    assert "puno" not in [region["slug"] for region in response.context["table"].silent]
    row = rows_by(response.context["table"])["puno", this_month()]
    assert (row["launched"], row["nothing_logged"], row["expected"]) == (False, False, None)
    assert "Not launched yet" in response.content.decode()


def test_a_month_still_to_come_is_not_flagged(client, staff, puno):
    next_month = completeness.add_months(this_month(), 1)
    table = completeness.completeness(first=next_month, last=next_month, regions=[puno])
    assert (table.rows[0]["logged"], table.rows[0]["nothing_logged"], table.silent, table.latest) == (
        0,
        False,
        [],
        None,
    )
    client.force_login(staff)
    html = client.get(PAGE, {"from": f"{next_month:%Y-%m}", "to": f"{next_month:%Y-%m}"}).content.decode()
    assert 'id="completeness"' in html and 'id="silent-title"' not in html and "Nothing logged</span>" not in html


def test_the_page_explains_the_rules_and_defaults_to_the_last_six_months(client, staff):
    client.force_login(staff)
    response = client.get(PAGE)
    table = response.context["table"]
    assert table.months == [completeness.add_months(this_month(), -n) for n in range(5, -1, -1)]
    assert len(table.rows) == 6 * Region.objects.count()
    html = response.content.decode()
    assert "the quarter&#x27;s target divided by 3" in html or "the quarter's target divided by 3" in html
    assert 'class="table-wrap"' in html and 'class="sticky-first"' in html
    assert reverse("dashboard:completeness") == "/en/panel/dashboard/completeness/"


def test_filters_by_months_and_region(client, staff, march, amazonas):
    client.force_login(staff)
    response = client.get(PAGE, {"from": "2025-02", "to": "2025-04", "region": amazonas.pk})
    assert response.status_code == 200
    table = response.context["table"]
    assert table.months == [datetime.date(2025, 2, 1), MARCH, APRIL]
    assert {row["region"]["slug"] for row in table.rows} == {"amazonas"}
    assert [row["logged"] for row in table.rows] == [1, 6, 1]
    assert not table.latest_is_current
    assert "Every region logged activities in April 2025" in response.content.decode()


def test_from_alone_runs_to_this_month(client, staff):
    client.force_login(staff)
    start = completeness.add_months(this_month(), -2)
    table = client.get(PAGE, {"from": f"{start:%Y-%m}"}).context["table"]
    assert (table.months[0], table.months[-1]) == (start, this_month())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2025-13"}, "Give a month as YYYY-MM"),
        ({"to": "abc"}, "Give a month as YYYY-MM"),
        ({"from": "1999-01"}, "Give a month from 2024-01 to 2100-12"),
        ({"from": "2025-05", "to": "2025-04"}, "Give a month on or after the first month"),
        ({"from": "2024-01", "to": "2026-01"}, "Show at most 24 months at a time"),
        ({"region": "999999"}, "Select a valid choice"),
        ({"region": "abc"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_refused_with_a_message(client, staff, query, message):
    client.force_login(staff)
    response = client.get(PAGE, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert response.context["table"] is None and 'id="completeness"' not in html
    export = client.get(reverse("dashboard:completeness_csv"), query)
    assert export.status_code == 400 and message in export.content.decode()


def test_coordinators_are_refused_the_page_and_exports(client, coord_amazonas):
    client.force_login(coord_amazonas)
    for name in ("dashboard:completeness", "dashboard:completeness_csv", "dashboard:completeness_xlsx"):
        assert client.get(reverse(name)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_administrators_see_the_page(client, admin_user):
    client.force_login(admin_user)
    assert client.get(PAGE).status_code == 200


def test_only_get(client, staff):
    client.force_login(staff)
    assert client.post(PAGE).status_code == 405


# --- Exports ---------------------------------------------------------------------------------------


def test_csv_export_holds_the_same_table(client, staff, march, amazonas):
    client.force_login(staff)
    with translation.override("en"):  # the file speaks the language of its address
        url = reverse("dashboard:completeness_csv")
    response = client.get(url, {"from": "2025-03", "to": "2025-03"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="completeness-2025-03-2025-03.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["Region", "Month", "Expected", "Logged"]
    assert len(lines) == 1 + Region.objects.count()
    by_region = {line[0]: line for line in lines[1:]}
    assert by_region["Amazonas"] == ["Amazonas", "2025-03", "13.0", "6", "46", "1", "1", "2", "2", "4.0", "1.5", ""]
    assert by_region["Puno"] == ["Puno", "2025-03", "", "0", "", "0", "0", "0", "0", "", "", "Yes"]


def test_exports_never_carry_a_formula(client, staff, puno):
    Region.objects.filter(pk=puno.pk).update(name='=HYPERLINK("http://evil.example","Puno")')
    client.force_login(staff)
    query = {"region": puno.pk, "from": "2025-03", "to": "2025-03"}
    text = client.get(reverse("dashboard:completeness_csv"), query).content.decode("utf-8-sig")
    assert "\n'=HYPERLINK" in text.replace('"', "")
    workbook = load_workbook(io.BytesIO(client.get(reverse("dashboard:completeness_xlsx"), query).content))
    cell = workbook.worksheets[0]["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil.example","Puno")'


def test_xlsx_export_holds_the_same_table_with_numbers_as_numbers(client, staff, march):
    client.force_login(staff)
    with translation.override("en"):  # the file speaks the language of its address
        url = reverse("dashboard:completeness_xlsx")
    response = client.get(url, {"from": "2025-03", "to": "2025-04"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header[:2] == ("Region", "Month") and header[-1] == "Nothing logged"
    assert len(lines) == 2 * Region.objects.count()
    by_key = {(line[0], line[1]): line for line in lines}
    assert by_key["Amazonas", "2025-03"] == ("Amazonas", "2025-03", 13, 6, 46, 1, 1, 2, 2, 4, 1.5, None)
    assert by_key["Puno", "2025-04"][3] == 0 and by_key["Puno", "2025-04"][-1] == "Yes"


# --- The API ---------------------------------------------------------------------------------------


def api(user=None):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_gives_one_month_by_region(staff, march):
    response = api(staff).get(API, {"year": 2025, "month": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2025-03"
    rows = {row["region"]["slug"]: row for row in body["rows"]}
    assert len(rows) == Region.objects.count()
    assert rows["amazonas"] == {
        "region": rows["amazonas"]["region"],
        "month": "2025-03",
        "expected": 13.0,
        "logged": 6,
        "logged_percent": 46,
        "drafts": 1,
        "submitted": 1,
        "approved": 2,
        "returned": 2,
        "days_to_submit": 4.0,
        "days_to_decide": 1.5,
        "launched": True,
        "nothing_logged": False,
    }
    assert "puno" in [region["slug"] for region in body["nothing_logged"]]
    assert "quarter" in body["rules"]["expected"]


def test_api_narrows_to_a_region_by_slug(staff, march):
    body = api(staff).get(API, {"year": 2025, "month": 3, "region": "amazonas"}).json()
    assert [row["region"]["slug"] for row in body["rows"]] == ["amazonas"]


def test_api_defaults_to_this_month(staff):
    assert api(staff).get(API).json()["month"] == f"{this_month():%Y-%m}"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"year": 2025, "month": 13}, "month", "Give the month as a number from 1 to 12."),
        ({"year": 2025, "month": 0}, "month", "Give the month as a number from 1 to 12."),
        ({"year": "abc", "month": 3}, "year", "Give the year as a number, for example 2026."),
        ({"year": 1999, "month": 3}, "year", "Give a year from 2024 on."),
        ({"year": 2025}, "month", "Give the month too, as a number from 1 to 12."),
        ({"year": 2025, "month": 3, "region": "atlantis"}, "region", "No region has this id or slug."),
        ({"year": 2025, "month": 3, "regoin": "puno"}, "regoin", "Unknown parameter; use year, month or region."),
    ],
)
def test_api_refuses_bad_input_with_a_clear_400(staff, query, field, message):
    response = api(staff).get(API, query)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"status": 400, "code": "invalid", "message": message, "fields": {field: [message]}}
    }


def test_api_refuses_coordinators_and_anonymous_callers(coord_amazonas):
    response = api(coord_amazonas).get(API, {"year": 2025, "month": 3})
    assert response.status_code == 403
    assert "rows" not in response.json()
    assert api().get(API).status_code in (401, 403)


def test_api_is_documented(staff):
    schema = api(staff).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/completeness/"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"year", "month", "region"}
    assert {"200", "400", "403"} <= set(operation["responses"])
