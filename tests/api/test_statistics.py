"""GET /api/v1/statistics/: the public release's tables, the same for every caller. Each answer names
its release; a count is the release's cell (hidden where the pages hide it); only published
combinations are answered, free date ranges and unknown parameters are refused by name."""

import datetime
import json

import pytest

from activities.models import PARTICIPANT_FIELDS
from activities.services import activity_transition
from programs.models import Objective, Service
from publication.selectors import current_release, release_numbered
from publication.services import release_publish
from publication.statistics import ROWS, StatisticsCounts, StatisticsFilters, StatisticsOrganisations
from publication.tables import MEASURES
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

URL = "/api/v1/statistics/"
NONE = dict.fromkeys(PARTICIPANT_FIELDS, 0)
SMALL = {"value": None, "suppressed": True, "reason": "small"}


def shown(value):
    return {"value": value, "suppressed": False, "reason": None}


def approved(region, objective="OE1", day=(2025, 3, 10), **counts):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        status="approved",
        **{**NONE, **counts},
    )


def as_json(count):
    return {"value": count.shown, "suppressed": bool(count.hidden), "reason": count.hidden or None}


def cell(release=None, **key):
    """The release's cell as the API must answer it."""
    figures = (release or current_release()).figures(**key)
    return {measure: as_json(figures[measure]) for measure in MEASURES}


@pytest.fixture
def campaign(amazonas, puno, coord_amazonas):
    """Approved work in Amazonas (OE1 in March, OE2 in April) and Puno (OE1 in April), and a submitted
    activity that would change every figure if it counted; published as release 1."""
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
    return release_publish()


@pytest.fixture(params=["anonymous", "coordinator", "staff"])
def caller(request, api, coord_amazonas, staff):
    user = {"anonymous": None, "coordinator": coord_amazonas, "staff": staff}[request.param]
    api.force_authenticate(user)
    return api


def get(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


class TestEveryCallerGetsTheRelease:
    def test_the_totals_are_the_releases_cell(self, caller, campaign):
        body = get(caller)
        assert body["totals"] == cell()
        assert body["totals"]["activities"] == shown(3)  # exact, never hidden; the submitted one does not count
        assert body["totals"]["girls"] == SMALL
        assert body["totals"]["boys"] == shown(0)

    def test_every_answer_names_its_release(self, caller, campaign):
        release = get(caller)["release"]
        assert release["number"] == campaign.number == 1
        assert datetime.datetime.fromisoformat(release["cut_off"]) == campaign.cut_off
        assert datetime.datetime.fromisoformat(release["built_at"]) == campaign.built_at

    def test_anonymous_coordinator_and_staff_get_the_same_answer(self, api, campaign, coord_amazonas, staff):
        answers = []
        for user in (None, coord_amazonas, staff):
            api.force_authenticate(user)
            answers.append(get(api, by="region"))
        assert answers[0] == answers[1] == answers[2]

    def test_without_by_there_are_totals_only(self, api, campaign):
        body = get(api)
        assert set(body) == {"release", "filters", "totals", "organisations", "breakdown"}
        assert body["breakdown"] == []
        assert body["filters"] == dict.fromkeys(("region", "objective", "service", "period", "by"))

    def test_the_organisations_are_small_counts_judged_on_their_own(self, api, campaign):
        organisations = get(api)["organisations"]
        assert organisations["networks"] == organisations["institutions"] == SMALL
        assert organisations["network_leaders"] == shown(12)

    def test_the_organisations_are_published_by_objective_and_year_only(self, api, campaign):
        assert get(api, objective="OE1", period="2025")["organisations"]["network_leaders"] == shown(12)
        assert get(api, region="amazonas")["organisations"] is None
        assert get(api, period="2025-Q1")["organisations"] is None

    def test_the_answer_never_names_an_activity_or_a_person(self, api, campaign, amazonas, coord_amazonas):
        approved(
            amazonas,
            title="Taller Zorzal Escarlata",
            place_name="Local Quillabamba Norte",
            description="Con la familia Huamaní.",
            women=40,
            created_by=coord_amazonas,
        )
        release_publish()
        for by in ("", "region", "objective", "service", "year", "quarter", "month", "sex_age"):
            text = json.dumps(get(api, by=by), ensure_ascii=False)
            for secret in ("Zorzal", "Quillabamba", "Huamaní", "Taller", "coord-amazonas", "@example.org"):
                assert secret not in text, (by, secret)


class TestReleases:
    def test_an_approval_after_the_release_changes_nothing_until_the_next(
        self, api, campaign, amazonas, coord_amazonas, staff, django_capture_on_commit_callbacks
    ):
        before = get(api, by="region")
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, women=30, with_evidence=True)
        activity_transition(activity=activity, action="submit", by=coord_amazonas)
        with django_capture_on_commit_callbacks(execute=True):
            activity_transition(activity=activity, action="approve", by=staff)
        assert get(api, by="region") == before
        with django_capture_on_commit_callbacks(execute=True):
            release_publish()
        after = get(api, by="region")
        assert after["release"]["number"] == 2
        assert after["totals"]["activities"] == shown(4)

    def test_an_older_release_is_read_by_number(self, api, campaign, amazonas):
        approved(amazonas, women=30)
        release_publish()
        assert get(api)["totals"]["activities"] == shown(4)
        older = get(api, release=1)
        assert older["release"]["number"] == 1
        assert older["totals"] == cell(release_numbered(1))
        assert older["totals"]["activities"] == shown(3)

    def test_an_unknown_release_is_not_found(self, api, campaign, assert_error):
        assert_error(api.get(URL, {"release": 7}), 404, code="not_found")

    @pytest.mark.parametrize("value", ["latest", "0", "-1", "1.5"])
    def test_a_malformed_release_is_refused(self, api, campaign, assert_error, value):
        assert_error(api.get(URL, {"release": value}), 400, code="invalid", field="release")

    def test_before_the_first_release_every_count_is_zero(self, api, amazonas):
        approved(amazonas, women=30)
        body = get(api, by="region")
        assert body["release"] is None
        assert body["totals"]["activities"] == shown(0)
        assert body["breakdown"] == []


