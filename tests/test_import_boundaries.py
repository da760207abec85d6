"""`manage.py import_boundaries`: region shapes from a GeoJSON file, all or nothing, valid and
oriented as RFC 7946 asks; and `manage.py load_campaign`, which loads the boundaries the project ships."""

import importlib.util
import json
from io import StringIO
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command

from regions.models import Region

# The boundary files the project ships (see data/README.md).
DATA = Path(__file__).resolve().parents[1] / "data"
DEPARTMENTS = DATA / "peru_departments.geojson"
PROVINCES = DATA / "peru_provinces.geojson"
CAMPAIGN_REGIONS = DATA / "campaign_regions.geojson"

pytestmark = pytest.mark.django_db


def square(lon, lat, half=0.5):
    """A closed ring around a point, lon/lat."""
    return [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]


def polygon(lon, lat, half=0.5):
    return {"type": "Polygon", "coordinates": [square(lon, lat, half)]}


AMAZONAS_SHAPE = polygon(-77.87, -6.23)  # around Chachapoyas
PUNO_SHAPE = {
    "type": "MultiPolygon",
    "coordinates": [[square(-70.03, -15.84)], [square(-69.0, -14.5, 0.2)]],  # around Puno, and a second piece
}


def feature(code, geometry, prop="CODE"):
    return {"type": "Feature", "properties": {prop: code, "NAME": "x"}, "geometry": geometry}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def write(tmp_path):
    def write(data, name="boundaries.geojson"):
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    return write


def run(path, *options, prop="CODE"):
    out, err = StringIO(), StringIO()
    call_command("import_boundaries", str(path), "--code-property", prop, *options, stdout=out, stderr=err)
    return out.getvalue()


def boundaries():
    return dict(Region.objects.values_list("inei_code", "boundary"))


@pytest.fixture
def before(amazonas):
    """Amazonas already has a boundary, every other region none: a refused import must leave exactly this."""
    amazonas.boundary = AMAZONAS_SHAPE
    amazonas.save(update_fields=["boundary"])
    state = boundaries()
    assert state["01"] == AMAZONAS_SHAPE
    assert all(shape is None for code, shape in state.items() if code != "01")
    return state


def refused(path, *messages, options=(), prop="CODE"):
    """Run the import expecting a CommandError of one line per message, in order, under a line that
    counts them when there are several; return the lines."""
    with pytest.raises(CommandError) as caught:
        run(path, *options, prop=prop)
    lines = str(caught.value).split("\n")
    if len(messages) > 1:
        assert lines.pop(0) == f"{len(messages)} features cannot be stored as boundaries; nothing was saved:"
    assert len(lines) == len(messages), lines
    for line, message in zip(lines, messages, strict=True):
        assert message in line
    return lines


def counter_clockwise(geometry):
    """Whether every outer ring turns counter-clockwise and every hole clockwise (RFC 7946, 3.1.6)."""
    parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return all(
        shapely.LinearRing(outer).is_ccw and not any(shapely.LinearRing(hole).is_ccw for hole in holes)
        for outer, *holes in parts
    )


# What a good file does


def test_polygon_and_multipolygon_features_become_the_boundaries_of_their_regions(write, before):
    path = write(collection(feature("01", polygon(-77.5, -6.0)), feature("21", PUNO_SHAPE)))

    out = run(path)

    after = boundaries()
    assert after["01"] == polygon(-77.5, -6.0)
    assert after["21"] == PUNO_SHAPE
    assert all(after[code] is None for code in after if code not in ("01", "21"))
    assert "Matched 2 regions:\n  Amazonas (01)\n  Puno (21)\n" in out
    assert "Saved 2 boundaries." in out


def test_the_report_names_regions_left_without_a_feature_and_counts_features_that_matched_none(write, db):
    path = write(collection(feature("21", PUNO_SHAPE), feature("99", polygon(-75, -10)), feature(None, PUNO_SHAPE)))

    out = run(path)

    assert "No feature in this file for 14 regions (left unchanged): Amazonas (01), Áncash (02)," in out
    assert "Lima Metropolitana (1501)" in out.splitlines()[-3]
    assert "Puno (21)" not in out.splitlines()[-3]
    assert "3 features: 1 matched, 2 matched no region." in out


