"""regions.geo: the geometry every point and boundary check relies on.

GeoJSON positions are [longitude, latitude]; the functions take (lat, lon).
"""

from decimal import Decimal

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.utils import translation

from regions import geo


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever the Spanish catalogue says.
    with translation.override("en"):
        yield


def ring(*positions):
    """A closed ring from (lon, lat) positions."""
    return [list(p) for p in (*positions, positions[0])]


def square(lon, lat, size):
    return ring((lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size))


# Around Chachapoyas (-6.23, -77.87): a 1° square with a 0.2° hole in its middle.
OUTER = square(-78.5, -6.8, 1.0)
HOLE = square(-78.1, -6.4, 0.2)
POLYGON_WITH_HOLE = {"type": "Polygon", "coordinates": [OUTER, HOLE]}
# Amazonas around Chachapoyas, and Puno around the lake shore.
MULTIPOLYGON = {
    "type": "MultiPolygon",
    "coordinates": [[square(-78.5, -6.8, 1.0)], [square(-70.5, -16.3, 1.0)]],
}


class TestInPeru:
    @pytest.mark.parametrize(
        "lat, lon",
        [
            pytest.param(-12.0453, -77.0308, id="Lima"),
            pytest.param(-15.8403, -70.0281, id="Puno"),
            pytest.param("-3.7481", "-73.2442", id="Iquitos given as text"),
            pytest.param(Decimal("-6.2294"), Decimal("-77.8728"), id="Chachapoyas given as Decimal"),
            pytest.param(-18.50, -81.50, id="the south-west corner of the box"),
            pytest.param(0, -68.50, id="the north-east corner of the box"),
        ],
    )
    def test_points_in_peru_are_in_peru(self, lat, lon):
        assert geo.in_peru(lat, lon)

    @pytest.mark.parametrize(
        "lat, lon",
        [
            pytest.param(40.4168, -3.7038, id="Madrid"),
            pytest.param(-12, -60, id="Brazil east of Madre de Dios"),
            pytest.param(-77.0308, -12.0453, id="Lima with latitude and longitude swapped"),
            pytest.param(12.0453, -77.0308, id="Lima with the sign of the latitude lost"),
            pytest.param(-18.51, -70, id="just south of the box"),
            pytest.param(0.01, -75, id="just north of the box"),
            pytest.param(-10, -81.51, id="just west of the box, in the Pacific"),
            pytest.param(-10, -68.49, id="just east of the box"),
        ],
    )
    def test_points_outside_peru_are_not(self, lat, lon):
        assert not geo.in_peru(lat, lon)

    def test_a_point_outside_peru_is_refused_with_a_message_that_explains_the_sign(self):
        with pytest.raises(ValidationError) as caught:
            geo.validate_point_in_peru(12.0453, -77.0308)
        assert caught.value.code == "outside_peru"
        message = caught.value.messages[0]
        assert "outside Peru" in message
        assert "12.0453" in message
        assert "south is negative" in message

    def test_a_point_in_peru_passes_validation(self):
        geo.validate_point_in_peru("-12.0453", "-77.0308")


class TestContains:
    def test_a_point_inside_the_outer_ring_and_outside_the_hole_is_contained(self):
        assert geo.contains(POLYGON_WITH_HOLE, -6.7, -78.4)

    def test_chachapoyas_is_contained_in_a_square_around_it_without_a_hole(self):
        assert geo.contains({"type": "Polygon", "coordinates": [OUTER]}, -6.2294, -77.8728)

    def test_a_point_in_the_hole_is_not_contained(self):
        assert not geo.contains(POLYGON_WITH_HOLE, -6.3, -78.0)

    def test_a_point_outside_the_outer_ring_is_not_contained(self):
        assert not geo.contains(POLYGON_WITH_HOLE, -7.5, -78.0)

    def test_a_point_beside_the_polygon_at_the_same_latitude_is_not_contained(self):
        # Ray casting errs here when it counts a crossing on the wrong side.
        assert not geo.contains(POLYGON_WITH_HOLE, -6.7, -77.0)

    def test_a_concave_polygon_does_not_contain_its_notch(self):
        # A "U": the notch between the arms is outside.
        u_shape = {
            "type": "Polygon",
            "coordinates": [
                ring((-78, -7), (-77, -7), (-77, -6), (-77.3, -6), (-77.3, -6.7), (-77.7, -6.7), (-77.7, -6), (-78, -6))
            ],
        }
        assert geo.contains(u_shape, -6.2, -77.85)  # in the left arm
        assert geo.contains(u_shape, -6.2, -77.15)  # in the right arm
        assert not geo.contains(u_shape, -6.2, -77.5)  # in the notch

    def test_a_multipolygon_contains_points_in_each_of_its_parts(self):
        assert geo.contains(MULTIPOLYGON, -6.2294, -77.8728)
        assert geo.contains(MULTIPOLYGON, -15.8403, -70.0281)

    def test_a_multipolygon_does_not_contain_points_between_its_parts(self):
        assert not geo.contains(MULTIPOLYGON, -12.0453, -77.0308)

    def test_a_point_in_the_hole_of_one_part_but_inside_another_part_is_contained(self):
        islands = {
            "type": "MultiPolygon",
            "coordinates": [[OUTER, HOLE], [square(-78.05, -6.35, 0.1)]],  # an island inside the hole
        }
        assert geo.contains(islands, -6.3, -78.0)
        assert not geo.contains(islands, -6.38, -78.08)  # in the hole, off the island

    def test_coordinates_given_as_text_or_decimal_are_accepted(self):
        assert geo.contains(POLYGON_WITH_HOLE, "-6.7", Decimal("-78.4"))


