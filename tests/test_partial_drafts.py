"""Coordinators in the field save what they have: a draft needs its region only, from the panel's
form or the API, and every page, export and admin list that reads activities shows it with a dash
where a value is still missing. Submitting it is refused with a message for each missing field,
changing nothing; past the draft the database itself keeps an activity whole."""

import csv
import datetime
import io

import pytest
from django.contrib.admin import site
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from activities import services
from activities.models import PARTICIPANT_FIELDS, Activity, ActivityTransition
from programs.models import Objective, Service
from reports.generators import GENERATORS
from reports.services import report_build

from .api.conftest import check_error
from .factories import ActivityFactory

MISSING = {
    "objective": "Choose the objective the activity served.",
    "service": "Choose the service that carried it out.",
    "title": "Give the activity a title.",
    "start_date": "Give the date it started.",
    "end_date": "Give the date it ended.",
}
UNTITLED = "Untitled activity"


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever the Spanish catalogue says.
    with translation.override("en"):
        yield


def url(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def empty_form(region, **typed):
    """The new-activity form as the page sends it when only the region was chosen."""
    blank = ("objective", "service", "title", "description", "start_date", "end_date", "place_name", "district")
    data = {"region": region.pk, "modality": "in_person", "families": 0, "latitude": "", "longitude": ""}
    data.update({name: "" for name in blank} | {name: 0 for name in PARTICIPANT_FIELDS} | {"support_network": ""})
    return {**data, **typed}


def service_of_another_objective():
    oe4 = Objective.objects.get(code="OE4")
    return {"objective": oe4.pk, "service": Service.objects.exclude(pk__in=oe4.services.all()).first().pk}


def state(activity):
    row = Activity.objects.values("status", "version", "objective", "title", "start_date").get(pk=activity.pk)
    return {**row, "steps": ActivityTransition.objects.filter(activity=activity).count()}


@pytest.fixture
def coordinator(coord_amazonas):
    client = Client()
    client.force_login(coord_amazonas)
    return client


@pytest.fixture
def phone(coord_amazonas):
    client = APIClient()
    client.force_authenticate(coord_amazonas)
    return client


@pytest.fixture
def bare(amazonas, coord_amazonas):
    """A draft with its region only, saved through the same service as the panel and the API."""
    return services.activity_create(data={}, region=amazonas, created_by=coord_amazonas)


class TestSaving:
    def test_a_draft_with_only_its_region_saves_from_the_panel_form(self, coordinator, amazonas):
        response = coordinator.post(url("activities:create"), empty_form(amazonas))
        draft = Activity.objects.get()
        assert response.status_code == 302, response.context["form"].errors
        assert response["Location"] == draft.get_absolute_url()
        missing = (draft.objective, draft.service, draft.title, draft.start_date, draft.end_date)
        assert missing == (None, None, "", None, None)
        assert draft.status == "draft"

    def test_the_form_asks_only_for_the_region(self, coordinator):
        form = coordinator.get(url("activities:create")).context["form"]
        required = {name for name, field in form.fields.items() if field.required}
        assert "region" in required
        assert not required & set(MISSING)

    @pytest.mark.parametrize(
        ("typed", "field"),
        [
            (lambda: {"start_date": "2025-04-10", "end_date": "2025-04-09"}, "end_date"),
            (lambda: service_of_another_objective(), "service"),
        ],
        ids=["end-before-start", "service-of-another-objective"],
    )
    def test_what_is_given_is_still_checked(self, coordinator, amazonas, typed, field):
        response = coordinator.post(url("activities:create"), empty_form(amazonas, **typed()))
        assert response.status_code == 400
        assert list(response.context["form"].errors) == [field]
        assert not Activity.objects.exists()

    def test_one_date_alone_is_kept(self, coordinator, amazonas):
        coordinator.post(url("activities:create"), empty_form(amazonas, end_date="2025-04-09"))
        assert Activity.objects.values_list("start_date", "end_date").get() == (None, datetime.date(2025, 4, 9))

    def test_a_draft_with_only_its_region_saves_through_the_api(self, phone, amazonas):
        response = phone.post("/api/v1/activities/", {"region": amazonas.pk}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert {field: body[field] for field in MISSING} == dict.fromkeys(MISSING) | {"title": ""}
        listed = phone.get("/api/v1/activities/").json()["results"]
        assert [item["id"] for item in listed] == [body["id"]]

    def test_the_api_fills_it_in_later(self, phone, bare):
        objective = Objective.objects.get(code="OE1")
        first = {"objective": objective.pk, "service": objective.services.first().pk}
        response = phone.patch(f"/api/v1/activities/{bare.pk}/", first, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 200, response.content
        rest = {"title": "Taller en Luya", "start_date": "2025-04-02", "end_date": "2025-04-02"}
        response = phone.patch(f"/api/v1/activities/{bare.pk}/", rest, format="json", HTTP_IF_MATCH='"2"')
        assert response.status_code == 200, response.content
        bare.refresh_from_db()
        assert not set(bare.submission_problems()) & set(MISSING)
        assert str(bare) == "Taller en Luya"


class TestReading:
    @pytest.fixture
    def drafts(self, bare, amazonas):
        # An activity returned to the region may lose its title while it is being corrected.
        returned = ActivityFactory(
            region=amazonas, status="returned", title="", objective=None, service=None, start_date=None, end_date=None
        )
        return bare, returned

    @pytest.mark.parametrize("page", ["panel", "list", "detail", "edit", "submit_check"])
    def test_the_coordinators_pages_show_it(self, coordinator, drafts, page):
        args = [drafts[0].pk] if page in ("detail", "edit", "submit_check") else []
        response = coordinator.get(url(f"activities:{page}", *args))
        assert response.status_code == 200
        if page != "edit":
            assert UNTITLED in response.content.decode()

    def test_the_list_puts_undated_drafts_first(self, coordinator, drafts, amazonas):
        dated = ActivityFactory(region=amazonas)
        listed = list(coordinator.get(url("activities:list")).context["page"].object_list)
        assert listed[-1] == dated
        assert set(listed[:2]) == set(drafts)

    def test_its_page_shows_a_dash_for_what_is_missing(self, coordinator, bare):
        html = coordinator.get(bare.get_absolute_url()).content.decode()
        for label in ("Objective", "Service", "Dates"):
            assert f"<dt>{label}</dt><dd>—</dd>" in html
        assert ">None<" not in html

    @pytest.mark.parametrize("page", ["list", "detail"])
    def test_staff_see_it(self, staff, drafts, page):
        client = Client()
        client.force_login(staff)
        args = [drafts[0].pk] if page == "detail" else []
        response = client.get(url(f"activities:{page}", *args))
        assert response.status_code == 200
        assert UNTITLED in response.content.decode()

    @pytest.mark.parametrize("view", ["changelist", "change", "history"])
    def test_the_admin_shows_it(self, admin_user, drafts, view):
        client = Client()
        client.force_login(admin_user)
        client.cookies["django_language"] = "en"
        args = [] if view == "changelist" else [drafts[0].pk]
        response = client.get(url(f"admin:activities_activity_{view}", *args))
        assert response.status_code == 200
        if view == "changelist":
            assert UNTITLED in response.content.decode()

    def test_its_history_shows_what_was_filled_in(self, coordinator, phone, bare):
        phone.patch(f"/api/v1/activities/{bare.pk}/", {"title": "Taller en Luya"}, format="json", HTTP_IF_MATCH='"1"')
        [change] = coordinator.get(bare.get_absolute_url()).context["history"][0]["changes"]
        assert change["label"] == Activity._meta.get_field("title").verbose_name
        assert (change["old"], change["new"]) == ("—", "Taller en Luya")

    @pytest.mark.parametrize("format", ["csv", "xlsx"])
    def test_the_export_has_a_row_with_blank_cells(self, coord_amazonas, amazonas, drafts, format):
        report = report_build(kind="activities", format=format, region=amazonas, parameters={"status": "draft"})
        report.requested_by = coord_amazonas
        output = io.BytesIO()
        assert GENERATORS[("activities", format)](report, output, lambda done, total: None) == 1
        if format == "csv":
            [header, row] = list(csv.reader(io.StringIO(output.getvalue().decode("utf-8-sig"))))
        else:
            [header, row] = load_workbook(output, read_only=True).worksheets[0].iter_rows(values_only=True)
        cells = dict(zip(header, row, strict=True))
        assert int(cells["ID"]) == drafts[0].pk
        assert {cells[name] or "" for name in ("Objective", "Service", "Title", "Start date", "End date")} == {""}


class TestSubmitting:
    def test_the_panel_refuses_it_with_a_message_for_each_missing_field(self, coordinator, bare):
        before = state(bare)
        response = coordinator.post(url("activities:submit", bare.pk), follow=True)
        shown = [str(message) for message in response.context["messages"]]
        assert set(MISSING.values()) <= set(shown)
        assert state(bare) == before

    def test_the_api_refuses_it_naming_each_missing_field(self, phone, bare):
        before = state(bare)
        error = check_error(
            phone.post(f"/api/v1/activities/{bare.pk}/submit/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"), 400
        )
        for field, message in MISSING.items():
            assert error["fields"][field] == [message]
        assert state(bare) == before

    def test_the_check_page_leads_to_each_missing_field(self, coordinator, bare):
        response = coordinator.get(url("activities:submit_check", bare.pk))
        problems = dict(response.context["problems"])
        edit = url("activities:edit", bare.pk)
        for field, message in MISSING.items():
            assert problems[message] == f"{edit}#id_{field}"


class TestTheDatabase:
    @pytest.mark.parametrize("status", ["submitted", "approved"])
    @pytest.mark.parametrize(
        "emptied",
        [{"objective": None}, {"service": None}, {"title": ""}, {"start_date": None}, {"end_date": None}],
        ids=lambda emptied: next(iter(emptied)),
    )
    def test_no_code_path_can_leave_an_activity_with_the_ministry_incomplete(self, amazonas, status, emptied):
        # What reviewers check and the public figures count is whole, whatever wrote it: a script,
        # a bulk update, a bug that skips the model's checks.
        sent = ActivityFactory(region=amazonas, status=status)
        with pytest.raises(IntegrityError), transaction.atomic():
            Activity.objects.filter(pk=sent.pk).update(**emptied)
        assert Activity.objects.filter(pk=sent.pk, objective__isnull=False, start_date__isnull=False).exists()

    def test_an_approved_activity_cannot_be_stored_without_an_objective(self, amazonas):
        with pytest.raises(IntegrityError), transaction.atomic():
            ActivityFactory(region=amazonas, status="approved", objective=None, service=None)
        assert not Activity.objects.exists()

    def test_the_admin_says_on_the_field_what_an_approved_activity_cannot_lose(self, admin_user, amazonas):
        approved = ActivityFactory(region=amazonas, status="approved")
        request = RequestFactory().get("/")
        request.user = admin_user
        form_class = site._registry[Activity].get_form(request, approved)
        shown = form_class(instance=approved)
        data = {name: "" if shown[name].value() is None else shown[name].value() for name in shown.fields}
        form = form_class({**data, "objective": ""}, instance=approved)
        assert form.errors == {"objective": [MISSING["objective"]]}