def test_features_that_match_no_region_may_have_any_geometry(write, db):
    far_away = {"type": "Point", "coordinates": [2.35, 48.85]}
    path = write(collection(feature("21", PUNO_SHAPE), feature("75", far_away), feature("0510", {"type": "Line"})))

    out = run(path)

    assert Region.objects.get(inei_code="21").boundary == PUNO_SHAPE
    assert "3 features: 1 matched, 2 matched no region." in out


def test_numeric_codes_are_compared_as_text_without_padding(write, db):
    path = write(collection(feature(1501, polygon(-77.03, -12.05, 0.3)), feature(1, AMAZONAS_SHAPE)))

    out = run(path)

    assert Region.objects.get(inei_code="1501").boundary == polygon(-77.03, -12.05, 0.3)
    assert Region.objects.get(inei_code="01").boundary is None
    assert "2 features: 1 matched, 1 matched no region." in out


def test_only_the_geometry_is_stored_without_bbox_or_crs_members(write, db):
    shape = {**polygon(-77.5, -6.0), "bbox": [-78, -6.5, -77, -5.5], "crs": {"type": "name"}}
    run(write(collection(feature("01", shape))))

    assert Region.objects.get(inei_code="01").boundary == polygon(-77.5, -6.0)


def test_a_clockwise_boundary_is_stored_counter_clockwise_with_its_holes_clockwise(write, amazonas):
    # Shapefile order, as in Peru's public files: outer ring clockwise, hole counter-clockwise.
    outer, hole = square(-77.87, -6.23)[::-1], square(-77.6, -6.0, 0.1)
    shape = {"type": "Polygon", "coordinates": [outer, hole]}
    assert not counter_clockwise(shape)

    run(write(collection(feature("01", shape))))

    amazonas.refresh_from_db()
    assert counter_clockwise(amazonas.boundary)
    stored_outer, stored_hole = amazonas.boundary["coordinates"]
    assert sorted(map(tuple, stored_outer)) == sorted(map(tuple, outer))  # the same positions, turned
    assert sorted(map(tuple, stored_hole)) == sorted(map(tuple, hole))
    assert amazonas.contains(amazonas.latitude, amazonas.longitude)
    assert not amazonas.contains(-6.0, -77.6)  # in the hole


def test_keep_existing_fills_in_only_the_regions_without_a_boundary(write, before):
    path = write(collection(feature("01", polygon(-77.5, -6.0)), feature("21", PUNO_SHAPE)))

    out = run(path, "--keep-existing")

    after = boundaries()
    assert after["01"] == AMAZONAS_SHAPE
    assert after["21"] == PUNO_SHAPE
    assert "Matched 1 region:\n  Puno (21)\n" in out
    assert "Kept the boundary already loaded for 1 region: Amazonas (01)" in out
    assert "2 features: 2 matched, 0 matched no region." in out
    assert "Saved 1 boundary." in out


def test_keep_existing_still_refuses_a_bad_feature_for_a_region_it_would_keep(write, before):
    open_ring = square(-77.5, -6.0)[:-1]
    path = write(collection(feature("01", {"type": "Polygon", "coordinates": [open_ring]}), feature("21", PUNO_SHAPE)))

    refused(path, "features[0] (code 01, Amazonas): A boundary ring is not closed", options=["--keep-existing"])

    assert boundaries() == before


def test_a_region_then_contains_points_inside_its_boundary_and_not_outside(write, amazonas):
    run(write(collection(feature("01", AMAZONAS_SHAPE))))

    amazonas.refresh_from_db()
    assert amazonas.contains(amazonas.latitude, amazonas.longitude)
    assert not amazonas.contains(-15.8403, -70.0281)  # Puno's capital


def test_dry_run_validates_and_reports_but_saves_nothing(write, before):
    path = write(collection(feature("01", polygon(-77.5, -6.0)), feature("21", PUNO_SHAPE)))

    out = run(path, "--dry-run")

    assert boundaries() == before
    assert "Matched 2 regions:" in out
    assert "Dry run: nothing saved (2 boundaries would be)." in out


def test_dry_run_still_refuses_a_bad_file(write, before):
    path = write(collection(feature("01", polygon(-77.5, 6.0))))

    refused(path, "features[0] (code 01, Amazonas): The point (5.5, -78.0) is outside Peru.", options=["--dry-run"])

    assert boundaries() == before