class TestValidateBoundary:
    def test_a_polygon_with_a_hole_inside_peru_is_valid(self):
        assert geo.validate_boundary(POLYGON_WITH_HOLE) is None

    def test_a_multipolygon_inside_peru_is_valid(self):
        assert geo.validate_boundary(MULTIPOLYGON) is None

    @pytest.mark.parametrize(
        "geometry, kind",
        [
            pytest.param({"type": "Point", "coordinates": [-77.0, -12.0]}, "Point", id="a Point"),
            pytest.param({"type": "LineString", "coordinates": [[-77, -12], [-76, -12]]}, "LineString", id="a line"),
            pytest.param({"type": "FeatureCollection", "features": []}, "FeatureCollection", id="a whole GeoJSON file"),
            pytest.param({"coordinates": [OUTER]}, "None", id="a geometry without a type"),
            pytest.param([OUTER], "list", id="bare coordinates"),
            pytest.param("POLYGON((...))", "str", id="well-known text"),
        ],
    )
    def test_a_boundary_that_is_not_a_polygon_is_refused_and_named(self, geometry, kind):
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary(geometry)
        assert caught.value.code == "not_polygon"
        assert f"not {kind}" in caught.value.messages[0]

    @pytest.mark.parametrize(
        "geometry",
        [
            pytest.param({"type": "Polygon", "coordinates": [OUTER[:3]]}, id="an outer ring of three positions"),
            pytest.param({"type": "Polygon", "coordinates": [OUTER, HOLE[:2]]}, id="a hole of two positions"),
            pytest.param({"type": "MultiPolygon", "coordinates": [[OUTER], [[]]]}, id="an empty ring in a part"),
        ],
    )
    def test_a_ring_shorter_than_four_positions_is_refused(self, geometry):
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary(geometry)
        assert caught.value.code == "short_ring"
        assert "at least four positions" in caught.value.messages[0]

    @pytest.mark.parametrize(
        "geometry",
        [
            pytest.param({"type": "Polygon"}, id="no coordinates at all"),
            pytest.param(
                {"type": "Polygon", "coordinates": [[[-78.5], [-77.5], [-77.5], [-78.5]]]}, id="positions of one number"
            ),
            pytest.param({"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}, id="positions of words"),
            pytest.param({"type": "Polygon", "coordinates": [[-78.5, -6.8, -77.5, -6.8]]}, id="a flat list of numbers"),
            pytest.param({"type": "Polygon", "coordinates": [[[None, -6.8]] * 4]}, id="a null longitude"),
            pytest.param({"type": "MultiPolygon", "coordinates": OUTER}, id="a bare ring under MultiPolygon"),
        ],
    )
    def test_malformed_coordinates_are_refused_as_malformed_not_as_a_crash(self, geometry):
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary(geometry)
        assert caught.value.code == "malformed"
        assert "malformed" in caught.value.messages[0]

    @pytest.mark.parametrize(
        "geometry",
        [
            pytest.param({"type": "Polygon", "coordinates": []}, id="a Polygon without rings"),
            pytest.param({"type": "MultiPolygon", "coordinates": []}, id="a MultiPolygon without parts"),
            pytest.param({"type": "MultiPolygon", "coordinates": [[]]}, id="a MultiPolygon with an empty part"),
            pytest.param({"type": "Polygon", "coordinates": None}, id="null coordinates"),
        ],
    )
    def test_an_empty_boundary_is_refused(self, geometry):
        # Accepted, it would crash contains() or refuse every point of the region.
        with pytest.raises(ValidationError):
            geo.validate_boundary(geometry)

    def test_a_polygons_coordinates_labelled_multipolygon_are_refused(self):
        # One nesting level short: each "ring" is then a single position.
        with pytest.raises(ValidationError):
            geo.validate_boundary({"type": "MultiPolygon", "coordinates": [OUTER]})

    def test_a_boundary_reaching_outside_peru_is_refused_with_the_point(self):
        # A ring typed in lat/lon order instead of GeoJSON's lon/lat lands far from Peru.
        swapped = {"type": "Polygon", "coordinates": [[[lat, lon] for lon, lat in OUTER]]}
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary(swapped)
        assert caught.value.code == "outside_peru"
        assert "outside Peru" in caught.value.messages[0]

    def test_one_part_of_a_multipolygon_outside_peru_is_enough_to_refuse_it(self):
        madrid = [square(-3.8, 40.3, 0.2)]
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary({"type": "MultiPolygon", "coordinates": [[OUTER], madrid]})
        assert caught.value.code == "outside_peru"

    def test_a_ring_that_does_not_close_is_refused_with_where_it_starts(self):
        # Shapely would close it silently; the file would then not be the shape the operator checked.
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary({"type": "Polygon", "coordinates": [OUTER[:-1]]})
        assert caught.value.code == "not_closed"
        assert "starts at longitude -78.5, latitude -6.8" in caught.value.messages[0]

    def test_a_hole_that_does_not_close_is_refused(self):
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary({"type": "Polygon", "coordinates": [OUTER, [*HOLE[:-1], [-78.0, -6.3]]]})
        assert caught.value.code == "not_closed"

    def test_a_bow_tie_is_refused_with_the_point_where_it_crosses_itself(self):
        bow_tie = ring((-78.5, -6.8), (-77.5, -5.8), (-77.5, -6.8), (-78.5, -5.8))
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary({"type": "Polygon", "coordinates": [bow_tie]})
        assert caught.value.code == "self_intersection"
        assert caught.value.messages[0] == "The boundary crosses itself at longitude -78.0, latitude -6.3."

    def test_two_parts_that_overlap_are_refused_as_crossing(self):
        overlapping = {"type": "MultiPolygon", "coordinates": [[OUTER], [square(-78.0, -6.3, 1.0)]]}
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary(overlapping)
        assert caught.value.code == "self_intersection"
        assert caught.value.messages[0] == "The boundary crosses itself at longitude -78.0, latitude -5.8."

    def test_a_hole_outside_its_outer_ring_is_refused_with_the_reason_and_the_place(self):
        with pytest.raises(ValidationError) as caught:
            geo.validate_boundary({"type": "Polygon", "coordinates": [OUTER, square(-76.0, -9.0, 0.2)]})
        assert caught.value.code == "invalid"
        assert caught.value.messages[0] == (
            "The boundary is not a valid shape at longitude -76.0, latitude -9.0 (Hole lies outside shell)."
        )

    def test_a_clockwise_polygon_is_valid_as_it_is(self):
        # RFC 7946: readers must not refuse the other order; oriented() turns it.
        assert geo.validate_boundary({"type": "Polygon", "coordinates": [OUTER[::-1]]}) is None


def is_ccw(ring):
    return shapely.LinearRing(ring).is_ccw


class TestOriented:
    def test_outer_rings_turn_counter_clockwise_and_holes_clockwise(self):
        shape = {"type": "Polygon", "coordinates": [OUTER[::-1], HOLE]}  # Shapefile order turned around
        assert not is_ccw(shape["coordinates"][0]) and is_ccw(shape["coordinates"][1])

        outer, hole = geo.oriented(shape)["coordinates"]

        assert is_ccw(outer) and not is_ccw(hole)
        assert sorted(map(tuple, outer)) == sorted(map(tuple, OUTER[::-1]))

    def test_every_part_of_a_multipolygon_is_oriented(self):
        shape = {"type": "MultiPolygon", "coordinates": [[OUTER[::-1]], [square(-70.5, -16.3, 1.0)[::-1]]]}

        fixed = geo.oriented(shape)

        assert fixed["type"] == "MultiPolygon"
        assert all(is_ccw(outer) for outer, *_ in fixed["coordinates"])

    def test_a_well_oriented_boundary_comes_back_equal_as_plain_lists_without_other_members(self):
        shape = {**POLYGON_WITH_HOLE, "coordinates": [OUTER, HOLE[::-1]], "bbox": [-78.5, -6.8, -77.5, -5.8]}

        assert geo.oriented(shape) == {"type": "Polygon", "coordinates": [OUTER, HOLE[::-1]]}
