"""The activity form of the panel: a coordinator logs a draft, bad input is refused on the
right field in the coordinator's language with nothing saved, two people editing at once
never overwrite each other silently, and an approved activity is read-only."""

import re
from decimal import Decimal

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.core.validators import MinValueValidator
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from activities.models import Activity
from programs.models import Objective, Service

from .factories import ActivityFactory, InstitutionFactory, coordinator
from .factories import activity_form_data as form_data


def url(name, lang="es", *args):
    with translation.override(lang):
        return reverse(f"activities:{name}", args=args)


def edit_data(activity, **overrides):
    """The edit form as the page fills it from the activity, with the person's changes."""
    data = form_data(
        activity.region,
        objective=activity.objective_id,
        service=activity.service_id,
        title=activity.title,
        start_date=activity.start_date.isoformat(),
        end_date=activity.end_date.isoformat(),
        latitude="",
        longitude="",
        version=activity.version,
    )
    data.update(overrides)
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


class TestCreating:
    def test_a_valid_form_creates_a_draft_and_opens_it(self, amazonas_client, amazonas, coord_amazonas):
        partners = [InstitutionFactory(region=amazonas, name=name) for name in ("UGEL Bagua", "DEMUNA Luya")]
        data = form_data(amazonas, institutions=[partner.pk for partner in partners])
        response = amazonas_client.post(url("create"), data)
        activity = Activity.objects.get()
        assert response.status_code == 302
        assert response.url == url("detail", "es", activity.pk)
        assert activity.status == Activity.Status.DRAFT
        assert (activity.created_by, activity.region, activity.version) == (coord_amazonas, amazonas, 1)
        assert set(activity.institutions.all()) == set(partners)
        assert activity.title == "Taller de prevención en la comunidad"
        assert (activity.latitude, activity.longitude) == (Decimal("-6.2294"), Decimal("-77.8728"))
        assert activity.participants_total == 25
        assert activity.families == 6

    def test_the_region_is_chosen_for_a_coordinator_of_one_region(self, amazonas_client, amazonas):
        form = amazonas_client.get(url("create")).context["form"]
        assert form["region"].value() == amazonas.pk
        assert list(form.fields["region"].queryset) == [amazonas]

    def test_a_staff_reviewer_cannot_log_activities(self, client, staff):
        client.force_login(staff)
        assert client.get(url("create")).status_code == 403

    def test_each_service_option_names_the_objectives_it_serves(self, amazonas_client):
        page = amazonas_client.get(url("create")).content.decode()
        found = re.findall(r'<option value="(\d+)"[^>]*?data-objectives="([\d ]*)"', page)
        options = {int(service): {int(pk) for pk in objectives.split()} for service, objectives in found}
        services = Service.objects.prefetch_related("objectives")
        assert options == {s.pk: {o.pk for o in s.objectives.all()} for s in services}
        men_for_equality = options[Service.objects.get(slug="hombres-por-la-igualdad").pk]
        assert Objective.objects.get(code="OE1").pk in men_for_equality
        assert Objective.objects.get(code="OE2").pk not in men_for_equality


def other_objectives_service():
    return {
        "objective": Objective.objects.get(code="OE2").pk,
        "service": Service.objects.get(slug="hombres-por-la-igualdad").pk,
    }