class TestFilters:
    def test_region_by_slug_or_id(self, api, campaign, puno):
        by_slug = get(api, region="puno")
        assert by_slug["totals"] == cell(region=puno)
        assert by_slug["totals"]["activities"] == shown(1)
        assert by_slug["filters"]["region"] == {"id": puno.pk, "slug": "puno", "name": "Puno"}
        assert get(api, region=str(puno.pk))["totals"] == by_slug["totals"]
        assert get(api, region="Puno")["totals"] == by_slug["totals"]

    def test_objective_by_code_or_id(self, api, campaign):
        oe2 = Objective.objects.get(code="OE2")
        by_code = get(api, objective="OE2")
        assert by_code["totals"] == cell(objective=oe2)
        assert by_code["filters"]["objective"]["code"] == "OE2"
        assert get(api, objective=str(oe2.pk))["totals"] == by_code["totals"]
        assert get(api, objective="oe2")["totals"] == by_code["totals"]

    def test_a_service_is_counted_under_its_objective(self, api, campaign):
        service = Service.objects.get(slug="acercandonos")
        objective = service.objectives.get()
        by_slug = get(api, service="acercandonos")
        assert by_slug["totals"] == cell(objective=objective, service=service)
        assert by_slug["filters"]["service"] == {"id": service.pk, "slug": "acercandonos", "name": service.name}
        assert by_slug["filters"]["objective"]["code"] == objective.code
        assert get(api, service=str(service.pk))["totals"] == by_slug["totals"]

    @pytest.mark.parametrize("period", ["2025", "2025-Q2", "2025-04"])
    def test_a_period_is_a_cell_of_the_release(self, api, campaign, period):
        body = get(api, period=period)
        assert body["totals"] == cell(period=period)
        assert body["filters"]["period"] == period

    def test_region_and_year(self, api, campaign, amazonas):
        assert get(api, region="amazonas", period="2025")["totals"] == cell(region=amazonas, period="2025")

    def test_an_empty_parameter_is_no_filter(self, api, campaign):
        assert get(api, region="", objective="", service="", period="", by="") == get(api)


