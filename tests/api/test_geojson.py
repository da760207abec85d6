"""The maps' GeoJSON: /api/v1/regions/geojson/ (every region with its approved figures) and
/api/v1/activities/geojson/ (approved activities as points). Both are public: whoever asks gets
the same answer, built from approved activities only, with points rounded to two decimals and
counts from 1 to 4 withheld."""

import datetime
from decimal import Decimal

import pytest

from activities import api as activities_api
from activities.models import PARTICIPANT_FIELDS
from programs.models import Objective
from regions.models import Region
from tests.factories import ActivityFactory

REGIONS = "/api/v1/regions/geojson/"
ACTIVITIES = "/api/v1/activities/geojson/"
NONE = dict.fromkeys(PARTICIPANT_FIELDS, 0)
WITHHELD = {"value": None, "suppressed": True}
# A rough square around Chachapoyas: enough to check that a loaded boundary is what is served.
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-78.5, -6.8], [-77.5, -6.8], [-77.5, -5.8], [-78.5, -5.8], [-78.5, -6.8]]],
}


def shown(value):
    return {"value": value, "suppressed": False}


def approved(region, day=(2025, 3, 10), objective="OE1", point=("-6.229412", "-77.875845"), **counts):
    date = datetime.date(*day)
    goal = Objective.objects.get(code=objective)
    latitude, longitude = (Decimal(point[0]), Decimal(point[1])) if point else (None, None)
    return ActivityFactory(
        region=region,
        objective=goal,
        service=goal.services.order_by("slug").first(),
        start_date=date,
        end_date=date,
        status="approved",
        latitude=latitude,
        longitude=longitude,
        **{**NONE, **counts},
    )


@pytest.fixture
def campaign(amazonas, puno, coord_amazonas):
    """Approved work in Amazonas (two activities) and Puno (one with 3 people), and unapproved
    activities that would change every figure if they counted."""
    Region.objects.filter(pk=amazonas.pk).update(boundary=SQUARE)
    activities = {
        "march": approved(amazonas, (2025, 3, 10), women=20, girls=3, created_by=coord_amazonas),
        "april": approved(amazonas, (2025, 4, 5), objective="OE2", men=7, point=("-6.1", "-77.9")),
        "puno": approved(puno, (2025, 5, 1), women=3, point=("-15.8403", "-70.0281")),
        "no_point": approved(amazonas, (2025, 6, 1), women=10, point=None),
    }
    for status in ("draft", "submitted", "returned"):
        ActivityFactory(region=amazonas, status=status, women=50, latitude=Decimal("-6.3"), longitude=Decimal("-77.8"))
    return activities


@pytest.fixture(params=["anonymous", "coord_amazonas", "coord_puno", "staff"])
def caller(request, api):
    if request.param != "anonymous":
        api.force_login(request.getfixturevalue(request.param))
    return api


