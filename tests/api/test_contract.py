"""The schema as client generators read it: one encoding per request body, one way to read each
answer, integer ids, bounds equal to what the server enforces, null where an answer can be null,
the Bearer scheme, 304 for reads, and the same names whatever the request's language."""

import pytest
from django.test import Client

from activities.models import MAX_COUNT, PARTICIPANT_FIELDS
from regions.geo import PERU_BOUNDS

METHODS = ("get", "post", "put", "patch", "delete")
UPLOAD = ("/api/v1/activities/{id}/evidence/", "post")
TRANSLATED = ("description", "summary")


@pytest.fixture(scope="module")
def schemas(django_db_blocker):
    """The schema served to a Spanish and to an English caller."""
    with django_db_blocker.unblock():
        client = Client()
        return {
            language: client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE=language).json()
            for language in ("es", "en")
        }


@pytest.fixture(scope="module")
def schema(schemas):
    return schemas["es"]


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_each_body_has_one_encoding_json_but_for_the_upload(schema):
    encodings = {
        (path, method): sorted(operation["requestBody"]["content"])
        for path, method, operation in operations(schema)
        if "requestBody" in operation
    }
    assert encodings.pop(UPLOAD) == ["multipart/form-data"]
    assert len(encodings) > 10
    assert {(key, tuple(types)) for key, types in encodings.items() if types != ["application/json"]} == set()


def test_each_answer_is_read_one_way(schema):
    # Several types only where all are JSON (a GeoJSON map also served as plain JSON).
    mixed = [
        (path, method, code, sorted(response["content"]))
        for path, method, operation in operations(schema)
        for code, response in operation["responses"].items()
        if len(response.get("content", {})) > 1 and not all(kind.endswith("json") for kind in response["content"])
    ]
    assert mixed == []


@pytest.mark.parametrize("path", ["/api/v1/reports/{id}/download/", "/api/v1/evidence/{id}/download/"])
def test_files_are_declared_as_bytes(schema, path):
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]
    assert content == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


def test_path_ids_are_integers(schema):
    ids = [
        (path, parameter["schema"])
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] == "id"
    ]
    assert len(ids) > 20
    assert {path for path, kind in ids if kind.get("type") != "integer" or kind.get("minimum") != 1} == set()


def test_coordinates_are_bounded_to_peru_as_the_server_checks(schema):
    for component in ("Activity", "ActivityRequest", "PatchedActivityRequest"):
        properties = schema["components"]["schemas"][component]["properties"]
        for field, axis in (("latitude", "lat"), ("longitude", "lon")):
            bounds = (properties[field]["minimum"], properties[field]["maximum"])
            assert bounds == (float(PERU_BOUNDS[f"min_{axis}"]), float(PERU_BOUNDS[f"max_{axis}"])), component
            assert properties[field]["nullable"] is True
            assert "exclusiveMaximum" not in properties[field]


def test_counts_are_bounded_by_the_models_limit(schema):
    properties = schema["components"]["schemas"]["ActivityRequest"]["properties"]
    for field in (*PARTICIPANT_FIELDS, "families"):
        assert (properties[field]["minimum"], properties[field]["maximum"]) == (0, MAX_COUNT), field
    leaders = schema["components"]["schemas"]["SupportNetworkRequest"]["properties"]["leaders"]
    assert leaders["maximum"] == MAX_COUNT
    year = schema["components"]["schemas"]["TargetRequest"]["properties"]["year"]
    assert (year["minimum"], year["maximum"]) == (2024, 2100)


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("StatisticsFilters", "region"),
        ("StatisticsFilters", "objective"),
        ("StatisticsFilters", "service"),
        ("Statistics", "release"),
        ("Statistics", "organisations"),
        ("Report", "region"),
    ],
)
def test_what_can_be_null_is_declared_so_that_validators_agree(schema, component, field):
    declared = schema["components"]["schemas"][component]["properties"][field]
    # `nullable` beside an allOf without `type` allows no null (OpenAPI 3.0.3): null is one of the choices.
    assert {"$ref": "#/components/schemas/NullEnum"} in declared["oneOf"]
    assert schema["components"]["schemas"]["NullEnum"] == {"enum": [None]}


def test_no_nullable_hides_beside_an_allof(schema):
    def hidden(node):
        if isinstance(node, dict):
            here = node.get("nullable") is True and "allOf" in node and "type" not in node
            return here or any(hidden(value) for value in node.values())
        return isinstance(node, list) and any(hidden(item) for item in node)

    assert not hidden(schema)


def test_the_token_is_declared_as_bearer(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"


def test_json_reads_declare_if_none_match_and_304(schema):
    reads = [
        (path, operation)
        for path, method, operation in operations(schema)
        if method == "get" and "application/json" in operation["responses"]["200"].get("content", {})
    ]
    assert len(reads) > 20
    for path, operation in reads:
        assert "304" in operation["responses"], path
        assert "If-None-Match" in {parameter["name"] for parameter in operation["parameters"]}, path


def without_descriptions(node):
    """The schema's names and shapes: descriptions (translated labels) left out."""
    if isinstance(node, dict):
        return {
            key: without_descriptions(value) for key, value in node.items() if key not in ("description", "summary")
        }
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


def test_names_do_not_depend_on_the_language(schemas):
    spanish, english = schemas["es"], schemas["en"]
    assert sorted(spanish["components"]["schemas"]) == sorted(english["components"]["schemas"])
    assert "ActivityStatus" in spanish["components"]["schemas"]
    assert without_descriptions(spanish) == without_descriptions(english)


def test_no_schema_has_a_title_for_generators_to_name_classes_after(schema):
    def titles(node):
        if isinstance(node, dict):
            found = [node["title"]] if isinstance(node.get("title"), str) else []
            return found + [title for value in node.values() for title in titles(value)]
        return [title for item in node for title in titles(item)] if isinstance(node, list) else []

    assert titles(schema["paths"]) + titles(schema["components"]) == []
