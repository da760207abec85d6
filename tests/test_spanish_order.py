"""Names come in the order a Spanish reader expects (Amazonas, Áncash, Arequipa, …), not with Áncash
after Tumbes as bytes and PostgreSQL's C collation put it: in Python's sorts, the database's, the
pages, the activity form, the API and the files people download."""

import csv
import io
import re

import pytest
from django.db import connection
from django.urls import reverse

from prevent_protect.collation import COLLATION, spanish_key, spanish_sorted
from publication.services import release_publish
from regions.models import Region

# The 15 regions of the reference data, as a Spanish reader lists them.
SPANISH = [
    "Amazonas",
    "Áncash",
    "Arequipa",
    "Ayacucho",
    "Cajamarca",
    "Callao",
    "Cusco",
    "Huánuco",
    "Lambayeque",
    "Lima Metropolitana",
    "Loreto",
    "Madre de Dios",
    "Puno",
    "San Martín",
    "Tumbes",
]

# The columns regions/migrations/0002_spanish_collation.py sorts in Spanish.
COLLATED = [
    ("regions_region", "name"),
    ("activities_institution", "name"),
    ("activities_supportnetwork", "name"),
    ("programs_program", "name"),
    ("programs_program", "acronym"),
    ("programs_service", "name"),
    ("programs_indicator", "name"),
]

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no ICU collation: it sorts by code point"
)


def option_texts(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [
        text.strip() for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select) if value
    ]


# Python's sort key ------------------------------------------------------------------------------


def test_the_sort_key_puts_ancash_second_among_the_regions():
    assert spanish_sorted(sorted(SPANISH)) == SPANISH
    assert sorted(SPANISH) != SPANISH  # the default sort does not: Áncash goes last


def test_enye_is_a_letter_after_n():
    words = ["Ñandú", "Oca", "Nuñoa", "ñame", "nuevo", "ano", "año", "anzuelo"]
    assert spanish_sorted(words) == ["ano", "anzuelo", "año", "nuevo", "Nuñoa", "ñame", "Ñandú", "Oca"]


def test_accents_and_case_only_break_ties():
    assert spanish_sorted(["Áncash", "ancash", "Ancash", "Apurímac", "Amazonas", "ábaco"]) == [
        "ábaco",
        "Amazonas",
        "ancash",
        "Ancash",
        "Áncash",
        "Apurímac",
    ]
    assert spanish_sorted(["Huanuco", "Huánuco", "huánuco", "Huaral"]) == ["Huanuco", "huánuco", "Huánuco", "Huaral"]


def test_spaces_and_punctuation_come_before_letters():
    assert spanish_sorted(["Limache", "Lima Metropolitana", "Lima"]) == ["Lima", "Lima Metropolitana", "Limache"]
    assert spanish_sorted(["Asistencia", "¡Actuemos Ya!"]) == ["¡Actuemos Ya!", "Asistencia"]


def test_different_names_never_tie_and_empty_names_sort_first():
    assert spanish_key("Áncash") != spanish_key("Ancash")
    assert spanish_sorted(["Puno", "", "Cusco"]) == ["", "Cusco", "Puno"]
    assert spanish_key(None) == spanish_key("")


def test_the_public_release_lists_regions_in_spanish_order_on_any_database(db):
    # Built in Python: right on SQLite too, where the database sorts by code point.
    from publication.datapackage import ordered_regions

    assert [region.name for region in ordered_regions()] == SPANISH


# The database ----------------------------------------------------------------------------------


@on_postgresql
def test_every_name_column_sorts_in_spanish(db):
    # An AlterField on one of these columns rewrites its type without the collation: re-apply it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
        found = {(table, column): collation for table, column, collation in cursor.fetchall()}
        found = {column: found[column] for column in COLLATED}
    assert found == dict.fromkeys(COLLATED, COLLATION)


@on_postgresql
def test_python_and_postgresql_agree_on_the_order(db):
    words = [
        *SPANISH, "Apurímac", "ancash", "ÁNCASH", "Ñandú", "ñame", "Nuñoa", "Oca", "año", "anzuelo", "Cañete",
        "Canto", "Pingüino", "Pinguino", "Red 10", "Red 2", "Red de Bagua", "¡Actuemos Ya!", "Lima", "Limache",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT word FROM unnest(%s::text[]) AS word ORDER BY word COLLATE {COLLATION}", [words])
        in_database = [word for (word,) in cursor.fetchall()]
    assert in_database == spanish_sorted(words)


@on_postgresql
def test_a_plain_queryset_of_regions_comes_in_spanish_order(db):
    assert list(Region.objects.values_list("name", flat=True)) == SPANISH
    assert list(Region.objects.order_by("-name").values_list("name", flat=True)) == SPANISH[::-1]


# What people see -------------------------------------------------------------------------------


@on_postgresql
def test_the_activity_forms_region_dropdown_is_in_spanish_order(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("activities:create"))
    assert response.status_code == 200
    assert option_texts(response.content.decode(), "region") == SPANISH


@on_postgresql
def test_the_admins_region_list_is_in_spanish_order(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:regions_region_changelist"))
    assert response.status_code == 200
    names = re.findall(r'<th class="field-name"><a href="[^"]+">([^<]+)</a>', response.content.decode())
    assert names == SPANISH


@on_postgresql
@pytest.mark.parametrize("ordering", [None, "name", "-name"])
def test_the_api_lists_regions_in_spanish_order(client, db, ordering):
    response = client.get("/api/v1/regions/", {"ordering": ordering} if ordering else {})
    assert response.status_code == 200
    names = [row["name"] for row in response.json()["results"]]
    assert names == (SPANISH[::-1] if ordering == "-name" else SPANISH)


@pytest.fixture
def released(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return release_publish()


def test_the_public_region_page_lists_regions_in_spanish_order(client, released):
    response = client.get(reverse("campaign:regions"))
    assert response.status_code == 200
    names = re.findall(r'<th scope="row"><a href="[^"]+/regiones/[^"]+">([^<]+)</a>', response.content.decode())
    assert names == SPANISH


def test_the_open_data_csv_lists_regions_in_spanish_order(client, released):
    response = client.get("/es/datos-abiertos/cifras-region-objetivo.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    names = list(dict.fromkeys(row["region"] for row in rows if row["region"] in SPANISH))
    assert names == SPANISH