# What a bad file does: a one-line error, and every boundary as it was.
# Each bad file also holds a good Puno feature first, so a command that wrote as it went would be caught.


def test_a_missing_file_is_refused(tmp_path, before):
    refused(tmp_path / "nowhere.geojson", "nowhere.geojson: no such file.")

    assert boundaries() == before


def test_a_file_that_is_not_json_is_refused(write, before):
    path = write('{"type": "FeatureCollection", "features": [')

    refused(path, "boundaries.geojson: not valid JSON (Expecting value at line 1, column 44).")

    assert boundaries() == before


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (feature("21", PUNO_SHAPE), "'Feature'"),
        (PUNO_SHAPE, "'MultiPolygon'"),
        ([feature("21", PUNO_SHAPE)], "'list'"),
    ],
    ids=["a bare feature", "a bare geometry", "a list of features"],
)
def test_a_file_that_is_not_a_feature_collection_is_refused(write, before, data, found):
    refused(write(data), f"boundaries.geojson: not a GeoJSON FeatureCollection (found {found}).")

    assert boundaries() == before


def test_a_feature_collection_without_features_is_refused(write, before):
    refused(write(collection()), "boundaries.geojson: the FeatureCollection has no features.")

    assert boundaries() == before


def test_a_feature_without_geometry_is_refused_even_when_it_matches_no_region(write, before):
    path = write(collection(feature("21", PUNO_SHAPE), feature("99", None)))

    refused(path, "features[1]: the feature has no geometry.")

    assert boundaries() == before


def test_an_item_that_is_not_a_feature_is_refused(write, before):
    path = write(collection(feature("21", PUNO_SHAPE), PUNO_SHAPE))

    refused(path, "features[1]: not a GeoJSON Feature.")

    assert boundaries() == before


def test_a_point_geometry_on_a_matched_feature_is_refused(write, before):
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", {"type": "Point", "coordinates": [-77.8, -6.2]})))

    refused(path, "features[1] (code 01, Amazonas): A boundary must be a Polygon or MultiPolygon, not Point.")

    assert boundaries() == before


def test_a_coordinate_outside_peru_is_refused(write, before):
    swapped = {"type": "Polygon", "coordinates": [[[lat, lon] for lon, lat in square(-78.0, -6.0)]]}
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", swapped)))

    refused(path, "features[1] (code 01, Amazonas): The point (-78.5, -6.5) is outside Peru.")

    assert boundaries() == before


def test_a_ring_that_does_not_close_is_refused(write, before):
    open_ring = square(-77.5, -6.0)[:-1]  # four positions, the first not repeated
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", {"type": "Polygon", "coordinates": [open_ring]})))

    refused(
        path,
        "features[1] (code 01, Amazonas): A boundary ring is not closed: it starts at longitude -78.0, latitude -6.5 "
        "and must end at the same position.",
    )

    assert boundaries() == before


def test_a_self_crossing_bow_tie_is_refused_with_where_it_crosses(write, before):
    bow_tie = [[-78.0, -6.5], [-77.0, -5.5], [-77.0, -6.5], [-78.0, -5.5], [-78.0, -6.5]]
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", {"type": "Polygon", "coordinates": [bow_tie]})))

    refused(path, "features[1] (code 01, Amazonas): The boundary crosses itself at longitude -77.5, latitude -6.0.")

    assert boundaries() == before


def test_a_hole_outside_its_outer_ring_is_refused(write, before):
    shape = {"type": "Polygon", "coordinates": [square(-77.5, -6.0), square(-75.0, -9.0, 0.1)]}
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", shape)))

    refused(
        path,
        "features[1] (code 01, Amazonas): The boundary is not a valid shape at longitude -75.1, latitude -9.1 "
        "(Hole lies outside shell).",
    )

    assert boundaries() == before


