"""/api/v1/regions/: the campaign's regions, read-only for everyone, by slug; whether a
region has a boundary but never the boundary itself; no memberships. And the regions' maps
(/api/v1/regions/geojson/ and the open data's regiones.geojson): polygons only, valid and oriented."""

from io import StringIO

import pytest
import shapely
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from publication.services import release_publish
from regions.models import Region

URL = "/api/v1/regions/"
FIELDS = {
    "id",
    "name",
    "slug",
    "inei_code",
    "capital",
    "latitude",
    "longitude",
    "in_campaign",
    "launched_on",
    "has_boundary",
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-78.5, -6.8], [-77.5, -6.8], [-77.5, -5.8], [-78.5, -5.8], [-78.5, -6.8]]],
}


@pytest.fixture(params=["coord_amazonas", "coord_puno", "staff"])
def signed_in(request, api):
    api.force_authenticate(request.getfixturevalue(request.param))
    return api


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


class TestReading:
    def test_every_caller_lists_all_fifteen_regions(self, caller):
        body = caller.get(URL).json()
        assert body["count"] == 15
        assert {r["slug"] for r in body["results"]} == set(Region.objects.values_list("slug", flat=True))

    def test_a_region_is_found_by_its_slug(self, caller, amazonas):
        response = caller.get(f"{URL}amazonas/")
        assert response.status_code == 200
        assert response.json() == {
            "id": amazonas.pk,
            "name": "Amazonas",
            "slug": "amazonas",
            "inei_code": "01",
            "capital": "Chachapoyas",
            "latitude": "-6.229400",
            "longitude": "-77.872800",
            "in_campaign": True,
            "launched_on": "2024-06-14",
            "has_boundary": False,
        }

    def test_the_list_has_the_documented_fields_and_no_boundary_or_members(self, caller, coord_amazonas):
        for region in results(caller.get(URL)):
            assert set(region) == FIELDS

    def test_has_boundary_says_whether_a_shape_is_loaded(self, api, amazonas, puno):
        amazonas.boundary = SQUARE
        amazonas.save()
        Region.objects.filter(pk=puno.pk).update(boundary={})  # the admin keeps a typed "{}" as is
        by_slug = {r["slug"]: r for r in results(api.get(URL))}
        assert by_slug["amazonas"]["has_boundary"] is True
        assert by_slug["puno"]["has_boundary"] is False
        assert by_slug["loreto"]["has_boundary"] is False
        assert "coordinates" not in api.get(f"{URL}amazonas/").content.decode()

    def test_an_unknown_slug_is_not_found(self, caller, assert_error):
        assert_error(caller.get(f"{URL}atlantis/"), 404, code="not_found")

    def test_an_id_is_not_a_slug(self, caller, amazonas, assert_error):
        assert_error(caller.get(f"{URL}{amazonas.pk}/"), 404)


class TestFiltersSearchAndOrder:
    def test_in_campaign_filters(self, api, puno):
        Region.objects.filter(pk=puno.pk).update(in_campaign=False)
        assert [r["slug"] for r in results(api.get(URL, {"in_campaign": "false"}))] == ["puno"]
        assert len(results(api.get(URL, {"in_campaign": "true"}))) == 14

    def test_an_unknown_in_campaign_value_is_refused(self, api, db, assert_error):
        assert_error(api.get(URL, {"in_campaign": "maybe"}), 400, code="invalid", field="in_campaign")

    def test_search_finds_by_name_capital_or_code(self, api, db):
        assert [r["slug"] for r in results(api.get(URL, {"search": "Iquitos"}))] == ["loreto"]
        assert [r["slug"] for r in results(api.get(URL, {"search": "1501"}))] == ["lima-metropolitana"]

    def test_ordering_by_inei_code(self, api, db):
        codes = [r["inei_code"] for r in results(api.get(URL, {"ordering": "-inei_code"}))]
        assert codes == sorted(codes, reverse=True)