# Bad input: (what is typed, the field the error belongs to, the message as Django or the model words it).
BAD_INPUT = {
    "negative-count": (
        {"women": -3},
        "women",
        lambda: str(MinValueValidator.message) % {"limit_value": 0},
    ),
    "absurd-count": (
        {"men": 100_001},
        "men",
        lambda: gettext("%(value)s is too many for one activity; check the number.") % {"value": 100001},
    ),
    "end-before-start": (
        {"start_date": "2025-04-10", "end_date": "2025-04-09"},
        "end_date",
        lambda: gettext("The end date cannot be before the start date."),
    ),
    "point-outside-peru": (
        {"latitude": "40", "longitude": "-3"},
        "latitude",
        lambda: (
            gettext(
                "The point (%(lat)s, %(lon)s) is outside Peru. Check the latitude (south is negative) and longitude."
            )
            % {"lat": Decimal("40"), "lon": Decimal("-3")}
        ),
    ),
    "only-latitude": (
        {"latitude": "-6.2294", "longitude": ""},
        "longitude",
        lambda: gettext("Give both latitude and longitude, or neither."),
    ),
    "service-of-another-objective": (
        other_objectives_service,
        "service",
        lambda: gettext("This service does not serve the chosen objective; choose one of its services."),
    ),
    # A draft may lack its objective, service, title and dates (tests/test_partial_drafts.py), not its region.
    "missing-region": ({"region": ""}, "region", lambda: str(forms.Field.default_error_messages["required"])),
    "unknown-objective": (
        {"objective": "99999"},
        "objective",
        lambda: str(forms.ModelChoiceField.default_error_messages["invalid_choice"]),
    ),
    "non-numeric-count": (
        {"girls": "abc"},
        "girls",
        lambda: str(forms.IntegerField.default_error_messages["invalid"]),
    ),
}


class TestBadInputIsRefusedOnItsField:
    @pytest.mark.parametrize("lang", ["es", "en"])
    @pytest.mark.parametrize(("typed", "field", "message"), BAD_INPUT.values(), ids=BAD_INPUT)
    def test_in_the_coordinators_language_and_nothing_is_saved(
        self, amazonas_client, amazonas, lang, typed, field, message
    ):
        ActivityFactory(region=amazonas)
        before = Activity.objects.count()
        overrides = typed() if callable(typed) else typed
        response = amazonas_client.post(url("create", lang), {**form_data(amazonas), **overrides})
        assert response.status_code == 400
        assert Activity.objects.count() == before
        with translation.override(lang):
            expected = message()
        errors = response.context["form"].errors
        assert list(errors) == [field]
        assert errors[field] == [expected]
        page = response.content.decode()
        assert 'id="error-summary"' in page
        assert f'href="#id_{field}"' in page
        assert escape(expected) in page

    def test_a_message_is_in_spanish_on_the_spanish_page(self, amazonas_client, amazonas):
        response = amazonas_client.post(url("create", "es"), form_data(amazonas, girls="abc"))
        assert response.context["form"].errors["girls"] == ["Introduzca un número entero."]
        assert '<html lang="es">' in response.content.decode()

    def test_the_same_message_is_in_english_on_the_english_page(self, amazonas_client, amazonas):
        response = amazonas_client.post(url("create", "en"), form_data(amazonas, girls="abc"))
        assert response.context["form"].errors["girls"] == ["Enter a whole number."]
        assert '<html lang="en">' in response.content.decode()

    def test_the_models_message_is_in_english_on_the_english_page(self, amazonas_client, amazonas):
        data = form_data(amazonas, start_date="2025-04-10", end_date="2025-04-09")
        response = amazonas_client.post(url("create", "en"), data)
        assert response.context["form"].errors["end_date"] == ["The end date cannot be before the start date."]

    def test_what_was_typed_stays_on_the_page(self, amazonas_client, amazonas):
        data = form_data(amazonas, title="Feria en Luya", women=-3)
        response = amazonas_client.post(url("create"), data)
        assert 'value="Feria en Luya"' in response.content.decode()


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, created_by=coord_amazonas, title="Taller en Bagua")


