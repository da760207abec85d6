"""/api/v1/activities/: what each persona reads (the public: the activities of the public release,
coarse points, the month, no count, no free text, nobody's name; see also test_public_activities),
creating with a retry-safe client_uuid, editing
with If-Match, deleting drafts, the filters, and every refusal in the error shape with nothing
changed."""

import datetime
import json
import uuid
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity
from programs.models import Objective, Service
from publication.services import release_publish
from reports import tally
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory, activity_form_data

URL = "/api/v1/activities/"
PUBLIC_FIELDS = {"id", "title", "region", "objective", "service", "modality", "month", "latitude", "longitude"}
PRIVATE_FIELDS = {
    "id", "region", "objective", "service", "title", "description", "start_date", "end_date", "modality",
    "place_name", "district", "latitude", "longitude", "girls", "boys", "adolescent_girls", "adolescent_boys",
    "women", "men", "families", "participants_total", "institutions", "support_network", "status",
    "created_at", "updated_at", "review_comment", "version", "client_uuid", "created_by",
}  # fmt: skip


def detail(activity):
    return f"{URL}{activity.pk}/"


def stored(activity):
    """The activity's row and partners as stored, to show a refusal changed nothing."""
    row = Activity.objects.values().get(pk=activity.pk)
    return {**row, "institutions": sorted(activity.institutions.values_list("pk", flat=True))}


def as_user(api, user):
    if user is not None:
        api.force_login(user)
    return api


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(
        region=amazonas,
        created_by=coord_amazonas,
        latitude=Decimal("-6.229412"),
        longitude=Decimal("-77.875845"),
        girls=3,
        review_comment="",
    )


@pytest.fixture
def approved(amazonas, coord_amazonas):
    return ActivityFactory(
        region=amazonas,
        status="approved",
        created_by=coord_amazonas,
        latitude=Decimal("-6.226412"),
        longitude=Decimal("-77.874999"),
        girls=3,
        families=2,
        review_comment="Bien documentada.",
    )


@pytest.fixture
def released(approved):
    release_publish()
    return approved


@pytest.fixture
def by_status(amazonas, puno, draft, approved):
    """One activity per status in Amazonas, and an approved and a draft one in Puno; published."""
    activities = {
        "draft": draft,
        "approved": approved,
        "submitted": ActivityFactory(region=amazonas, status="submitted"),
        "returned": ActivityFactory(region=amazonas, status="returned", review_comment="Corrija la fecha."),
        "puno_approved": ActivityFactory(region=puno, status="approved"),
        "puno_draft": ActivityFactory(region=puno),
    }
    release_publish()
    return activities


