"""Open data is a Frictionless Data Package of the latest release (Table Schemas that validate,
CSV with a byte order mark, flat GeoJSON) with a DCAT catalogue, and every release stays readable."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone
from frictionless import Package

from regions.models import Region
from tests.factories import ActivityFactory

from .public import csv_rows, text


@pytest.fixture
def released(amazonas, publish):
    ancash = Region.objects.get(slug="ancash")
    ActivityFactory(
        title="Feria en Huaraz", region=ancash, women=30, men=25, families=12,
        description="Con la familia Quispe", place_name="Casa comunal de Rosalinda", district="Independencia",
        latitude=Decimal("-9.527912"), longitude=Decimal("-77.528456"), status="approved",
    )  # fmt: skip
    ActivityFactory(title="Taller en Chachapoyas", status="approved", start_date="2026-02-03", end_date="2026-02-04")
    return publish()


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def test_the_package_validates_with_frictionless(client, released, tmp_path):
    base = f"/es/datos-abiertos/publicaciones/{released.number}/"
    descriptor = json.loads(download(client, base + "datapackage.json").content)
    for resource in descriptor["resources"]:
        (tmp_path / resource["path"]).write_bytes(
            b"".join(download(client, base + resource["path"]).streaming_content)
            if resource["path"].endswith("csv") or resource["path"] == "actividades.geojson"
            else download(client, base + resource["path"]).content
        )
    report = Package(descriptor, basepath=str(tmp_path)).validate()
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])


def test_the_latest_package_names_its_release_and_points_into_its_folder(client, released):
    descriptor = json.loads(download(client, "/en/datos-abiertos/datapackage.json").content)
    assert descriptor["version"] == str(released.number)
    assert descriptor["release"]["number"] == released.number
    assert descriptor["release"]["cut_off"] == timezone.localtime(released.cut_off).isoformat()
    assert descriptor["created"] == timezone.localtime(released.built_at).isoformat()
    paths = {resource["path"] for resource in descriptor["resources"]}
    assert f"publicaciones/{released.number}/cifras-region-objetivo.csv" in paths
    for resource in descriptor["resources"]:
        assert download(client, f"/en/datos-abiertos/{resource['path']}")


def test_every_table_schema_keeps_codes_as_text_and_counts_as_integers(client, released):
    descriptor = json.loads(download(client, "/es/datos-abiertos/datapackage.json").content)
    tables = [resource for resource in descriptor["resources"] if "schema" in resource]
    assert len(tables) == 6
    for resource in tables:
        schema = resource["schema"]
        assert schema["missingValues"] == ["", "<5", "x"]
        types = {field["name"]: field["type"] for field in schema["fields"]}
        assert types.get("inei_code", "string") == "string"
        for name in ("activities", "participants", "families", "women"):
            assert types.get(name, "integer") == "integer"


def test_csv_files_start_with_a_byte_order_mark_and_keep_accents(client, released):
    response = download(client, "/es/datos-abiertos/cifras-region-objetivo.csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert "Áncash" in body.decode("utf-8")
    rows = csv_rows(client.get("/es/datos-abiertos/cifras-region-objetivo.csv"))
    ancash = next(row for row in rows if row["region_slug"] == "ancash" and row["objective_code"] == "all")
    assert (ancash["inei_code"], ancash["activities"], ancash["participants"]) == ("02", "1", "60")


def test_the_period_file_has_years_quarters_and_months(client, released):
    rows = csv_rows(client.get("/es/datos-abiertos/cifras-periodo.csv"))
    keys = {(row["period"], row["period_type"], row["objective_code"]) for row in rows}
    assert {("2025", "year", "all"), ("2026", "year", "OE1"), ("2026-Q1", "quarter", "all")} <= keys
    assert {("2025-03", "month", "all"), ("2026-02", "month", "all")} <= keys


def test_the_regions_geojson_is_geojson_with_flat_properties(client, released):
    response = download(client, "/es/datos-abiertos/regiones.geojson")
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        for key, value in feature["properties"].items():
            assert value is None or isinstance(value, str | int | bool), (key, value)
    ancash = next(f["properties"] for f in collection["features"] if f["properties"]["slug"] == "ancash")
    assert ancash["name"] == "Áncash" and ancash["inei_code"] == "02"
    assert (ancash["participants"], ancash["participants_hidden"], ancash["participants_status"]) == (60, False, "")


def test_a_hidden_count_is_null_with_its_marker(client, amazonas, publish):
    ActivityFactory(women=3, men=0, adolescent_girls=0, families=2, status="approved")
    release = publish()
    url = f"/es/datos-abiertos/publicaciones/{release.number}/regiones.geojson"
    collection = json.loads(download(client, url).content)
    amazonas = next(f["properties"] for f in collection["features"] if f["properties"]["slug"] == "amazonas")
    assert (amazonas["participants"], amazonas["participants_hidden"], amazonas["participants_status"]) == (
        None, True, "<5"
    )  # fmt: skip
    assert (amazonas["families"], amazonas["families_status"]) == (None, "<5")
    assert amazonas["activities"] == 1


def test_the_dcat_catalogue_lists_every_file(client, released):
    response = download(client, "/es/datos-abiertos/catalogo.jsonld")
    assert response["Content-Type"] == "application/ld+json"
    catalogue = json.loads(response.content)
    assert catalogue["@type"] == "dcat:Catalog"
    [dataset] = catalogue["dcat:dataset"]
    assert dataset["@type"] == "dcat:Dataset" and dataset["owl:versionInfo"] == str(released.number)
    descriptor = json.loads(download(client, "/es/datos-abiertos/datapackage.json").content)
    base = f"https://prevenir.example.pe/es/datos-abiertos/publicaciones/{released.number}/"
    expected = {base + resource["path"].rsplit("/", 1)[-1] for resource in descriptor["resources"]}
    distributions = dataset["dcat:distribution"]
    urls = {item["dcat:downloadURL"]["@id"] for item in distributions}
    assert urls == expected | {base + "datapackage.json"}
    modified = timezone.localtime(released.built_at).isoformat()
    for item in distributions:
        assert item["@type"] == "dcat:Distribution"
        assert item["dcat:mediaType"]["@id"].startswith("https://www.iana.org/assignments/media-types/")
        assert item["dct:modified"]["@value"] == modified
        assert download(client, item["dcat:downloadURL"]["@id"].removeprefix("https://prevenir.example.pe"))


def test_activity_records_carry_no_counts_text_place_or_day(client, released):
    [row] = [row for row in csv_rows(client.get("/es/datos-abiertos/actividades.csv")) if row["region"] == "Áncash"]
    assert set(row) == {
        "id", "title", "region_slug", "region", "objective_code", "service_slug", "service", "start_date",
        "end_date", "modality", "latitude", "longitude",
    }  # fmt: skip
    assert (row["start_date"], row["end_date"], row["latitude"], row["longitude"]) == (
        "2025-03", "2025-03", "-9.53", "-77.53"
    )  # fmt: skip
    everything = "".join(
        text(client.get(url))
        for url in (
            "/es/datos-abiertos/actividades.csv", "/es/datos-abiertos/actividades.geojson", "/es/mapa/",
            "/es/regiones/ancash/", "/es/datos-abiertos/actividades.geojson?limit=5",
        )
    )  # fmt: skip
    for secret in ("Quispe", "Rosalinda", "Independencia", "2025-03-10", "10/03/2025", "10 de marzo"):
        assert secret not in everything


def test_an_older_release_stays_readable_and_the_pages_show_the_latest(client, released, publish):
    ActivityFactory(title="Taller en Luya", status="approved", women=20)
    latest = publish()
    old = csv_rows(client.get(f"/es/datos-abiertos/cifras-region-objetivo.csv?publicacion={released.number}"))
    new = csv_rows(client.get("/es/datos-abiertos/cifras-region-objetivo.csv"))
    total = {row["objective_code"]: row["activities"] for row in old if row["region_slug"] == "all"}
    assert total["all"] == "2"
    national = next(row for row in new if (row["region_slug"], row["objective_code"]) == ("all", "all"))
    assert national["activities"] == "3"
    pinned = csv_rows(client.get(f"/es/datos-abiertos/publicaciones/{released.number}/actividades.csv"))
    assert "Taller en Luya" not in {row["title"] for row in pinned}
    url = f"/es/datos-abiertos/datapackage.json?publicacion={released.number}"
    old_package = json.loads(download(client, url).content)
    assert old_package["version"] == str(released.number)
    listing = text(client.get("/es/datos-abiertos/publicaciones/"))
    assert f'id="release-{released.number}"' in listing and f'id="release-{latest.number}"' in listing
    assert f'data-release="{latest.number}"' in text(client.get("/es/estadisticas/"))


@pytest.mark.parametrize(
    "url",
    [
        "/es/datos-abiertos/publicaciones/99/datapackage.json",
        "/es/datos-abiertos/cifras-periodo.csv?publicacion=99",
        "/es/datos-abiertos/cifras-periodo.csv?publicacion=uno",
        "/es/datos-abiertos/cifras-inventadas.csv",
    ],
)
def test_an_unknown_release_or_file_is_404(client, released, url):
    assert client.get(url).status_code == 404