class TestEditing:
    def test_a_coordinator_edits_a_draft_and_the_version_goes_up(self, amazonas_client, draft):
        page = amazonas_client.get(url("edit", "es", draft.pk))
        assert page.status_code == 200
        version = page.context["form"]["version"].value()
        assert version == 1
        response = amazonas_client.post(url("edit", "es", draft.pk), edit_data(draft, title="Taller en Bagua Grande"))
        assert response.status_code == 302
        assert response.url == url("detail", "es", draft.pk)
        stored = Activity.objects.get(pk=draft.pk)
        assert (stored.title, stored.version, stored.status) == ("Taller en Bagua Grande", 2, "draft")
        with translation.override("es"):
            assert messages_of(response) == [gettext("Changes saved.")]

    def test_an_invalid_edit_is_refused_and_saves_nothing(self, amazonas_client, draft):
        response = amazonas_client.post(url("edit", "es", draft.pk), edit_data(draft, title="Otro", women=-1))
        assert response.status_code == 400
        assert list(response.context["form"].errors) == ["women"]
        stored = Activity.objects.get(pk=draft.pk)
        assert (stored.title, stored.version) == ("Taller en Bagua", 1)

    def test_of_two_people_editing_at_once_the_second_is_told_and_loses_nothing(
        self, client, draft, amazonas, coord_amazonas
    ):
        colleague = coordinator("coord-amazonas-2", amazonas)
        first, second = client, client.__class__()
        first.force_login(coord_amazonas)
        second.force_login(colleague)
        edit = url("edit", "es", draft.pk)
        version = first.get(edit).context["form"]["version"].value()
        assert second.get(edit).context["form"]["version"].value() == version

        saved = first.post(edit, edit_data(draft, title="Título de la primera", version=version))
        assert saved.status_code == 302
        refused = second.post(edit, edit_data(draft, title="Título de la segunda", version=version))

        assert refused.status_code == 409
        with translation.override("es"):
            conflict = gettext(
                "Someone else saved this activity while you were editing it. Your changes were not saved: "
                "reload it, then apply them again."
            )
        assert refused.context["form"].non_field_errors() == [conflict]
        page = refused.content.decode()
        assert escape(conflict) in page
        assert 'id="error-summary"' in page
        assert 'value="Título de la segunda"' in page
        stored = Activity.objects.get(pk=draft.pk)
        assert (stored.title, stored.version) == ("Título de la primera", version + 1)

    def test_an_edit_without_the_version_it_started_from_is_refused(self, amazonas_client, draft):
        response = amazonas_client.post(url("edit", "es", draft.pk), edit_data(draft, title="Nuevo", version=""))
        assert response.status_code == 409
        assert Activity.objects.get(pk=draft.pk).title == "Taller en Bagua"

    def test_a_staff_reviewer_is_forbidden_to_edit_a_regions_activity(self, client, staff, draft):
        client.force_login(staff)
        assert client.get(url("edit", "es", draft.pk)).status_code == 403
        response = client.post(url("edit", "es", draft.pk), edit_data(draft, title="Cambiado por el ministerio"))
        assert response.status_code == 403
        stored = Activity.objects.get(pk=draft.pk)
        assert (stored.title, stored.version) == ("Taller en Bagua", 1)


class TestAnApprovedActivityIsReadOnly:
    @pytest.fixture
    def approved(self, amazonas, coord_amazonas):
        return ActivityFactory(region=amazonas, created_by=coord_amazonas, status="approved", title="Feria aprobada")

    def test_the_edit_page_sends_back_to_the_detail_with_a_message(self, amazonas_client, approved):
        response = amazonas_client.get(url("edit", "en", approved.pk))
        assert response.status_code == 302
        assert response.url == url("detail", "en", approved.pk)
        assert messages_of(response) == ["This activity cannot be edited now: it is approved."]

    def test_the_message_is_in_spanish_on_the_spanish_page(self, amazonas_client, approved):
        response = amazonas_client.get(url("edit", "es", approved.pk))
        assert messages_of(response) == ["Esta actividad no se puede editar ahora: está aprobada."]

    def test_a_posted_edit_changes_nothing(self, amazonas_client, approved):
        response = amazonas_client.post(url("edit", "es", approved.pk), edit_data(approved, title="Cambiada"))
        assert response.status_code == 302
        stored = Activity.objects.get(pk=approved.pk)
        assert (stored.title, stored.version, stored.status) == ("Feria aprobada", 1, "approved")

    def test_the_detail_page_offers_no_edit_link_or_submit_button(self, amazonas_client, approved):
        page = amazonas_client.get(url("detail", "es", approved.pk)).content.decode()
        assert url("edit", "es", approved.pk) not in page
        assert url("submit", "es", approved.pk) not in page
        assert url("evidence_upload", "es", approved.pk) not in page

    def test_a_draft_detail_page_does_offer_them(self, amazonas_client, draft):
        page = amazonas_client.get(url("detail", "es", draft.pk)).content.decode()
        assert f'href="{url("edit", "es", draft.pk)}"' in page
        # Submitting starts from the "check your answers" page, which holds the send button.
        assert f'href="{url("submit_check", "es", draft.pk)}"' in page


