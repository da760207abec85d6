"""Write campaign_regions.geojson: the campaign's 15 regions, light enough for a web map.

    .venv/bin/python data/derive_campaign_regions.py [OUTPUT]

Reads peru_departments.geojson and peru_provinces.geojson beside this file (Lima Metropolitana is
the province 1501; every other region is a department), simplifies each shape with shapely
(TOLERANCE degrees, topology kept), snaps the positions to GRID degrees, orients the rings as
RFC 7946 asks and checks each result with the same rules `import_boundaries` applies. The same
input always gives the same file, byte for byte.
"""

import json
import os
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

DATA = Path(__file__).resolve().parent
OUTPUT = DATA / "campaign_regions.geojson"
# About 110 m at Peru's latitudes: under a pixel on any map the portal draws of a whole region.
TOLERANCE = 0.001
# Four decimals, about 11 m: finer than the source's own precision (INEI 2007, simplified).
GRID = 0.0001
DECIMALS = 4
SOURCES = {
    2: ("peru_departments.geojson", "FIRST_IDDP", "NOMBDEP"),
    4: ("peru_provinces.geojson", "FIRST_IDPR", "NOMBPROV"),
}


def from_the_portal():
    """The campaign's INEI codes and the import's boundary check. The 15 regions are listed once,
    in the reference data, and the rules once, in regions.geo: Django must be set up to read them."""
    sys.path.insert(0, str(DATA.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prevent_protect.settings")
    import django

    django.setup()
    from programs.reference import REGIONS
    from regions.geo import validate_boundary

    return [code for _name, _slug, code, *_rest in REGIONS], validate_boundary


def source_features(file_name, code_property):
    collection = json.loads((DATA / file_name).read_text(encoding="utf-8"))
    return {feature["properties"][code_property]: feature for feature in collection["features"]}


def web_geometry(geometry):
    light = shapely.set_precision(shape(geometry).simplify(TOLERANCE, preserve_topology=True), GRID)
    oriented = mapping(shapely.orient_polygons(light, exterior_cw=False))
    return {"type": oriented["type"], "coordinates": rounded(oriented["coordinates"])}


def rounded(value):
    # The positions already sit on the grid; rounding writes them without float noise.
    return [rounded(item) for item in value] if isinstance(value, tuple | list) else round(value, DECIMALS)


def region_feature(code, sources, validate_boundary):
    file_name, code_property, name_property = SOURCES[len(code)]
    found = sources[file_name][code]
    geometry = web_geometry(found["geometry"])
    validate_boundary(geometry)
    properties = {"inei_code": code, "name": found["properties"][name_property], "source": file_name}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def main(output=OUTPUT):
    codes, validate_boundary = from_the_portal()
    sources = {name: source_features(name, code_property) for name, code_property, _ in SOURCES.values()}
    features = [region_feature(code, sources, validate_boundary) for code in codes]
    # One feature per line: a change to one region shows as one line in a diff.
    lines = ",\n".join(json.dumps(feature, ensure_ascii=False, separators=(",", ":")) for feature in features)
    output.write_text('{"type":"FeatureCollection","features":[\n' + lines + "\n]}\n", encoding="utf-8")
    return len(features), output.stat().st_size


if __name__ == "__main__":
    written = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    count, size = main(written)
    print(f"{written}: {count} regions, {size} bytes")