class TestBreakdowns:
    def test_by_region(self, api, campaign):
        rows = get(api, by="region")["breakdown"]
        assert [row["region"]["slug"] for row in rows] == ["amazonas", "puno"]
        assert set(rows[0]) == {"region", *MEASURES}

    def test_by_objective(self, api, campaign):
        rows = get(api, by="objective")["breakdown"]
        assert [row["objective"]["code"] for row in rows] == ["OE1", "OE2"]
        oe1 = Objective.objects.get(code="OE1")
        assert {key: rows[0][key] for key in MEASURES} == cell(objective=oe1)

    def test_by_service(self, api, campaign):
        rows = get(api, by="service")["breakdown"]
        assert {row["service"]["slug"] for row in rows} == {"hombres-por-la-igualdad", "acercandonos"}
        assert all(row["objective"]["code"] in ("OE1", "OE2") for row in rows)

    @pytest.mark.parametrize(
        "by, periods", [("year", ["2025"]), ("quarter", ["2025-Q1", "2025-Q2"]), ("month", ["2025-03", "2025-04"])]
    )
    def test_by_period(self, api, campaign, by, periods):
        rows = get(api, by=by)["breakdown"]
        assert [row[by] for row in rows] == periods
        assert {key: rows[-1][key] for key in MEASURES} == cell(period=periods[-1])

    def test_a_period_narrows_a_finer_breakdown(self, api, campaign):
        assert [row["month"] for row in get(api, period="2025-Q2", by="month")["breakdown"]] == ["2025-04"]
        assert [row["quarter"] for row in get(api, period="2025", by="quarter")["breakdown"]] == ["2025-Q1", "2025-Q2"]

    def test_a_region_by_year(self, api, campaign, amazonas):
        rows = get(api, region="amazonas", by="year")["breakdown"]
        assert [row["year"] for row in rows] == ["2025"]
        assert {key: rows[0][key] for key in MEASURES} == cell(region=amazonas, period="2025")

    def test_by_sex_and_age_in_the_request_language(self, api, campaign):
        rows = get(api, by="sex_age")["breakdown"]
        assert [row["key"] for row in rows] == list(PARTICIPANT_FIELDS)
        assert rows[0] == {
            "key": "girls",
            "label": "niñas (0–11)",
            "sex": "female",
            "age_group": "0-11",
            "count": SMALL,
        }
        english = api.get(URL, {"by": "sex_age"}, HTTP_ACCEPT_LANGUAGE="en").json()["breakdown"]
        assert english[0]["label"] == "girls (0–11)"

    @pytest.mark.parametrize("by", list(ROWS))
    def test_each_answer_has_the_documented_fields(self, api, campaign, by):
        body = get(api, by=by)
        assert set(body["filters"]) == set(StatisticsFilters().fields)
        assert set(body["totals"]) == set(StatisticsCounts().fields)
        assert set(body["organisations"]) == set(StatisticsOrganisations().fields)
        assert body["breakdown"]
        for each in body["breakdown"]:
            assert set(each) == set(ROWS[by]().fields)


class TestRefusals:
    @pytest.mark.parametrize(
        "params, field",
        [
            ({"region": "atlantis"}, "region"),
            ({"region": "999999"}, "region"),
            ({"region": "99999999999999999999999"}, "region"),
            ({"objective": "OE9"}, "objective"),
            ({"objective": "999999"}, "objective"),
            ({"service": "no-such-service"}, "service"),
            ({"period": "2025-13"}, "period"),
            ({"period": "2025-Q5"}, "period"),
            ({"period": "last year"}, "period"),
            ({"period": "0000", "by": "month"}, "period"),
            ({"by": "district"}, "by"),
            ({"district": "Chachapoyas"}, "district"),
        ],
    )
    def test_bad_input_is_refused_naming_the_parameter(self, caller, campaign, assert_error, params, field):
        assert_error(caller.get(URL, params), 400, code="invalid", field=field)

    @pytest.mark.parametrize("param", ["date_from", "date_to"])
    def test_a_free_date_range_is_refused(self, api, campaign, assert_error, param):
        error = assert_error(api.get(URL, {param: "2025-04-01"}), 400, code="invalid", field=param)
        assert "period" in error["fields"][param][0]

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"region": "amazonas", "by": "month"}, "by"),
            ({"region": "amazonas", "by": "quarter"}, "by"),
            ({"region": "amazonas", "by": "service"}, "by"),
            ({"region": "amazonas", "period": "2025-04"}, "period"),
            ({"region": "amazonas", "objective": "OE1", "period": "2025"}, "period"),
            ({"region": "amazonas", "service": "acercandonos"}, "service"),
            ({"service": "acercandonos", "period": "2025"}, "period"),
            ({"objective": "OE1", "period": "2025-Q1"}, "period"),
            ({"objective": "OE1", "by": "month"}, "by"),
            ({"period": "2025-04", "by": "quarter"}, "by"),
        ],
    )
    def test_an_unpublished_combination_is_refused(self, api, campaign, assert_error, params, field):
        error = assert_error(api.get(URL, params), 400, code="invalid", field=field)
        assert any(word in error["fields"][field][0] for word in ("Se publican", "más fino"))

    def test_the_refusal_says_which_combinations_are_published(self, api, campaign, assert_error):
        error = assert_error(api.get(URL, {"region": "amazonas", "by": "month"}, HTTP_ACCEPT_LANGUAGE="en"), 400)
        message = error["fields"]["by"][0]
        assert "region + month" in message
        assert "region + year" in message and "objective + year" in message

    def test_a_service_of_another_objective_is_refused(self, api, campaign, assert_error):
        assert_error(api.get(URL, {"objective": "OE1", "service": "acercandonos"}), 400, field="service")

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_a_write_method_is_not_allowed(self, caller, assert_error, method):
        assert_error(getattr(caller, method)(URL, {}), 405)

    def test_the_anonymous_throttle_applies(self, db, api, throttle_rates, assert_error):
        throttle_rates(anon="2/minute")
        assert api.get(URL).status_code == 200
        assert api.get(URL).status_code == 200
        assert_error(api.get(URL), 429)
