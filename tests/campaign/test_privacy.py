"""The public rule on every page and file: approved activities only, points to about 1 km, counts
from 1 to 4 shown as "<5" and not derivable from a total minus the parts, and nothing about the
people who logged, reviewed or took part, nor their evidence."""

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities.evidence import evidence_attach
from activities.services import activity_transition
from tests.factories import ActivityFactory, UserFactory, coordinator

from .public import DOWNLOADS, LANGUAGES, PAGES, SIX, assert_not_derivable, csv_rows, table_lines, text

NEVER_PUBLIC = [
    "Rosalinda",  # a name in the description and the place, which the public never sees
    "ana.quispe",  # the coordinator's user name, and her email
    "rev.torres",  # the reviewer's
    "example.org",
    "Lista de asistencia firmada",  # the evidence's caption
    "/evidence/",
    "Bien documentado",  # the review comment
    "Taller aún en revisión",  # submitted, not approved
    "Borrador sin enviar",  # a draft
    "Actividad devuelta",  # returned
    "-6.2345",  # the exact point
    "-77.8765",
]


def photo():
    content = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 140, 200)).save(content, "JPEG")
    return SimpleUploadedFile("foto-de-ana.jpg", content.getvalue(), content_type="image/jpeg")


@pytest.fixture
def small_campaign(amazonas, publish):
    """One approved workshop with 3 women and 40 men, and activities the public must never see."""
    ana = coordinator("ana.quispe", amazonas)
    reviewer = UserFactory(username="rev.torres", role="ministry")
    approved = ActivityFactory(
        title="Feria en Leimebamba", women=3, men=40, adolescent_girls=0, families=0, created_by=ana,
        description="Con la señora Rosalinda y sus hijas", place_name="Casa de Rosalinda",
        latitude=Decimal("-6.234567"), longitude=Decimal("-77.876543"),
    )  # fmt: skip
    caption = "Lista de asistencia firmada"
    evidence, _ = evidence_attach(activity=approved, uploaded_file=photo(), caption=caption, by=ana)
    activity_transition(activity=approved, action="submit", by=ana)
    activity_transition(activity=approved, action="approve", by=reviewer, comment="Bien documentado")
    point = {"latitude": Decimal("-6.2345"), "longitude": Decimal("-77.8765"), "created_by": ana}
    ActivityFactory(title="Taller aún en revisión", status="submitted", **point)
    ActivityFactory(title="Borrador sin enviar", status="draft", **point)
    ActivityFactory(title="Actividad devuelta", status="returned", **point)
    publish()
    return {"approved": approved, "evidence": evidence}


def every_response(client):
    for lang in LANGUAGES:
        for path in [*PAGES, *DOWNLOADS]:
            response = client.get(f"/{lang}/{path}")
            assert response.status_code == 200, path
            yield f"/{lang}/{path}", text(response)


def test_nothing_private_reaches_any_page_or_file(client, small_campaign):
    file_name = small_campaign["evidence"].file.name.rsplit("/", 1)[-1]
    for url, body in every_response(client):
        for secret in [*NEVER_PUBLIC, file_name]:
            assert secret not in body, f"{secret!r} in {url}"


def test_the_approved_activity_is_public_with_its_point_rounded(client, small_campaign):
    html = client.get("/es/mapa/").content.decode()
    assert "Feria en Leimebamba" in html
    assert "-6,23" in html or "-6.23" in html
    rows = csv_rows(client.get("/es/datos-abiertos/actividades.csv"))
    assert [(row["title"], row["latitude"], row["longitude"]) for row in rows] == [
        ("Feria en Leimebamba", "-6.23", "-77.88")
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_no_table_lets_a_small_count_be_worked_out(client, small_campaign, lang, path):
    html = client.get(f"/{lang}/{path}").content.decode()
    for parts, total in table_lines(html):
        assert_not_derivable(parts, total, f"/{lang}/{path}")


@pytest.mark.parametrize("path", ["estadisticas/", "regiones/amazonas/"])
def test_the_three_women_show_as_under_five_and_the_men_are_hidden_too(client, small_campaign, path):
    html = client.get(f"/es/{path}").content.decode()
    assert 'data-field="women" class="num">&lt;5<' in html
    assert 'data-field="men" class="num">x<' in html
    assert 'data-field="participants" class="num">43<' in html


def test_the_charts_draw_no_bar_for_a_hidden_count(client, small_campaign):
    html = client.get("/en/estadisticas/").content.decode()
    chart = html.split('id="chart-sex-age-desc">', 1)[1].split("</desc>", 1)[0]
    assert "women (18+)" in chart and "men (18+)" in chart
    assert "women (18+): 3" not in chart and "men (18+): 40" not in chart


@pytest.mark.parametrize("name", ["cifras-region-objetivo.csv", "agregados.csv"])
def test_the_region_and_objective_file_protects_every_line(client, small_campaign, name):
    rows = csv_rows(client.get(f"/es/datos-abiertos/{name}"))
    cell = {(row["region_slug"], row["objective_code"]): row for row in rows}
    workshop = cell[("amazonas", "OE1")]
    assert (workshop["women"], workshop["men"], workshop["participants"]) == ("<5", "x", "43")
    assert workshop["activities"] == "1"  # activities are public events, counted exactly
    for row in rows:
        assert_not_derivable(
            [row[f] for f in SIX], row["participants"], f"{row['region_slug']}/{row['objective_code']}"
        )
    fields = [*SIX, "participants", "families"]
    regions = {slug for slug, _ in cell} - {"all"}
    objectives = {code for _, code in cell} - {"all"}
    for field in fields:
        for code in [*objectives, "all"]:
            assert_not_derivable([cell[(r, code)][field] for r in regions], cell[("all", code)][field], field)
        for slug in [*regions, "all"]:
            assert_not_derivable([cell[(slug, o)][field] for o in objectives], cell[(slug, "all")][field], field)


def test_the_regions_geojson_has_flat_properties(client, small_campaign):
    collection = json.loads(text(client.get("/es/datos-abiertos/regiones.geojson")))
    amazonas = next(f["properties"] for f in collection["features"] if f["properties"]["slug"] == "amazonas")
    assert amazonas["activities"] == 1
    assert (amazonas["participants"], amazonas["participants_hidden"], amazonas["participants_status"]) == (
        43, False, ""
    )  # fmt: skip
    assert (amazonas["families"], amazonas["families_hidden"]) == (0, False)
    for feature in collection["features"]:
        assert not any(isinstance(value, dict | list) for value in feature["properties"].values())


@pytest.mark.parametrize("query", ["", "?limit=10"])
def test_the_activities_geojson_has_rounded_points_and_no_counts(client, small_campaign, query):
    collection = json.loads(text(client.get(f"/es/datos-abiertos/actividades.geojson{query}")))
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-77.88, -6.23]}
    assert set(feature["properties"]) == {
        "id", "title", "region_slug", "region", "objective_code", "service_slug", "service", "start_date",
        "end_date", "modality",
    }  # fmt: skip
    assert (feature["properties"]["start_date"], feature["properties"]["end_date"]) == ("2025-03", "2025-03")


def test_a_formula_in_a_title_is_not_run_by_a_spreadsheet(client, amazonas, publish):
    ActivityFactory(title='=HYPERLINK("https://evil.example")', status="approved")
    publish()
    rows = csv_rows(client.get("/es/datos-abiertos/actividades.csv"))
    assert rows[0]["title"].startswith("'=")