class TestWhatEachPersonaReads:
    def test_the_public_reads_approved_activities_only(self, api, by_status):
        assert ids(api.get(URL)) == {by_status["approved"].pk, by_status["puno_approved"].pk}

    @pytest.mark.parametrize("status", ["draft", "submitted", "returned", "puno_draft"])
    def test_the_public_cannot_open_an_unapproved_activity(self, api, by_status, status, assert_error):
        assert_error(api.get(detail(by_status[status])), 404, code="not_found")

    def test_a_coordinator_reads_every_status_of_their_region_and_nothing_else(self, api, coord_amazonas, by_status):
        expected = {by_status[name].pk for name in ("draft", "approved", "submitted", "returned")}
        assert ids(as_user(api, coord_amazonas).get(URL)) == expected

    @pytest.mark.parametrize("other", ["puno_draft", "puno_approved"])
    def test_another_regions_activity_is_not_found_for_a_coordinator(
        self, api, coord_amazonas, by_status, other, assert_error
    ):
        assert_error(as_user(api, coord_amazonas).get(detail(by_status[other])), 404, code="not_found")

    def test_staff_read_every_region_in_every_status(self, api, staff, by_status):
        assert ids(as_user(api, staff).get(URL)) == {activity.pk for activity in by_status.values()}

    def test_the_public_answer_has_the_public_fields_only(self, api, released):
        response = api.get(detail(released))
        assert set(response.json()) == PUBLIC_FIELDS
        # A digest of the answer, never the version: that is workflow detail the public does not see.
        assert response["ETag"] != f'"{released.version}"'

    def test_the_public_answer_rounds_the_point_to_about_a_kilometre(self, api, released):
        body = api.get(detail(released)).json()
        assert (body["latitude"], body["longitude"]) == (-6.23, -77.87)

    def test_the_public_answer_gives_the_month_and_no_count(self, api, released):
        body = api.get(detail(released)).json()
        assert body["month"] == "2025-03"
        for field in ("girls", "families", "participants_total", "start_date", "end_date"):
            assert field not in body

    def test_no_public_answer_names_a_person_or_a_review(self, api, released, coord_amazonas):
        for response in (api.get(URL), api.get(detail(released))):
            text = response.content.decode()
            assert coord_amazonas.username not in text
            assert coord_amazonas.email not in text
            assert "Bien documentada" not in text
            assert "created_by" not in text

    def test_signed_in_callers_read_the_exact_figures_and_the_version(self, api, coord_amazonas, draft):
        response = as_user(api, coord_amazonas).get(detail(draft))
        body = response.json()
        assert set(body) == PRIVATE_FIELDS
        assert response["ETag"] == '"1"'
        assert body["version"] == 1
        assert body["girls"] == 3
        assert body["participants_total"] == 28
        assert (body["latitude"], body["longitude"]) == (-6.229412, -77.875845)
        assert body["created_by"] == coord_amazonas.pk

    def test_signed_in_answers_name_nobody_either(self, api, staff, draft, coord_amazonas):
        text = as_user(api, staff).get(detail(draft)).content.decode()
        assert coord_amazonas.username not in text
        assert coord_amazonas.email not in text

    def test_a_coordinator_without_a_region_reads_nothing(self, api, by_status):
        from tests.factories import UserFactory

        assert ids(as_user(api, UserFactory(username="no-region")).get(URL)) == set()


class TestFilters:
    @pytest.fixture
    def spread(self, amazonas, puno):
        oe2 = Objective.objects.get(code="OE2")

        def make(region, day, objective="OE1", **fields):
            goal = Objective.objects.get(code=objective)
            date = datetime.date(2025, *day)
            return ActivityFactory(
                region=region, objective=goal, start_date=date, end_date=date, status="approved", **fields
            )

        return {
            "march": make(amazonas, (3, 1), title="Feria en Bagua", place_name="Plaza de armas"),
            "april": make(amazonas, (4, 1), objective="OE2", service=oe2.services.first(), district="Luya"),
            "puno": make(puno, (5, 1), title="Taller en Juliaca"),
            "draft": ActivityFactory(region=amazonas, start_date=datetime.date(2025, 3, 1)),
            "release": release_publish(),
        }

    def get_ids(self, api, **params):
        return ids(api.get(URL, params))

    def test_region_by_id_or_slug(self, api, staff, spread, amazonas):
        api = as_user(api, staff)
        expected = {spread[name].pk for name in ("march", "april", "draft")}
        assert self.get_ids(api, region=amazonas.pk) == expected
        assert self.get_ids(api, region="amazonas") == expected

    def test_objective_and_service(self, api, spread):
        oe2 = Objective.objects.get(code="OE2")
        assert self.get_ids(api, objective=oe2.pk) == {spread["april"].pk}
        assert self.get_ids(api, service=spread["april"].service_id) == {spread["april"].pk}

    def test_status(self, api, staff, spread):
        assert self.get_ids(as_user(api, staff), status="draft") == {spread["draft"].pk}

    def test_start_date_range(self, api, staff, spread):
        found = self.get_ids(as_user(api, staff), start_date_from="2025-03-15", start_date_to="2025-04-30")
        assert found == {spread["april"].pk}

    def test_modified_since(self, api, staff, spread):
        api = as_user(api, staff)
        Activity.objects.filter(pk=spread["march"].pk).update(
            updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        )
        assert spread["march"].pk not in self.get_ids(api, modified_since="2024-01-01T00:00:00Z")
        assert spread["march"].pk in self.get_ids(api, modified_since="2019-12-31T00:00:00Z")

    @pytest.mark.parametrize(
        ("term", "found"), [("bagua", "march"), ("PLAZA", "march"), ("luya", "april"), ("juliaca", "puno")]
    )
    def test_search_reads_title_place_and_district(self, api, staff, spread, term, found):
        assert self.get_ids(as_user(api, staff), search=term) == {spread[found].pk}

    def test_ordering(self, api, staff, spread):
        api = as_user(api, staff)
        response = api.get(URL, {"ordering": "start_date", "status": "approved"})
        assert [item["id"] for item in response.json()["results"]] == [
            spread["march"].pk,
            spread["april"].pk,
            spread["puno"].pk,
        ]
        response = api.get(URL, {"ordering": "-start_date,title", "status": "approved"})
        assert [item["id"] for item in response.json()["results"]][0] == spread["puno"].pk
        assert self.get_ids(api, status="draft") == {spread["draft"].pk}

    def test_another_regions_filter_gives_a_coordinator_an_empty_page(self, api, coord_amazonas, spread):
        assert self.get_ids(as_user(api, coord_amazonas), region="puno") == set()

    @pytest.mark.parametrize(
        ("param", "value"),
        [
            ("status", "nope"),
            ("region", "99999"),
            ("region", "atlantis"),
            ("objective", "99999"),
            ("service", "abc"),
            ("start_date_from", "yesterday"),
            ("start_date_to", "2025-13-01"),
            ("modified_since", "last week"),
            ("ordering", "created_by__password"),
            ("ordering", "start_date,-review_comment"),
            ("page_size", "501"),
            ("page_size", "0"),
        ],
    )
    def test_a_bad_filter_value_is_refused_naming_it(self, api, staff, spread, param, value, assert_error):
        assert_error(as_user(api, staff).get(URL, {param: value}), 400, code="invalid", field=param)

    def test_a_page_past_the_end_is_not_found(self, api, spread, assert_error):
        assert_error(api.get(URL, {"page": 99}), 404, code="not_found")