class TestThePhoneLayout:
    """What the server renders for a 360-px phone; tests/browser/test_activity_form_phone.py tries it in Chromium."""

    def test_the_counts_are_a_sex_by_age_grid_with_families_below(self, amazonas_client):
        html = amazonas_client.get(url("create")).content.decode()
        grid = html[html.index('<table class="counts-grid">') : html.index("</table>", html.index("counts-grid"))]
        body = grid[grid.index("<tbody>") : grid.index("</tbody>")]
        rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", body, re.S)
        assert [(head, re.findall(r'name="(\w+)"', cells)) for head, cells in rows] == [
            ("Niñas y niños (0–11)", ["girls", "boys"]),
            ("Adolescentes (12–17)", ["adolescent_girls", "adolescent_boys"]),
            ("Personas adultas (18+)", ["women", "men"]),
        ]
        assert re.findall(r'<th scope="col">(.*?)</th>', grid) == ["Grupo de edad", "Mujer", "Hombre"]
        assert 'name="families"' not in grid and 'name="families"' in html

    def test_the_total_is_computed_by_the_server_when_editing(self, amazonas_client, amazonas, coord_amazonas):
        activity = ActivityFactory(created_by=coord_amazonas, girls=3, boys=2, adolescent_girls=0, women=7, men=1)
        html = amazonas_client.get(url("edit", "es", activity.pk)).content.decode()
        total = re.search(r'<output id="participants-total"[^>]*>(\d+)</output>', html)
        assert total and int(total.group(1)) == activity.participants_total > 0

    def test_a_refused_form_shows_the_total_of_what_was_typed(self, amazonas_client, amazonas):
        response = amazonas_client.post(url("create"), form_data(amazonas, title="", girls=4, women="x", men=5))
        assert response.status_code == 400
        assert re.search(r'<output id="participants-total"[^>]*>28</output>', response.content.decode())

    @pytest.mark.parametrize("lang", ["es", "en"])
    def test_the_objective_select_shows_each_objective_by_name(self, amazonas_client, lang):
        form = amazonas_client.get(url("create", lang)).content.decode()
        with translation.override(lang):
            for objective in Objective.objects.all():
                name = escape(objective.localized("title"))
                assert f'<option value="{objective.pk}">{objective.code} · {name}</option>' in form

    def test_the_activity_list_names_the_objective(self, amazonas_client, coord_amazonas):
        activity = ActivityFactory(created_by=coord_amazonas)
        html = amazonas_client.get(url("list")).content.decode()
        first_words = " ".join(activity.objective.title.split()[:3])
        code = rf'<span class="code">{activity.objective.code}</span>'
        assert re.search(rf'<td class="objective">{code} · {re.escape(escape(first_words))}', html)

    def test_the_map_knows_the_region_its_centroid_and_boundary(self, amazonas_client, amazonas):
        amazonas.boundary = {
            "type": "Polygon",
            "coordinates": [[[-78.6, -7.0], [-77.2, -7.0], [-77.2, -5.4], [-78.6, -7.0]]],
        }
        amazonas.save(update_fields=["boundary"])
        data = amazonas_client.get(url("create")).context["map_data"]
        assert data["region"] == str(amazonas.pk)
        assert data["regions"] == {str(amazonas.pk): [float(amazonas.latitude), float(amazonas.longitude)]}
        assert data["boundary"] == amazonas.boundary

    def test_the_panel_has_the_compact_header_and_the_public_site_keeps_its_own(self, amazonas_client):
        panel = amazonas_client.get(url("create")).content.decode()
        assert 'class="site-header panel-header"' in panel and 'id="quick-exit"' in panel
        assert 'class="skip-link" href="#main"' in panel
        public = amazonas_client.get("/es/").content.decode()
        assert 'class="site-header panel-header"' not in public and '<header class="site-header">' in public
