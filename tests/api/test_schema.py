"""The OpenAPI schema is the API's contract: it validates with no warning, documents the error
shape for the codes the API returns, and its docs page loads nothing from another site."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.yml"
    with django_db_blocker.unblock():
        # --fail-on-warn turns any warning (an unresolvable type, a missing serializer) into an error.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Prevenir para Proteger API"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/token/",
        "/api/v1/regions/",
        "/api/v1/regions/{slug}/",
        "/api/v1/objectives/",
        "/api/v1/programs/",
        "/api/v1/services/",
        "/api/v1/indicators/{id}/",
        "/api/v1/targets/",
        "/api/v1/targets/{id}/",
    ],
)
def test_each_resource_is_documented(schema, path):
    assert path in schema["paths"]


@pytest.mark.parametrize(
    "path, method, codes",
    [
        ("/api/v1/auth/token/", "post", {"200", "400", "405", "415", "429"}),
        ("/api/v1/auth/token/", "delete", {"204", "401", "403", "429"}),
        ("/api/v1/regions/", "get", {"200", "400", "401", "404", "429"}),
        ("/api/v1/targets/", "post", {"201", "400", "401", "403", "415"}),
        ("/api/v1/targets/{id}/", "patch", {"200", "400", "401", "403", "404"}),
        ("/api/v1/indicators/{id}/", "delete", {"204", "401", "403", "404"}),
    ],
)
def test_the_codes_the_api_returns_are_documented_with_the_error_shape(schema, path, method, codes):
    responses = schema["paths"][path][method]["responses"]
    assert codes <= set(responses)
    for code in codes - {"200", "201", "204"}:
        assert responses[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_filters_are_documented(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/targets/"]["get"]["parameters"]}
    assert {"indicator", "region", "year", "quarter", "page", "page_size"} <= set(parameters)
    assert parameters["year"]["schema"]["type"] == "integer"
    assert "slug" in parameters["region"]["description"]


def test_the_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/targets/" in body["paths"]


def test_the_docs_page_uses_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith(("/static/", "/api/")), asset
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among the static files"
    assert "cdn" not in page.lower()
    assert "https://" not in page


def test_the_docs_script_is_served_as_a_file_for_the_csp(client):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()