class TestQueries:
    """The list costs the same number of queries for 10 rows as for 500: no query per row."""

    @pytest.fixture
    def many(self, amazonas):
        institutions = InstitutionFactory.create_batch(3, region=amazonas)
        network = SupportNetworkFactory(region=amazonas)
        template = ActivityFactory.build(region=amazonas, support_network=network, status="approved")
        fields = {f.attname: getattr(template, f.attname) for f in Activity._meta.concrete_fields if f.name != "id"}
        rows = [Activity(**{**fields, "client_uuid": uuid.uuid4(), "title": f"Taller {n}"}) for n in range(510)]
        created = Activity.objects.bulk_create(rows)
        links = Activity.institutions.through
        links.objects.bulk_create(
            [links(activity_id=a.pk, institution_id=i.pk) for a in created for i in institutions[: 1 + a.pk % 3]]
        )
        Activity.objects.update(approved_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC))
        tally.rebuild()  # the rows went in around the tallies' receivers, as a bulk loader's do
        release_publish()
        return created

    def count(self, api, page_size):
        api.get(URL, {"page": 2})  # the release's tables are read once per process, not per request
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = api.get(URL, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        if "institutions" in response.json()["results"][0]:
            assert all(item["institutions"] for item in response.json()["results"])
        return len(queries)

    # The count, then the page with its partners; a signed-in caller adds the session and the user,
    # a coordinator their regions (staff read all of them), and staff the device that passed the
    # second factor. The public reads which release is the latest, the count and the page, and no partner.
    @pytest.mark.parametrize(("persona", "expected"), [("anonymous", 3), ("coord_amazonas", 5), ("staff", 5)])
    def test_the_query_count_does_not_grow_with_the_page(self, api, many, persona, expected, request):
        api = as_user(api, None if persona == "anonymous" else request.getfixturevalue(persona))
        assert self.count(api, 10) == self.count(api, 500) == expected


def payload(in_region, **changes):
    return {**activity_form_data(in_region), **changes}


def create(api, data, path=URL, **extra):
    return api.post(path, data, format="json", **extra)


class TestCreating:
    def test_a_coordinator_logs_a_draft_for_their_region(self, api, coord_amazonas, amazonas):
        institution = InstitutionFactory(region=amazonas)
        network = SupportNetworkFactory(region=amazonas)
        data = activity_form_data(amazonas, institutions=[institution.pk], support_network=network.pk)
        response = create(as_user(api, coord_amazonas), data)
        assert response.status_code == 201, response.content
        activity = Activity.objects.get()
        body = response.json()
        assert body["id"] == activity.pk
        assert response["Location"].endswith(detail(activity))
        assert response["ETag"] == '"1"'
        assert (activity.status, activity.created_by, activity.region) == ("draft", coord_amazonas, amazonas)
        assert list(activity.institutions.all()) == [institution]
        assert activity.support_network == network
        assert body["participants_total"] == 25
        assert uuid.UUID(body["client_uuid"]) == activity.client_uuid

    def test_an_administrator_may_step_in(self, api, admin_user, puno):
        response = create(as_user(api, admin_user), activity_form_data(puno, latitude="-15.84", longitude="-70.03"))
        assert response.status_code == 201, response.content

    @pytest.mark.parametrize(("persona", "status"), [("staff", 403), ("coord_puno", 403), ("anonymous", 401)])
    def test_others_cannot_log_for_amazonas(self, api, amazonas, persona, status, request, assert_error):
        user = None if persona == "anonymous" else request.getfixturevalue(persona)
        response = create(as_user(api, user), activity_form_data(amazonas))
        assert_error(response, status, code="not_authenticated" if status == 401 else "permission_denied")
        assert not Activity.objects.exists()

    def test_the_status_cannot_be_chosen_on_creation(self, api, coord_amazonas, amazonas):
        response = create(as_user(api, coord_amazonas), activity_form_data(amazonas, status="approved", version=9))
        assert response.status_code == 201, response.content
        assert Activity.objects.get().status == "draft"
        assert Activity.objects.get().version == 1

    def test_a_phones_long_coordinates_are_kept_to_six_decimals(self, api, coord_amazonas, amazonas):
        data = activity_form_data(amazonas, latitude=-6.229412345678, longitude=-77.872834567891)
        assert create(as_user(api, coord_amazonas), data).status_code == 201
        activity = Activity.objects.get()
        assert (activity.latitude, activity.longitude) == (Decimal("-6.229412"), Decimal("-77.872835"))


class TestRetriedCreation:
    def test_a_retry_with_the_same_client_uuid_returns_the_first_activity(self, api, coord_amazonas, amazonas):
        key = str(uuid.uuid4())
        api = as_user(api, coord_amazonas)
        first = create(api, activity_form_data(amazonas, client_uuid=key))
        again = create(api, activity_form_data(amazonas, client_uuid=key, title="Otro título"))
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["title"] == first.json()["title"]
        assert Activity.objects.count() == 1

    def test_a_colleague_retrying_in_the_same_region_gets_it_too(self, api, coord_amazonas, amazonas):
        existing = ActivityFactory(region=amazonas)
        colleague = as_user(api, coord_amazonas)
        response = create(colleague, activity_form_data(amazonas, client_uuid=str(existing.client_uuid)))
        assert response.status_code == 200
        assert response.json()["id"] == existing.pk

    def test_a_client_uuid_from_a_region_the_caller_cannot_see_is_a_conflict(
        self, api, coord_puno, amazonas, puno, assert_error
    ):
        hidden = ActivityFactory(region=amazonas, title="Taller reservado")
        data = activity_form_data(puno, client_uuid=str(hidden.client_uuid))
        error = assert_error(create(as_user(api, coord_puno), data), 409, code="conflict")
        assert "Taller reservado" not in json.dumps(error)
        assert Activity.objects.count() == 1

    @pytest.mark.parametrize("caught_by", ["model check", "unique index"])
    def test_two_attempts_racing_give_one_activity(self, api, coord_amazonas, amazonas, monkeypatch, caught_by):
        from activities.api import ActivityViewSet

        # The first attempt commits while the second is between its lookup and its insert.
        first = ActivityFactory(region=amazonas, title="La primera")
        lookup = ActivityViewSet.earlier_submission
        calls = []

        def late_lookup(view, data):
            calls.append(data)
            return None if len(calls) == 1 else lookup(view, data)

        monkeypatch.setattr(ActivityViewSet, "earlier_submission", late_lookup)
        if caught_by == "unique index":
            monkeypatch.setattr(Activity, "validate_unique", lambda self, exclude=None: None)
        response = create(as_user(api, coord_amazonas), payload(amazonas, client_uuid=str(first.client_uuid)))
        assert response.status_code == 200, response.content
        assert response.json()["id"] == first.pk
        assert Activity.objects.count() == 1

    def test_a_malformed_client_uuid_is_refused(self, api, coord_amazonas, amazonas, assert_error):
        response = create(as_user(api, coord_amazonas), activity_form_data(amazonas, client_uuid="not-a-uuid"))
        assert_error(response, 400, code="invalid", field="client_uuid")
        assert not Activity.objects.exists()


class TestBadInputOnCreation:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"famlies": 40}, "famlies"),
            ({"girls": "many"}, "girls"),
            ({"girls": -1}, "girls"),
            ({"girls": 2.5}, "girls"),
            ({"women": 100_001}, "women"),
            ({"start_date": "tomorrow"}, "start_date"),
            ({"end_date": "2025-04-01"}, "end_date"),
            ({"latitude": "north"}, "latitude"),
            ({"latitude": "1234.5"}, "latitude"),
            ({"latitude": "40.4168", "longitude": "-3.7038"}, "latitude"),
            ({"latitude": "-18.6"}, "latitude"),
            ({"longitude": "-68.4"}, "latitude"),  # the point's message, on the latitude as in the panel
            ({"longitude": "1e400"}, "longitude"),
            ({"longitude": 1e300}, "longitude"),
            ({"latitude": "NaN"}, "latitude"),
            ({"latitude": "Infinity"}, "latitude"),
            ({"longitude": None}, "longitude"),
            ({"families": 100_001}, "families"),
            ({"modality": "carrier pigeon"}, "modality"),
            ({"title": "x" * 201}, "title"),
            ({"region": 99999}, "region"),
            ({"institutions": "1"}, "institutions"),
            ({"institutions": [99999]}, "institutions"),
            ({"objective": 99999}, "objective"),
        ],
    )
    def test_a_bad_value_is_refused_naming_the_field(self, api, coord_amazonas, amazonas, changes, field, assert_error):
        response = create(as_user(api, coord_amazonas), payload(amazonas, **changes))
        assert_error(response, 400, code="invalid", field=field)
        assert not Activity.objects.exists()

    def test_a_service_of_another_objective_is_refused(self, api, coord_amazonas, amazonas, assert_error):
        oe1, oe4 = Objective.objects.get(code="OE1"), Objective.objects.get(code="OE4")
        stranger = Service.objects.exclude(pk__in=oe1.services.all()).filter(pk__in=oe4.services.all()).first()
        response = create(as_user(api, coord_amazonas), activity_form_data(amazonas, service=stranger.pk))
        assert_error(response, 400, field="service")
        assert not Activity.objects.exists()

    def test_another_regions_institution_is_refused(self, api, coord_amazonas, amazonas, puno, assert_error):
        foreign = InstitutionFactory(region=puno, name="Municipalidad de Juliaca")
        data = activity_form_data(amazonas, institutions=[foreign.pk])
        error = assert_error(create(as_user(api, coord_amazonas), data), 400, field="institutions")
        assert "Municipalidad de Juliaca" in error["fields"]["institutions"][0]
        assert not Activity.objects.exists()

    def test_another_regions_support_network_is_refused(self, api, coord_amazonas, amazonas, puno, assert_error):
        data = activity_form_data(amazonas, support_network=SupportNetworkFactory(region=puno).pk)
        assert_error(create(as_user(api, coord_amazonas), data), 400, field="support_network")
        assert not Activity.objects.exists()

    def test_only_the_region_is_required(self, api, coord_amazonas, assert_error):
        # The rest may come later: a draft is saved with what the coordinator has (tests/test_partial_drafts.py).
        error = assert_error(create(as_user(api, coord_amazonas), {}), 400, code="invalid")
        assert set(error["fields"]) == {"region"}
        assert not Activity.objects.exists()

    def test_malformed_json_is_a_parse_error(self, api, coord_amazonas, assert_error):
        response = as_user(api, coord_amazonas).post(URL, '{"title": "Taller', content_type="application/json")
        assert_error(response, 400, code="parse_error")
        assert not Activity.objects.exists()

    def test_a_list_instead_of_an_object_is_refused(self, api, coord_amazonas, amazonas, assert_error):
        response = create(as_user(api, coord_amazonas), [activity_form_data(amazonas)])
        assert_error(response, 400, code="invalid")
        assert not Activity.objects.exists()

    def test_an_unsupported_media_type_is_refused(self, api, coord_amazonas, assert_error):
        response = as_user(api, coord_amazonas).post(URL, "title=x", content_type="text/plain")
        assert_error(response, 415, code="unsupported_media_type")
        assert not Activity.objects.exists()

    def test_messages_follow_the_language_asked_for(self, api, coord_amazonas, amazonas, assert_error):
        data = activity_form_data(amazonas, end_date="2025-04-01")
        error = assert_error(create(as_user(api, coord_amazonas), data, HTTP_ACCEPT_LANGUAGE="en"), 400)
        assert error["fields"]["end_date"] == ["The end date cannot be before the start date."]


