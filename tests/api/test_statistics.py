"""GET /api/v1/statistics/: public figures over approved activities, the same for every
caller, with counts from 1 to 4 suppressed; filters, breakdowns, bad input and wrong methods."""

import datetime
import json

import pytest

from activities.models import PARTICIPANT_FIELDS
from programs.models import Objective, Service
from reports.api import (
    StatisticsFilters,
    StatisticsMonthRow,
    StatisticsObjectiveRow,
    StatisticsRegionRow,
    StatisticsServiceRow,
    StatisticsSexAgeRow,
    StatisticsTotals,
)
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

URL = "/api/v1/statistics/"
NONE = dict.fromkeys(PARTICIPANT_FIELDS, 0)
SHOWN = {"value": None, "suppressed": True}


def shown(value):
    return {"value": value, "suppressed": False}


def approved(region, objective="OE1", day=(2025, 3, 10), **counts):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        status="approved",
        **{**NONE, **counts},
    )


@pytest.fixture
def campaign(amazonas, puno, coord_amazonas):
    """Approved work in Amazonas (OE1 in March, OE2 in April) and Puno (OE1 in April), and a submitted
    activity that would change every figure if it counted."""
    network = SupportNetworkFactory(leaders=12)
    first = approved(
        amazonas, "OE1", (2025, 3, 10), girls=3, adolescent_girls=10, women=20, families=6, created_by=coord_amazonas
    )
    first.support_network = network
    first.save()
    first.institutions.set([InstitutionFactory()])
    approved(amazonas, "OE2", (2025, 4, 5), women=8, men=7, families=2)
    approved(puno, "OE1", (2025, 4, 28), adolescent_boys=15, men=2, families=9)
    ActivityFactory(region=amazonas, status="submitted", girls=50, women=50)


@pytest.fixture(params=["anonymous", "coordinator", "staff"])
def caller(request, api, coord_amazonas, staff):
    user = {"anonymous": None, "coordinator": coord_amazonas, "staff": staff}[request.param]
    api.force_authenticate(user)
    return api