def test_every_bad_feature_is_named_at_once_and_nothing_is_saved(write, before):
    open_ring = square(-77.5, -6.0)[:-1]
    bow_tie = [[-72.5, -14.0], [-71.5, -13.0], [-71.5, -14.0], [-72.5, -13.0], [-72.5, -14.0]]
    path = write(
        collection(
            feature("21", PUNO_SHAPE),
            feature("01", {"type": "Polygon", "coordinates": [open_ring]}),
            feature("99", {"type": "Point", "coordinates": [2.35, 48.85]}),  # matches no region: ignored
            feature("08", {"type": "Polygon", "coordinates": [bow_tie]}),
            feature("16", {"type": "Point", "coordinates": [-73.24, -3.75]}),
            feature("24", polygon(-66.0, -17.0)),  # Bolivia
            feature("21", PUNO_SHAPE),
        )
    )

    refused(
        path,
        "features[1] (code 01, Amazonas): A boundary ring is not closed",
        "features[3] (code 08, Cusco): The boundary crosses itself at longitude -72.0, latitude -13.5.",
        "features[4] (code 16, Loreto): A boundary must be a Polygon or MultiPolygon, not Point.",
        "features[5] (code 24, Tumbes): The point (-17.5, -66.5) is outside Peru.",
        "features[6] (code 21, Puno): features[0] carries the same code; expected one per region.",
    )

    assert boundaries() == before


@pytest.mark.parametrize(
    "position",
    [["-77.5", "-6.0"], [-77.5, float("nan")], [-77.5]],
    ids=["text coordinates", "NaN", "a single number"],
)
def test_malformed_coordinates_on_a_matched_feature_are_refused(write, before, position):
    ring = [*square(-77.5, -6.0)[:3], position, square(-77.5, -6.0)[0]]
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", {"type": "Polygon", "coordinates": [ring]})))

    refused(path, "features[1] (code 01, Amazonas): The boundary's coordinates are malformed.")

    assert boundaries() == before


def test_an_empty_polygon_on_a_matched_feature_is_refused(write, before):
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", {"type": "MultiPolygon", "coordinates": []})))

    refused(path, "features[1] (code 01, Amazonas): A boundary needs at least one ring.")

    assert boundaries() == before


def test_an_unknown_code_property_is_refused(write, before):
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", AMAZONAS_SHAPE)))

    refused(path, "No feature has the property 'FIRST_IDDP' (the first feature has: CODE, NAME).", prop="FIRST_IDDP")

    assert boundaries() == before


def test_two_features_for_the_same_region_are_refused(write, before):
    path = write(collection(feature("21", PUNO_SHAPE), feature("99", PUNO_SHAPE), feature("21", PUNO_SHAPE)))

    refused(path, "features[2] (code 21, Puno): features[0] carries the same code; expected one per region.")

    assert boundaries() == before


def test_a_failure_while_saving_leaves_every_boundary_as_it_was(write, before, monkeypatch):
    saved = []
    original_save = Region.save

    def save_then_fail(region, *args, **kwargs):
        if saved:
            raise RuntimeError("database went away")
        original_save(region, *args, **kwargs)
        saved.append(region.inei_code)

    monkeypatch.setattr(Region, "save", save_then_fail)
    path = write(collection(feature("21", PUNO_SHAPE), feature("01", polygon(-77.5, -6.0))))

    with pytest.raises(RuntimeError):
        run(path)

    assert saved
    assert boundaries() == before


# The real files


def test_the_departments_file_gives_every_region_but_lima_metropolitana_a_boundary(db):
    out = run(DEPARTMENTS, prop="FIRST_IDDP")

    missing = [code for code, shape in boundaries().items() if shape is None]
    assert missing == ["1501"]
    assert "Matched 14 regions:\n  Amazonas (01)\n  Áncash (02)\n" in out
    assert "No feature in this file for 1 region (left unchanged): Lima Metropolitana (1501)" in out
    assert "25 features: 14 matched, 11 matched no region." in out


def test_the_provinces_file_after_the_departments_file_adds_lima_metropolitana_only(db):
    run(DEPARTMENTS, prop="FIRST_IDDP")
    departments = boundaries()

    out = run(PROVINCES, prop="FIRST_IDPR")

    after = boundaries()
    assert after["1501"] is not None
    assert {code: shape for code, shape in after.items() if code != "1501"} == {
        code: shape for code, shape in departments.items() if code != "1501"
    }
    assert "Matched 1 region:\n  Lima Metropolitana (1501)\n" in out
    assert "197 features: 1 matched, 196 matched no region." in out


