"""The change history on an activity's page says, in the page's language, who changed what and when:
each field by its label, with its value before and after; bookkeeping fields are left out."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from activities.services import activity_save, activity_transition

from .factories import ActivityFactory


def history_on_page(client, activity, lang):
    """The history entries as the page shows them (labels read in its language), and the page."""
    with translation.override(lang):
        response = client.get(reverse("activities:detail", args=[activity.pk]))
        assert response.status_code == 200
        entries = [
            {
                "type": str(entry["type"]),
                "changes": [(str(c["label"]), str(c["old"]), str(c["new"])) for c in entry["changes"]],
            }
            for entry in response.context["history"]
        ]
    return entries, response.content.decode()


def changes(entry):
    return entry["changes"]


@pytest.fixture
def edited(amazonas, coord_amazonas):
    """A draft whose title, families and modality were edited, then submitted."""
    activity = ActivityFactory(
        region=amazonas, created_by=coord_amazonas, title="Taller en Luya", families=4, with_evidence=True
    )
    activity.title = "Taller de crianza en Luya"
    activity.families = 9
    activity.modality = "virtual"
    activity.start_date = activity.end_date = datetime.date(2025, 3, 11)
    activity._history_user = coord_amazonas  # what the history middleware records for a page's request
    activity_save(activity=activity, expected_version=1)
    activity_transition(activity=activity, action="submit", by=coord_amazonas)
    return activity


@pytest.fixture
def amazonas_client(coord_amazonas):
    client = Client()
    client.force_login(coord_amazonas)
    return client


def test_each_change_lists_the_fields_by_their_spanish_label_with_before_and_after(amazonas_client, edited):
    history, html = history_on_page(amazonas_client, edited, "es")
    submitted, edit, created = history
    assert changes(edit) == [
        ("título", "Taller en Luya", "Taller de crianza en Luya"),
        ("fecha de inicio", "10/03/2025", "11/03/2025"),
        ("fecha de término", "10/03/2025", "11/03/2025"),
        ("modalidad", "Presencial", "Virtual"),
        ("familias alcanzadas", "4", "9"),
    ]
    assert changes(submitted) == [("estado", "Borrador", "Enviada")]
    assert created["changes"] == []
    assert '<th scope="row">Título</th><td>Taller en Luya</td><td>Taller de crianza en Luya</td>' in html
    assert "coord-amazonas" in html


def test_the_same_history_reads_in_english_on_the_english_page(amazonas_client, edited):
    history, _ = history_on_page(amazonas_client, edited, "en")
    submitted, edit, _ = history
    assert ("families reached", "4", "9") in changes(edit)
    assert ("modality", "In person", "Virtual") in changes(edit)
    assert changes(submitted) == [("status", "Draft", "Submitted")]


def test_the_kind_of_change_is_translated_not_a_raw_code(amazonas_client, edited):
    history, html = history_on_page(amazonas_client, edited, "es")
    with translation.override("es"):
        kinds = [pgettext("history of an activity", kind) for kind in ("Changed", "Changed", "Created")]
    assert [entry["type"] for entry in history] == kinds
    assert "versión" not in [label for entry in history for label, _, _ in entry["changes"]]


def test_bookkeeping_fields_are_left_out(amazonas_client, edited):
    history, html = history_on_page(amazonas_client, edited, "en")
    labels = {label for entry in history for label, _, _ in entry["changes"]}
    assert labels.isdisjoint({"version", "updated at", "client UUID", "approved at"})
    assert "client_uuid" not in html


def test_a_change_of_objective_shows_the_objectives_names(amazonas_client, edited, staff):
    from programs.models import Objective

    activity_transition(activity=edited, action="return", by=staff, comment="Es del OE2.")
    edited.refresh_from_db()
    oe2 = Objective.objects.get(code="OE2")
    edited.objective = oe2
    edited.service = oe2.services.order_by("slug").first()
    activity_save(activity=edited, expected_version=edited.version)
    history, _ = history_on_page(amazonas_client, edited, "es")
    with translation.override("es"):
        before = f"OE1 · {Objective.objects.get(code='OE1').localized('title')}"
        after = f"OE2 · {oe2.localized('title')}"
    assert ("objetivo", before, after) in changes(history[0])