def get(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


class TestRegions:
    def by_slug(self, body):
        return {feature["properties"]["slug"]: feature for feature in body["features"]}

    def test_every_region_is_a_feature(self, api, campaign):
        body = get(api, REGIONS)
        assert body["type"] == "FeatureCollection"
        assert len(body["features"]) == Region.objects.count() == 15
        assert all(feature["type"] == "Feature" for feature in body["features"])

    def test_a_loaded_boundary_is_the_geometry(self, api, campaign):
        assert self.by_slug(get(api, REGIONS))["amazonas"]["geometry"] == SQUARE

    def test_without_a_boundary_the_capital_stands_for_the_region(self, api, campaign, puno):
        geometry = self.by_slug(get(api, REGIONS))["puno"]["geometry"]
        assert geometry == {"type": "Point", "coordinates": [float(puno.longitude), float(puno.latitude)]}

    def test_the_properties_count_approved_activities_only(self, api, campaign, amazonas):
        properties = self.by_slug(get(api, REGIONS))["amazonas"]["properties"]
        assert properties == {
            "id": amazonas.pk,
            "name": "Amazonas",
            "slug": "amazonas",
            "inei_code": "01",
            "in_campaign": True,
            "approved_activities": WITHHELD,  # three approved: a count from 1 to 4
            "participants_total": shown(20 + 3 + 7 + 10),
        }

    def test_small_and_empty_figures(self, api, campaign):
        features = self.by_slug(get(api, REGIONS))
        assert features["puno"]["properties"]["participants_total"] == WITHHELD
        assert features["loreto"]["properties"]["approved_activities"] == shown(0)
        assert features["loreto"]["properties"]["participants_total"] == shown(0)

    def test_five_approved_activities_are_shown(self, api, campaign, amazonas):
        approved(amazonas, women=1)
        approved(amazonas, women=1)
        assert self.by_slug(get(api, REGIONS))["amazonas"]["properties"]["approved_activities"] == shown(5)

    def test_everyone_gets_the_same_answer(self, caller, campaign):
        from rest_framework.test import APIClient

        assert get(caller, REGIONS) == get(APIClient(), REGIONS)

    def test_the_answer_costs_two_queries(self, api, campaign, django_assert_num_queries):
        with django_assert_num_queries(2):
            api.get(REGIONS)


class TestActivities:
    def by_id(self, body):
        return {feature["properties"]["id"]: feature for feature in body["features"]}

    def test_approved_activities_with_a_point_only(self, api, campaign):
        body = get(api, ACTIVITIES)
        assert body["type"] == "FeatureCollection"
        assert body["truncated"] is False
        expected = {campaign[name].pk for name in ("march", "april", "puno")}
        assert set(self.by_id(body)) == expected

    def test_a_feature_is_a_rounded_point_with_public_properties(self, api, campaign, amazonas):
        march = campaign["march"]
        assert self.by_id(get(api, ACTIVITIES))[march.pk] == {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-77.88, -6.23]},
            "properties": {
                "id": march.pk,
                "title": march.title,
                "region": amazonas.pk,
                "region_name": "Amazonas",
                "objective_code": "OE1",
                "service_name": march.service.name,
                "start_date": "2025-03-10",
                "participants_total": shown(23),
            },
        }

    def test_a_small_total_is_withheld(self, api, campaign):
        assert self.by_id(get(api, ACTIVITIES))[campaign["puno"].pk]["properties"]["participants_total"] == WITHHELD

    def test_service_names_follow_the_language(self, api, campaign):
        march = campaign["march"]
        english = api.get(ACTIVITIES, HTTP_ACCEPT_LANGUAGE="en").json()
        expected = march.service.name_en or march.service.name
        assert self.by_id(english)[march.pk]["properties"]["service_name"] == expected

    def test_no_person_and_no_review_is_named(self, api, campaign, coord_amazonas):
        text = api.get(ACTIVITIES).content.decode()
        assert coord_amazonas.username not in text
        assert coord_amazonas.email not in text
        assert "review_comment" not in text
        assert "-6.229412" not in text

    def test_everyone_gets_the_same_answer(self, caller, campaign):
        from rest_framework.test import APIClient

        assert get(caller, ACTIVITIES) == get(APIClient(), ACTIVITIES)

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"region": "puno"}, {"puno"}),
            ({"region": "amazonas"}, {"march", "april"}),
            ({"objective": "OE2"}, {"april"}),
            ({"start_date_from": "2025-04-01"}, {"april", "puno"}),
            ({"start_date_to": "2025-03-31"}, {"march"}),
            ({"start_date_from": "2025-04-01", "start_date_to": "2025-04-30"}, {"april"}),
        ],
    )
    def test_the_lists_filters_apply(self, api, campaign, params, expected):
        if params.get("objective"):
            params = {**params, "objective": Objective.objects.get(code=params["objective"]).pk}
        assert set(self.by_id(get(api, ACTIVITIES, **params))) == {campaign[name].pk for name in expected}

    def test_the_service_filter(self, api, campaign):
        found = self.by_id(get(api, ACTIVITIES, service=campaign["april"].service_id))
        assert set(found) == {campaign["april"].pk}

    def test_a_status_cannot_be_asked_for(self, api, staff, campaign):
        api.force_login(staff)
        assert get(api, ACTIVITIES, status="draft") == get(api, ACTIVITIES)

    @pytest.mark.parametrize(
        ("param", "value"),
        [("region", "atlantis"), ("objective", "99999"), ("service", "x"), ("start_date_from", "ayer")],
    )
    def test_a_bad_filter_is_refused(self, api, campaign, param, value, assert_error):
        assert_error(api.get(ACTIVITIES, {param: value}), 400, code="invalid", field=param)

    def test_past_the_cap_the_newest_are_kept_and_the_answer_says_so(self, api, campaign, monkeypatch):
        monkeypatch.setattr(activities_api, "MAX_MAP_FEATURES", 2)
        body = get(api, ACTIVITIES)
        assert body["truncated"] is True
        assert set(self.by_id(body)) == {campaign["puno"].pk, campaign["april"].pk}

    def test_at_the_cap_nothing_is_cut(self, api, campaign, monkeypatch):
        monkeypatch.setattr(activities_api, "MAX_MAP_FEATURES", 3)
        body = get(api, ACTIVITIES)
        assert body["truncated"] is False
        assert len(body["features"]) == 3

    def test_the_answer_costs_one_query(self, api, campaign, django_assert_num_queries):
        with django_assert_num_queries(1):
            api.get(ACTIVITIES)


@pytest.mark.parametrize("url", [REGIONS, ACTIVITIES])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_maps_are_read_only(api, staff, url, method, assert_error):
    api.force_login(staff)
    assert_error(getattr(api, method)(url, {}, format="json"), 405, code="method_not_allowed")