def get(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


class TestEveryCallerGetsThePublicAnswer:
    def test_the_totals_are_public_counts_of_approved_activities(self, caller, campaign):
        totals = get(caller)["totals"]
        assert totals["activities"] == SHOWN  # 3 approved: the submitted one does not count
        assert totals["girls"] == SHOWN
        assert totals["boys"] == shown(0)
        assert totals["women"] == shown(28)
        assert totals["men"] == shown(9)
        assert totals["participants"] == shown(3 + 10 + 28 + 9 + 15)
        assert totals["families"] == shown(17)
        assert totals["networks"] == totals["institutions"] == SHOWN
        assert totals["network_leaders"] == shown(12)

    def test_anonymous_coordinator_and_staff_get_the_same_answer(self, api, campaign, coord_amazonas, staff):
        answers = []
        for user in (None, coord_amazonas, staff):
            api.force_authenticate(user)
            answers.append(get(api, by="region"))
        assert answers[0] == answers[1] == answers[2]
        assert answers[0]["breakdown"][0]["girls"] == SHOWN

    def test_without_by_there_are_totals_only(self, api, campaign):
        body = get(api)
        assert set(body) == {"filters", "totals", "breakdown"}
        assert body["breakdown"] == []
        assert body["filters"] == dict.fromkeys(("region", "objective", "service", "date_from", "date_to", "by"))

    def test_a_small_count_is_suppressed_in_each_row_on_its_own(self, api, campaign):
        amazonas, puno = get(api, by="region")["breakdown"]
        assert amazonas["activities"] == SHOWN
        assert amazonas["girls"] == SHOWN
        assert amazonas["women"] == shown(28)
        assert puno["men"] == SHOWN
        assert puno["adolescent_boys"] == shown(15)
        assert puno["girls"] == shown(0)

    def test_the_answer_never_names_an_activity_or_a_person(self, api, campaign, amazonas, coord_amazonas):
        approved(
            amazonas,
            title="Taller Zorzal Escarlata",
            place_name="Local Quillabamba Norte",
            description="Con la familia Huamaní.",
            women=40,
            created_by=coord_amazonas,
        )
        for by in ("", "region", "objective", "service", "month", "sex_age"):
            text = json.dumps(get(api, by=by), ensure_ascii=False)
            for secret in ("Zorzal", "Quillabamba", "Huamaní", "Taller", "coord-amazonas", "@example.org"):
                assert secret not in text, (by, secret)


class TestFilters:
    def test_region_by_slug_or_id(self, api, campaign, puno):
        by_slug = get(api, region="puno")
        assert by_slug["totals"]["adolescent_boys"] == shown(15)
        assert by_slug["totals"]["women"] == shown(0)
        assert by_slug["filters"]["region"] == {"id": puno.pk, "slug": "puno", "name": "Puno"}
        assert get(api, region=str(puno.pk))["totals"] == by_slug["totals"]
        assert get(api, region="Puno")["totals"] == by_slug["totals"]

    def test_objective_by_code_or_id(self, api, campaign):
        oe2 = Objective.objects.get(code="OE2")
        by_code = get(api, objective="OE2")
        assert by_code["totals"]["women"] == shown(8)
        assert by_code["filters"]["objective"]["code"] == "OE2"
        assert get(api, objective=str(oe2.pk))["totals"] == by_code["totals"]
        assert get(api, objective="oe2")["totals"] == by_code["totals"]

    def test_service_by_slug_or_id(self, api, campaign):
        service = Service.objects.get(slug="acercandonos")
        by_slug = get(api, service="acercandonos")
        assert by_slug["totals"]["men"] == shown(7)
        assert by_slug["filters"]["service"] == {"id": service.pk, "slug": "acercandonos", "name": service.name}
        assert get(api, service=str(service.pk))["totals"] == by_slug["totals"]

    def test_dates_bound_the_start_date(self, api, campaign):
        april = get(api, date_from="2025-04-01", date_to="2025-04-30")
        assert april["totals"]["families"] == shown(11)
        assert april["totals"]["women"] == shown(8)
        assert (april["filters"]["date_from"], april["filters"]["date_to"]) == ("2025-04-01", "2025-04-30")
        assert get(api, date_to="2025-03-31")["totals"]["women"] == shown(20)
        assert get(api, date_from="2025-04-28", date_to="2025-04-28")["totals"]["adolescent_boys"] == shown(15)

    def test_filters_combine(self, api, campaign):
        body = get(api, region="amazonas", objective="OE1", date_from="2025-03-01", by="month")
        assert [row["month"] for row in body["breakdown"]] == ["2025-03"]
        assert body["totals"]["women"] == shown(20)

    def test_an_empty_parameter_is_no_filter(self, api, campaign):
        assert get(api, region="", objective="", service="", date_from="", date_to="", by="") == get(api)


class TestBreakdowns:
    def test_by_region(self, api, campaign):
        rows = get(api, by="region")["breakdown"]
        assert [row["region"]["slug"] for row in rows] == ["amazonas", "puno"]
        assert set(rows[0]) == {"region", "activities", *PARTICIPANT_FIELDS, "participants", "families"}

    def test_by_objective(self, api, campaign):
        rows = get(api, by="objective")["breakdown"]
        assert [row["objective"]["code"] for row in rows] == ["OE1", "OE2"]
        assert rows[0]["women"] == shown(20)
        assert rows[1]["families"] == SHOWN

    def test_by_service(self, api, campaign):
        rows = get(api, by="service")["breakdown"]
        assert {row["service"]["slug"]: row["men"] for row in rows} == {
            "hombres-por-la-igualdad": SHOWN,
            "acercandonos": shown(7),
        }

    def test_by_month(self, api, campaign):
        rows = get(api, by="month")["breakdown"]
        assert [row["month"] for row in rows] == ["2025-03", "2025-04"]
        assert rows[1]["participants"] == shown(8 + 7 + 15 + 2)

    def test_by_sex_and_age_in_the_request_language(self, api, campaign):
        rows = get(api, by="sex_age")["breakdown"]
        assert [row["key"] for row in rows] == list(PARTICIPANT_FIELDS)
        assert rows[0] == {
            "key": "girls",
            "label": "niñas (0–11)",
            "sex": "female",
            "age_group": "0-11",
            "count": SHOWN,
        }
        assert rows[2]["count"] == shown(10)
        assert [(row["sex"], row["age_group"]) for row in rows[3:]] == [
            ("male", "12-17"),
            ("female", "18+"),
            ("male", "18+"),
        ]
        english = api.get(URL, {"by": "sex_age"}, HTTP_ACCEPT_LANGUAGE="en").json()["breakdown"]
        assert [row["label"] for row in english] == [
            "girls (0–11)",
            "boys (0–11)",
            "adolescent girls (12–17)",
            "adolescent boys (12–17)",
            "women (18+)",
            "men (18+)",
        ]

    @pytest.mark.parametrize(
        "by, row",
        [
            ("region", StatisticsRegionRow),
            ("objective", StatisticsObjectiveRow),
            ("service", StatisticsServiceRow),
            ("month", StatisticsMonthRow),
            ("sex_age", StatisticsSexAgeRow),
        ],
    )
    def test_each_answer_has_the_documented_fields(self, api, campaign, by, row):
        body = get(api, by=by)
        assert set(body["filters"]) == set(StatisticsFilters().fields)
        assert set(body["totals"]) == set(StatisticsTotals().fields)
        assert body["breakdown"]
        for each in body["breakdown"]:
            assert set(each) == set(row().fields)

    def test_the_query_count_does_not_grow_with_the_rows(self, api, campaign, django_assert_max_num_queries):
        # Three lookups of the filters, the totals, the breakdown: whatever the number of regions.
        with django_assert_max_num_queries(5):
            get(api, region="amazonas", objective="OE1", service="hombres-por-la-igualdad", by="month")
        with django_assert_max_num_queries(2):
            get(api, by="region")


class TestBadInput:
    @pytest.mark.parametrize(
        "params, field",
        [
            ({"region": "atlantis"}, "region"),
            ({"region": "999999"}, "region"),
            ({"region": "99999999999999999999999"}, "region"),
            ({"objective": "OE9"}, "objective"),
            ({"objective": "999999"}, "objective"),
            ({"service": "no-such-service"}, "service"),
            ({"date_from": "2025-13-01"}, "date_from"),
            ({"date_to": "yesterday"}, "date_to"),
            ({"date_from": "2025-05-01", "date_to": "2025-04-30"}, "date_to"),
            ({"by": "district"}, "by"),
        ],
    )
    def test_is_refused_naming_the_parameter(self, caller, campaign, assert_error, params, field):
        assert_error(caller.get(URL, params), 400, code="invalid", field=field)

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_a_write_method_is_not_allowed(self, caller, assert_error, method):
        assert_error(getattr(caller, method)(URL, {}), 405)

    def test_the_anonymous_throttle_applies(self, db, api, throttle_rates, assert_error):
        throttle_rates(anon="2/minute")
        assert api.get(URL).status_code == 200
        assert api.get(URL).status_code == 200
        assert_error(api.get(URL), 429)
