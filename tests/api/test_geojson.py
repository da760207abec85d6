"""The maps' GeoJSON: /api/v1/regions/geojson/ (regions with the release's totals) and
/api/v1/activities/geojson/ (the release's activities as points). Both read the public release,
whoever asks: flat properties, the release's own cells, points rounded to two decimals, the month
only, and application/geo+json."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from activities.models import PARTICIPANT_FIELDS
from activities.services import activity_transition
from programs.models import Objective
from publication import api as publication_api
from publication.selectors import current_release
from publication.services import release_publish
from regions.models import Region
from tests.factories import ActivityFactory

REGIONS = "/api/v1/regions/geojson/"
ACTIVITIES = "/api/v1/activities/geojson/"
GEOJSON = "application/geo+json"
NONE = dict.fromkeys(PARTICIPANT_FIELDS, 0)
# A rough square around Chachapoyas: enough to check that a loaded boundary is what is served.
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-78.5, -6.8], [-77.5, -6.8], [-77.5, -5.8], [-78.5, -5.8], [-78.5, -6.8]]],
}


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
    """Approved work in Amazonas (three activities, one without a point) and Puno (one with 3 people),
    unapproved activities that would change every figure if they counted; published."""
    Region.objects.filter(pk=amazonas.pk).update(boundary=SQUARE)
    activities = {
        "march": approved(amazonas, (2025, 3, 10), women=20, girls=3, created_by=coord_amazonas),
        "april": approved(amazonas, (2025, 4, 5), objective="OE2", men=7, point=("-6.1", "-77.9")),
        "puno": approved(puno, (2025, 5, 1), women=3, point=("-15.8403", "-70.0281")),
        "no_point": approved(amazonas, (2025, 6, 1), women=10, point=None),
    }
    for status in ("draft", "submitted", "returned"):
        ActivityFactory(region=amazonas, status=status, women=50, latitude=Decimal("-6.3"), longitude=Decimal("-77.8"))
    release_publish()
    return activities


@pytest.fixture(params=["anonymous", "coord_amazonas", "coord_puno", "staff"])
def caller(request, api):
    if request.param != "anonymous":
        api.force_login(request.getfixturevalue(request.param))
    return api


def get(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == GEOJSON
    return response.json()


def flat(properties):
    return all(not isinstance(value, dict | list) for value in properties.values())


class TestRegions:
    def by_slug(self, body):
        return {feature["properties"]["slug"]: feature for feature in body["features"]}

    def test_the_campaigns_regions_are_features(self, api, campaign):
        body = get(api, REGIONS)
        assert body["type"] == "FeatureCollection"
        assert body["release"]["number"] == 1
        assert {"amazonas", "puno"} <= set(self.by_slug(body))
        assert all(feature["type"] == "Feature" for feature in body["features"])

    def test_a_loaded_boundary_is_the_geometry(self, api, campaign):
        assert self.by_slug(get(api, REGIONS))["amazonas"]["geometry"] == SQUARE

    def test_without_a_boundary_the_geometry_is_null_and_every_geometry_is_a_polygon(self, api, campaign):
        # Polygons only, so that a GIS reads one layer; the capital's point is in /api/v1/regions/.
        features = get(api, REGIONS)["features"]
        assert self.by_slug({"features": features})["puno"]["geometry"] is None
        assert {f["geometry"]["type"] for f in features if f["geometry"]} == {"Polygon"}

    def test_the_properties_are_flat_and_are_the_releases_cells(self, api, campaign, amazonas):
        properties = self.by_slug(get(api, REGIONS))["amazonas"]["properties"]
        assert flat(properties)
        figures = current_release().figures(region=amazonas)
        assert properties["activities"] == 3  # exact, never hidden; the unapproved ones do not count
        for measure in ("participants", "families"):
            assert properties[measure] == figures[measure].shown
            assert properties[f"{measure}_hidden"] is bool(figures[measure].hidden)

    def test_a_small_total_is_null_with_its_marker(self, api, campaign):
        puno = self.by_slug(get(api, REGIONS))["puno"]["properties"]
        assert (puno["participants"], puno["participants_hidden"], puno["participants_status"]) == (None, True, "<5")

    def test_everyone_gets_the_same_answer(self, caller, campaign):
        assert get(caller, REGIONS) == get(APIClient(), REGIONS)

    def test_an_approval_shows_only_with_the_next_release(
        self, api, campaign, amazonas, coord_amazonas, staff, django_capture_on_commit_callbacks
    ):
        before = get(api, REGIONS)
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas, with_evidence=True)
        activity_transition(activity=activity, action="submit", by=coord_amazonas)
        with django_capture_on_commit_callbacks(execute=True):
            activity_transition(activity=activity, action="approve", by=staff)
        assert get(api, REGIONS) == before
        with django_capture_on_commit_callbacks(execute=True):
            release_publish()
        assert self.by_slug(get(api, REGIONS))["amazonas"]["properties"]["activities"] == 4
        assert self.by_slug(get(api, REGIONS, release=1))["amazonas"]["properties"]["activities"] == 3


class TestActivities:
    def by_id(self, body):
        return {feature["properties"]["id"]: feature for feature in body["features"]}

    def test_released_activities_with_a_point_only(self, api, campaign):
        body = get(api, ACTIVITIES)
        assert body["type"] == "FeatureCollection"
        assert body["truncated"] is False
        assert body["release"]["number"] == 1
        assert set(self.by_id(body)) == {campaign[name].pk for name in ("march", "april", "puno")}

    def test_a_feature_is_a_rounded_point_with_flat_public_properties(self, api, campaign):
        march = campaign["march"]
        feature = self.by_id(get(api, ACTIVITIES))[march.pk]
        assert feature["geometry"] == {"type": "Point", "coordinates": [-77.88, -6.23]}
        assert flat(feature["properties"])
        assert feature["properties"] == {
            "id": march.pk,
            "title": march.title,
            "region_slug": "amazonas",
            "region": "Amazonas",
            "objective_code": "OE1",
            "service_slug": march.service.slug,
            "service": march.service.name,
            "start_date": "2025-03",
            "end_date": "2025-03",
            "modality": "in_person",
        }

    def test_no_count_no_person_and_no_day(self, api, campaign, coord_amazonas):
        text = api.get(ACTIVITIES).content.decode()
        for secret in (coord_amazonas.username, coord_amazonas.email, "review_comment", "-6.229412", "2025-03-10"):
            assert secret not in text
        for name in ("participants", "women", "families", "place_name", "district", "description"):
            assert f'"{name}"' not in text

    def test_service_names_follow_the_language(self, api, campaign):
        march = campaign["march"]
        english = api.get(ACTIVITIES, HTTP_ACCEPT_LANGUAGE="en").json()
        expected = march.service.name_en or march.service.name
        assert self.by_id(english)[march.pk]["properties"]["service"] == expected

    def test_everyone_gets_the_same_answer(self, caller, campaign):
        assert get(caller, ACTIVITIES) == get(APIClient(), ACTIVITIES)

    def test_an_activity_approved_after_the_release_waits_for_the_next(
        self, api, campaign, amazonas, django_capture_on_commit_callbacks
    ):
        late = approved(amazonas, women=9)
        assert late.pk not in self.by_id(get(api, ACTIVITIES))
        with django_capture_on_commit_callbacks(execute=True):
            release_publish()
        assert late.pk in self.by_id(get(api, ACTIVITIES))
        assert late.pk not in self.by_id(get(api, ACTIVITIES, release=1))

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"region": "puno"}, {"puno"}),
            ({"region": "amazonas"}, {"march", "april"}),
            ({"objective": "OE2"}, {"april"}),
            ({"period": "2025"}, {"march", "april", "puno"}),
            ({"period": "2025-Q2"}, {"april", "puno"}),
            ({"period": "2025-03"}, {"march"}),
        ],
    )
    def test_the_filters_apply(self, api, campaign, params, expected):
        if params.get("objective"):
            params = {**params, "objective": Objective.objects.get(code=params["objective"]).pk}
        assert set(self.by_id(get(api, ACTIVITIES, **params))) == {campaign[name].pk for name in expected}

    def test_the_service_filter(self, api, campaign):
        found = self.by_id(get(api, ACTIVITIES, service=campaign["april"].service_id))
        assert set(found) == {campaign["april"].pk}

    @pytest.mark.parametrize(
        ("param", "value"),
        [
            ("region", "atlantis"),
            ("objective", "99999"),
            ("service", "x"),
            ("period", "ayer"),
            ("start_date_from", "2025-04-01"),
            ("status", "draft"),
            ("release", "x"),
        ],
    )
    def test_a_bad_or_unknown_filter_is_refused_in_plain_json(self, api, staff, campaign, param, value, assert_error):
        api.force_login(staff)
        assert_error(api.get(ACTIVITIES, {param: value}), 400, code="invalid", field=param)

    def test_an_unknown_release_is_not_found(self, api, campaign, assert_error):
        assert_error(api.get(ACTIVITIES, {"release": 9}), 404, code="not_found")
        assert_error(api.get(REGIONS, {"release": 9}), 404, code="not_found")

    def test_past_the_cap_the_newest_months_are_kept_and_the_answer_says_so(self, api, campaign, monkeypatch):
        monkeypatch.setattr(publication_api, "MAX_MAP_FEATURES", 2)
        body = get(api, ACTIVITIES)
        assert body["truncated"] is True
        assert set(self.by_id(body)) == {campaign["puno"].pk, campaign["april"].pk}

    def test_at_the_cap_nothing_is_cut(self, api, campaign, monkeypatch):
        monkeypatch.setattr(publication_api, "MAX_MAP_FEATURES", 3)
        body = get(api, ACTIVITIES)
        assert body["truncated"] is False
        assert len(body["features"]) == 3


def test_before_the_first_release_the_maps_are_empty(api, amazonas):
    approved(amazonas, women=30)
    assert get(api, ACTIVITIES)["features"] == []
    body = get(api, REGIONS)
    assert body["release"] is None
    assert all(feature["properties"]["activities"] == 0 for feature in body["features"])


def test_a_client_asking_for_geojson_gets_it(api, campaign):
    assert api.get(REGIONS, HTTP_ACCEPT=GEOJSON)["Content-Type"] == GEOJSON


@pytest.mark.parametrize("url", [REGIONS, ACTIVITIES])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_maps_are_read_only(api, staff, url, method, assert_error):
    api.force_login(staff)
    assert_error(getattr(api, method)(url, {}, format="json"), 405, code="method_not_allowed")