def patch(api, activity, data, etag=None):
    headers = {} if etag is None else {"HTTP_IF_MATCH": etag}
    return api.patch(detail(activity), data, format="json", **headers)


class TestEditing:
    def test_a_coordinator_edits_a_draft_with_its_etag(self, api, coord_amazonas, draft):
        api = as_user(api, coord_amazonas)
        etag = api.get(detail(draft))["ETag"]
        response = patch(api, draft, {"title": "Taller corregido", "families": 9}, etag)
        assert response.status_code == 200, response.content
        assert response["ETag"] == '"2"'
        assert response.json()["version"] == 2
        draft.refresh_from_db()
        assert (draft.title, draft.families, draft.version) == ("Taller corregido", 9, 2)

    def test_put_replaces_the_activity(self, api, coord_amazonas, draft, amazonas):
        data = activity_form_data(amazonas, title="Reemplazada")
        response = as_user(api, coord_amazonas).put(detail(draft), data, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 200, response.content
        draft.refresh_from_db()
        assert (draft.title, draft.adolescent_boys, draft.version) == ("Reemplazada", 9, 2)

    def test_put_round_trips_what_get_returned(self, api, coord_amazonas, draft):
        api = as_user(api, coord_amazonas)
        body = api.get(detail(draft)).json()
        response = api.put(detail(draft), {**body, "title": "Igual pero otra"}, format="json")
        assert response.status_code == 200, response.content
        draft.refresh_from_db()
        assert (draft.title, draft.version, draft.status) == ("Igual pero otra", 2, "draft")

    def test_the_body_version_stands_for_if_match(self, api, coord_amazonas, draft):
        response = patch(as_user(api, coord_amazonas), draft, {"title": "Sin cabecera", "version": 1})
        assert response.status_code == 200, response.content
        assert response.json()["version"] == 2

    def test_a_returned_activity_can_be_edited(self, api, coord_amazonas, amazonas):
        returned = ActivityFactory(region=amazonas, status="returned")
        response = patch(as_user(api, coord_amazonas), returned, {"title": "Corregida"}, '"1"')
        assert response.status_code == 200, response.content

    def test_moving_to_another_of_ones_regions_checks_the_partners_again(
        self, api, amazonas, puno, draft, assert_error
    ):
        from tests.factories import coordinator

        both = coordinator("coord-both", amazonas, puno)
        draft.institutions.set([InstitutionFactory(region=amazonas)])
        before = stored(draft)
        data = {"region": puno.pk, "latitude": "-15.84", "longitude": "-70.03"}
        assert_error(patch(as_user(api, both), draft, data, '"1"'), 400, field="institutions")
        assert stored(draft) == before


class TestEditConflicts:
    def test_a_stale_if_match_is_refused_and_nothing_changes(self, api, coord_amazonas, draft, assert_error):
        api = as_user(api, coord_amazonas)
        assert patch(api, draft, {"title": "Primera"}, '"1"').status_code == 200
        before = stored(draft)
        assert_error(patch(api, draft, {"title": "Segunda"}, '"1"'), 412, code="edit_conflict")
        assert stored(draft) == before

    def test_a_stale_body_version_is_refused_too(self, api, coord_amazonas, draft, assert_error):
        Activity.objects.filter(pk=draft.pk).update(version=2)
        before = stored(draft)
        response = patch(as_user(api, coord_amazonas), draft, {"title": "Tarde", "version": 1})
        assert_error(response, 412, code="edit_conflict")
        assert stored(draft) == before

    def test_if_match_and_body_version_must_agree(self, api, coord_amazonas, draft, assert_error):
        before = stored(draft)
        response = patch(as_user(api, coord_amazonas), draft, {"title": "Dudosa", "version": 7}, '"1"')
        assert_error(response, 412, code="edit_conflict")
        assert stored(draft) == before

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_without_a_version_the_change_is_refused(self, api, coord_amazonas, draft, amazonas, method, assert_error):
        before = stored(draft)
        response = getattr(as_user(api, coord_amazonas), method)(
            detail(draft), activity_form_data(amazonas), format="json"
        )
        assert_error(response, 428, code="precondition_required")
        assert stored(draft) == before

    @pytest.mark.parametrize(("etag", "status"), [('W/"1"', 412), ("1", 412), ('"2", "3"', 412)])
    def test_if_match_must_name_the_current_version_strongly(
        self, api, coord_amazonas, draft, etag, status, assert_error
    ):
        before = stored(draft)
        assert_error(patch(as_user(api, coord_amazonas), draft, {"title": "x"}, etag), status)
        assert stored(draft) == before

    def test_one_of_several_tags_may_match(self, api, coord_amazonas, draft):
        assert patch(as_user(api, coord_amazonas), draft, {"title": "x"}, '"5", "1"').status_code == 200

    def test_a_star_changes_whatever_version_is_current(self, api, coord_amazonas, draft):
        # RFC 9110: `If-Match: *` holds whenever the activity exists; the client chose to overwrite.
        response = patch(as_user(api, coord_amazonas), draft, {"title": "Taller"}, "*")
        assert response.status_code == 200, response.content
        assert (response.json()["title"], response["ETag"]) == ("Taller", '"2"')


class TestEditRefusals:
    @pytest.mark.parametrize(
        ("persona", "status", "code"),
        [
            ("anonymous", 401, "not_authenticated"),
            ("coord_puno", 404, "not_found"),
            ("staff", 403, "permission_denied"),
        ],
    )
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_only_the_regions_coordinators_edit(
        self, api, draft, amazonas, persona, status, code, method, request, assert_error
    ):
        user = None if persona == "anonymous" else request.getfixturevalue(persona)
        before = stored(draft)
        response = getattr(as_user(api, user), method)(
            detail(draft), activity_form_data(amazonas, title="Intrusa"), format="json", HTTP_IF_MATCH='"1"'
        )
        assert_error(response, status, code=code)
        assert stored(draft) == before

    @pytest.mark.parametrize("status", ["submitted", "approved"])
    def test_a_submitted_or_approved_activity_is_locked(self, api, coord_amazonas, amazonas, status, assert_error):
        locked = ActivityFactory(region=amazonas, status=status)
        before = stored(locked)
        assert_error(patch(as_user(api, coord_amazonas), locked, {"title": "x"}, '"1"'), 400, code="locked")
        assert stored(locked) == before

    def test_the_status_cannot_be_set_by_editing(self, api, coord_amazonas, draft):
        response = patch(as_user(api, coord_amazonas), draft, {"status": "approved"}, '"1"')
        assert response.status_code == 200
        draft.refresh_from_db()
        assert draft.status == "draft"

    def test_moving_to_a_region_one_does_not_report_for_is_forbidden(
        self, api, coord_amazonas, draft, puno, assert_error
    ):
        before = stored(draft)
        data = {"region": puno.pk, "latitude": "-15.84", "longitude": "-70.03"}
        assert_error(patch(as_user(api, coord_amazonas), draft, data, '"1"'), 403, code="permission_denied")
        assert stored(draft) == before

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"famlies": 4}, "famlies"),
            ({"women": "x"}, "women"),
            ({"end_date": "2020-01-01"}, "end_date"),
            ({"client_uuid": "7f1c7d7e-8d4b-4b4e-9a59-0a5b1f2a3c4d"}, "client_uuid"),
            ({"latitude": "40.4168", "longitude": "-3.7038"}, "latitude"),
            ({"longitude": None}, "longitude"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_changes(self, api, coord_amazonas, draft, changes, field, assert_error):
        before = stored(draft)
        assert_error(patch(as_user(api, coord_amazonas), draft, changes, '"1"'), 400, field=field)
        assert stored(draft) == before

    def test_malformed_json_is_refused_and_nothing_changes(self, api, coord_amazonas, draft, assert_error):
        before = stored(draft)
        response = as_user(api, coord_amazonas).patch(
            detail(draft), "{title:", content_type="application/json", HTTP_IF_MATCH='"1"'
        )
        assert_error(response, 400, code="parse_error")
        assert stored(draft) == before


class TestDeleting:
    def test_a_coordinator_deletes_a_draft(self, api, coord_amazonas, draft):
        response = as_user(api, coord_amazonas).delete(detail(draft), HTTP_IF_MATCH='"1"')
        assert response.status_code == 204
        assert not Activity.objects.filter(pk=draft.pk).exists()

    @pytest.mark.parametrize("status", ["submitted", "approved", "returned"])
    def test_only_a_draft_can_be_deleted(self, api, coord_amazonas, amazonas, status, assert_error):
        kept = ActivityFactory(region=amazonas, status=status)
        response = as_user(api, coord_amazonas).delete(detail(kept), HTTP_IF_MATCH='"1"')
        assert_error(response, 400, code="not_draft")
        assert Activity.objects.filter(pk=kept.pk).exists()

    @pytest.mark.parametrize(("persona", "status"), [("anonymous", 401), ("coord_puno", 404), ("staff", 403)])
    def test_only_the_regions_coordinators_delete(self, api, draft, persona, status, request, assert_error):
        user = None if persona == "anonymous" else request.getfixturevalue(persona)
        assert_error(as_user(api, user).delete(detail(draft), HTTP_IF_MATCH='"1"'), status)
        assert Activity.objects.filter(pk=draft.pk).exists()

    def test_a_stale_delete_is_refused(self, api, coord_amazonas, draft, assert_error):
        Activity.objects.filter(pk=draft.pk).update(version=2)
        response = as_user(api, coord_amazonas).delete(detail(draft), HTTP_IF_MATCH='"1"')
        assert_error(response, 412, code="edit_conflict")
        assert Activity.objects.filter(pk=draft.pk).exists()


class TestMethods:
    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_the_collection_cannot_be_replaced_or_deleted(self, api, coord_amazonas, draft, method, assert_error):
        before = stored(draft)
        response = getattr(as_user(api, coord_amazonas), method)(URL, {}, format="json", HTTP_IF_MATCH='"1"')
        assert_error(response, 405, code="method_not_allowed")
        assert stored(draft) == before
        assert Activity.objects.count() == 1

    def test_an_activity_is_not_posted_to(self, api, coord_amazonas, draft, amazonas, assert_error):
        before = stored(draft)
        response = create(as_user(api, coord_amazonas), activity_form_data(amazonas), path=detail(draft))
        assert_error(response, 405, code="method_not_allowed")
        assert stored(draft) == before
        assert Activity.objects.count() == 1

    @pytest.mark.parametrize("pk", ["999999", "abc", "1.5", "-1", "99999999999999999999999"])
    def test_an_unknown_or_malformed_id_is_not_found(self, api, staff, pk, assert_error):
        assert_error(as_user(api, staff).get(f"{URL}{pk}/"), 404, code="not_found")
        assert_error(api.patch(f"{URL}{pk}/", {}, format="json", HTTP_IF_MATCH='"1"'), 404, code="not_found")
        assert_error(api.post(f"{URL}{pk}/submit/", {}, format="json"), 404, code="not_found")
        assert_error(api.get(f"{URL}{pk}/evidence/"), 404, code="not_found")


@pytest.mark.parametrize("moment", ["0624-12-25T04:20:55+19:25", "0001-01-01T00:00:00+05:00", "yesterday"])
def test_a_modified_since_the_database_cannot_compare_is_refused_not_crashed(api, staff, moment, assert_error):
    api.force_authenticate(staff)
    assert_error(api.get("/api/v1/activities/", {"modified_since": moment}), 400, field="modified_since")


def test_modified_since_with_an_offset_finds_the_same_activities_as_utc(api, staff, amazonas):
    from tests.factories import ActivityFactory

    ActivityFactory(region=amazonas)
    api.force_authenticate(staff)
    utc = api.get("/api/v1/activities/", {"modified_since": "2020-01-01T05:00:00Z"}).json()["count"]
    lima = api.get("/api/v1/activities/", {"modified_since": "2020-01-01T00:00:00-05:00"}).json()["count"]
    assert utc == lima == 1