def test_every_region_contains_its_capital_after_importing_the_real_files(db):
    run(DEPARTMENTS, prop="FIRST_IDDP")
    run(PROVINCES, prop="FIRST_IDPR")

    regions = Region.objects.all()
    assert all(region.boundary is not None for region in regions)
    assert [region.name for region in regions if not region.contains(region.latitude, region.longitude)] == []


def test_puno_capital_is_outside_the_real_amazonas_boundary(db):
    run(DEPARTMENTS, prop="FIRST_IDDP")

    amazonas, puno = Region.objects.get(slug="amazonas"), Region.objects.get(slug="puno")
    assert not amazonas.contains(puno.latitude, puno.longitude)
    assert puno.contains(puno.latitude, puno.longitude)


def test_the_real_files_are_clockwise_and_are_stored_valid_and_counter_clockwise(db):
    source = json.loads(DEPARTMENTS.read_text(encoding="utf-8"))["features"][0]
    assert source["properties"]["FIRST_IDDP"] == "01"
    assert not counter_clockwise(source["geometry"])

    run(DEPARTMENTS, prop="FIRST_IDDP")

    stored = [shape for shape in boundaries().values() if shape]
    assert len(stored) == 14
    assert all(counter_clockwise(shape) and shapely.geometry.shape(shape).is_valid for shape in stored)


# The web-light file of the 15 regions, and load_campaign


def campaign_features():
    return json.loads(CAMPAIGN_REGIONS.read_text(encoding="utf-8"))["features"]


def test_the_campaign_file_gives_all_fifteen_regions_a_boundary_that_holds_their_capital(db):
    out = run(CAMPAIGN_REGIONS, prop="inei_code")

    regions = list(Region.objects.all())
    assert len(regions) == 15
    assert all(region.boundary and counter_clockwise(region.boundary) for region in regions)
    assert [region.name for region in regions if not region.contains(region.latitude, region.longitude)] == []
    assert "15 features: 15 matched, 0 matched no region." in out


def source_shapes():
    departments = json.loads(DEPARTMENTS.read_text(encoding="utf-8"))["features"]
    provinces = json.loads(PROVINCES.read_text(encoding="utf-8"))["features"]
    found = {f["properties"]["FIRST_IDDP"]: f["geometry"] for f in departments}
    found["1501"] = next(f["geometry"] for f in provinces if f["properties"]["FIRST_IDPR"] == "1501")
    return {code: shapely.geometry.shape(geometry) for code, geometry in found.items()}


def test_each_region_in_the_campaign_file_keeps_the_shape_of_its_source():
    sources = source_shapes()
    for feature in campaign_features():
        code = feature["properties"]["inei_code"]
        light, source = shapely.geometry.shape(feature["geometry"]), sources[code]
        # What the simplification moved, as a share of the region: Callao, the smallest, moves most.
        assert light.symmetric_difference(source).area / source.area < 0.002, code


def test_the_campaign_file_is_what_the_derivation_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("derive_campaign_regions", DATA / "derive_campaign_regions.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    count, _ = script.main(tmp_path / "regions.geojson")

    assert count == 15
    assert (tmp_path / "regions.geojson").read_bytes() == CAMPAIGN_REGIONS.read_bytes()


def load_campaign(*options):
    out = StringIO()
    call_command("load_campaign", *options, stdout=out)
    return out.getvalue()


def test_load_campaign_on_an_empty_database_gives_every_region_its_shipped_boundary(db):
    Region.objects.all().delete()

    out = load_campaign()

    shipped = {f["properties"]["inei_code"]: f["geometry"] for f in campaign_features()}
    assert boundaries() == shipped
    assert len(shipped) == 15
    assert "created 15 regions" in out
    assert "Saved 15 boundaries." in out


def test_load_campaign_keeps_a_boundary_an_operator_imported_and_fills_the_rest(before):
    out = load_campaign()

    after = boundaries()
    assert after["01"] == AMAZONAS_SHAPE
    assert all(after.values())
    assert "Kept the boundary already loaded for 1 region: Amazonas (01)" in out
    assert "Saved 14 boundaries." in out
    assert "Saved 0 boundaries." in load_campaign()
    assert boundaries() == after


def test_load_campaign_without_boundaries_loads_no_shape(before):
    out = load_campaign("--no-boundaries")

    assert boundaries() == before
    assert "boundar" not in out