class TestPages:
    def test_page_size_is_obeyed(self, api, db):
        body = api.get(URL, {"page_size": 4, "page": 2}).json()
        assert body["count"] == 15
        assert len(body["results"]) == 4
        assert body["next"] and body["previous"]

    @pytest.mark.parametrize("size", ["100000", "0", "-1", "many"])
    def test_a_page_size_out_of_bounds_is_refused(self, api, db, assert_error, size):
        assert_error(api.get(URL, {"page_size": size}), 400, code="invalid", field="page_size")

    def test_a_page_past_the_end_is_not_found(self, api, db, assert_error):
        assert_error(api.get(URL, {"page": 99}), 404, code="not_found")

    def test_the_query_count_does_not_grow_with_the_page(self, caller):
        counts = []
        for size in (10, 500):
            with CaptureQueriesContext(connection) as queries:
                assert len(results(caller.get(URL, {"page_size": size}))) == min(size, 15)
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestThrottle:
    def test_anonymous_reads_are_throttled(self, api, db, throttle_rates, assert_error):
        throttle_rates(anon="2/minute")
        assert api.get(URL).status_code == api.get(f"{URL}puno/").status_code == 200
        assert_error(api.get(URL), 429, code="throttled")

    def test_behind_the_proxy_each_client_address_has_its_own_budget(self, api, db, settings, throttle_rates):
        throttle_rates(anon="2/minute")
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        one, other = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
        assert api.get(URL, **one).status_code == api.get(URL, **one).status_code == 200
        assert api.get(URL, **one).status_code == 429
        assert api.get(URL, **other).status_code == 200

    def test_without_a_proxy_a_forged_forwarded_address_gets_no_new_budget(self, api, db, settings, throttle_rates):
        throttle_rates(anon="2/minute")
        assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
        for n in range(2):
            assert api.get(URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
        assert api.get(URL, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429

    def test_signed_in_users_are_not_held_to_the_anonymous_rate(self, api, staff, throttle_rates):
        throttle_rates(anon="2/minute")
        api.force_authenticate(staff)
        assert all(api.get(URL).status_code == 200 for _ in range(4))


class TestWritingIsRefused:
    @pytest.mark.parametrize("method, path", [("post", URL), ("put", f"{URL}amazonas/"), ("patch", f"{URL}amazonas/")])
    def test_anonymous_is_asked_to_authenticate(self, api, amazonas, assert_error, method, path):
        assert_error(getattr(api, method)(path, {"name": "Atlantis"}, format="json"), 401, code="not_authenticated")
        assert not Region.objects.filter(name="Atlantis").exists()

    def test_anonymous_may_not_delete(self, api, amazonas, assert_error):
        assert_error(api.delete(f"{URL}amazonas/"), 401)
        assert Region.objects.filter(slug="amazonas").exists()

    @pytest.mark.parametrize("method, path", [("post", URL), ("put", f"{URL}amazonas/"), ("patch", f"{URL}amazonas/")])
    def test_a_signed_in_user_gets_method_not_allowed(self, signed_in, amazonas, assert_error, method, path):
        response = getattr(signed_in, method)(path, {"name": "Atlantis"}, format="json")
        assert_error(response, 405, code="method_not_allowed")
        assert not Region.objects.filter(name="Atlantis").exists()

    def test_no_one_deletes_a_region(self, signed_in, amazonas, assert_error):
        assert_error(signed_in.delete(f"{URL}amazonas/"), 405)
        assert Region.objects.filter(slug="amazonas").exists()


# The regions' maps -------------------------------------------------------------------------------

MAPS = ["/api/v1/regions/geojson/", "/es/datos-abiertos/regiones.geojson"]


@pytest.fixture
def shipped_boundaries(db):
    """Every region with the boundary the project ships, but Loreto, which has none; published."""
    call_command("load_campaign", stdout=StringIO())
    Region.objects.filter(slug="loreto").update(boundary=None)
    release_publish()


def counter_clockwise(geometry):
    """Outer rings counter-clockwise, holes clockwise (RFC 7946, 3.1.6)."""
    parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return all(
        shapely.LinearRing(outer).is_ccw and not any(shapely.LinearRing(hole).is_ccw for hole in holes)
        for outer, *holes in parts
    )


class TestTheRegionsMaps:
    @pytest.mark.parametrize("url", MAPS)
    def test_a_map_holds_polygons_only_valid_and_counter_clockwise(self, api, shipped_boundaries, url):
        response = api.get(url)
        assert response.status_code == 200
        features = response.json()["features"]
        geometries = [feature["geometry"] for feature in features if feature["geometry"] is not None]

        assert len(geometries) == 14
        # One kind of geometry, so that a GIS reads the file as one layer: Puno's islands make a MultiPolygon.
        assert {geometry["type"] for geometry in geometries} == {"Polygon", "MultiPolygon"}
        assert all(shapely.geometry.shape(geometry).is_valid for geometry in geometries)
        assert all(counter_clockwise(geometry) for geometry in geometries)

    @pytest.mark.parametrize("url", MAPS)
    def test_a_region_without_a_boundary_has_a_null_geometry_not_a_point(self, api, shipped_boundaries, url):
        features = {f["properties"]["slug"]: f for f in api.get(url).json()["features"]}

        assert features["loreto"]["geometry"] is None
        assert features["loreto"]["type"] == "Feature"

    def test_the_capital_of_a_region_without_a_boundary_is_in_the_regions_list(self, api, shipped_boundaries):
        loreto = results(api.get(URL, {"search": "Iquitos"}))[0]

        assert loreto["has_boundary"] is False
        assert (loreto["latitude"], loreto["longitude"]) == ("-3.748100", "-73.244200")
