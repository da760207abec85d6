"""/api/v1/objectives/, /programs/ and /services/: the campaign's reference content, read by
everyone in both languages as stored, written by no one through the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.models import Objective, Program, Service

OBJECTIVES, PROGRAMS, SERVICES = "/api/v1/objectives/", "/api/v1/programs/", "/api/v1/services/"
PERSONAS = ["anonymous", "coord_amazonas", "coord_puno", "staff"]


@pytest.fixture(params=PERSONAS)
def caller(request, api, db):
    if request.param != "anonymous":
        api.force_authenticate(request.getfixturevalue(request.param))
    return api


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(rows):
    return sorted(row["id"] for row in rows)


def detail(url, obj):
    return f"{url}{obj.pk}/"


def rows_of(resource):
    _url, obj = resource
    return list(type(obj).objects.order_by("pk").values())


class TestObjectives:
    def test_every_caller_reads_the_four_objectives_in_order(self, caller):
        assert [o["code"] for o in results(caller.get(OBJECTIVES))] == ["OE1", "OE2", "OE3", "OE4"]

    def test_an_objective_gives_both_languages_as_stored_and_its_services(self, caller):
        oe1 = Objective.objects.get(code="OE1")
        body = caller.get(detail(OBJECTIVES, oe1)).json()
        assert set(body) == {
            "id",
            "code",
            "order",
            "title",
            "title_en",
            "description",
            "description_en",
            "expected_result",
            "expected_result_en",
            "services",
        }
        assert body["title"] == oe1.title and body["title"].startswith("Sensibilizar")
        assert body["title_en"] == oe1.title_en and body["title_en"].startswith("Raise awareness")
        assert body["expected_result"] == oe1.expected_result
        assert body["expected_result_en"] == oe1.expected_result_en
        assert sorted(body["services"]) == sorted(oe1.services.values_list("pk", flat=True))

    def test_the_language_of_the_request_does_not_change_the_texts(self, api, db):
        oe2 = Objective.objects.get(code="OE2")
        spanish = api.get(detail(OBJECTIVES, oe2), HTTP_ACCEPT_LANGUAGE="es").json()
        english = api.get(detail(OBJECTIVES, oe2), HTTP_ACCEPT_LANGUAGE="en").json()
        assert spanish == english

    def test_search_finds_by_title(self, api, db):
        assert [o["code"] for o in results(api.get(OBJECTIVES, {"search": "redes de soporte"}))] == ["OE3"]

    def test_an_unknown_objective_is_not_found(self, caller, assert_error):
        assert_error(caller.get(f"{OBJECTIVES}999999/"), 404, code="not_found")


class TestPrograms:
    def test_every_caller_reads_the_programs(self, caller):
        assert {p["slug"] for p in results(caller.get(PROGRAMS))} == {"warmi-nan", "inabif"}

    def test_former_names_are_a_list_most_recent_first(self, caller):
        warmi_nan = Program.objects.get(slug="warmi-nan")
        body = caller.get(detail(PROGRAMS, warmi_nan)).json()
        assert body["former_names"][0] == "AURORA"
        assert len(body["former_names"]) == 2
        assert body["name"] == "Programa Nacional Warmi Ñan"
        assert body["name_en"] == "Warmi Ñan National Program"
        assert sorted(body["services"]) == sorted(warmi_nan.services.values_list("pk", flat=True))

    def test_a_program_without_former_names_has_an_empty_list(self, api, db):
        inabif = Program.objects.get(slug="inabif")
        assert api.get(detail(PROGRAMS, inabif)).json()["former_names"] == []

    def test_search_finds_a_program_by_its_former_name(self, api, db):
        assert [p["slug"] for p in results(api.get(PROGRAMS, {"search": "AURORA"}))] == ["warmi-nan"]


class TestServices:
    def test_every_caller_reads_the_services(self, caller):
        assert ids(results(caller.get(SERVICES))) == sorted(Service.objects.values_list("pk", flat=True))

    def test_a_service_gives_its_program_and_objectives(self, caller):
        service = Service.objects.get(slug="hombres-por-la-igualdad")
        body = caller.get(detail(SERVICES, service)).json()
        assert body["program"] == Program.objects.get(slug="warmi-nan").pk
        oe1_and_oe3 = Objective.objects.filter(code__in=["OE1", "OE3"]).values_list("pk", flat=True)
        assert sorted(body["objectives"]) == sorted(oe1_and_oe3)
        assert (body["name"], body["name_en"]) == ("Hombres por la igualdad", "Men for equality")

    def test_a_partner_institutions_service_has_no_program(self, api, db):
        service = Service.objects.get(slug="actuemos-ya-publicas")
        assert api.get(detail(SERVICES, service)).json()["program"] is None

    def test_filter_by_objective(self, api, db):
        oe2 = Objective.objects.get(code="OE2")
        assert ids(results(api.get(SERVICES, {"objective": oe2.pk}))) == ids(oe2.services.values("id"))

    def test_filter_by_program(self, api, db):
        inabif = Program.objects.get(slug="inabif")
        rows = results(api.get(SERVICES, {"program": inabif.pk}))
        assert len(rows) == 3
        assert {row["program"] for row in rows} == {inabif.pk}

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"objective": "999999"}, "objective"),
            ({"objective": "OE1"}, "objective"),
            ({"program": "999999"}, "program"),
            ({"program": "99999999999999999999999"}, "program"),
            ({"program": "inabif"}, "program"),
        ],
    )
    def test_an_unknown_filter_value_is_refused(self, api, db, assert_error, params, field):
        assert_error(api.get(SERVICES, params), 400, code="invalid", field=field)


class TestPages:
    @pytest.fixture
    def many(self, db):
        """Enough programs, services and objectives to fill more than ten rows of each list."""
        for n in range(20):
            program = Program.objects.create(name=f"Programa {n}", acronym=f"P{n}", slug=f"p{n}")
            services = [
                Service.objects.create(program=program, name=f"Servicio {n}-{i}", slug=f"s{n}-{i}") for i in range(2)
            ]
            objective = Objective.objects.create(code=f"OE{n + 5}", order=n + 5, title="T", expected_result="R")
            objective.services.set(services)

    @pytest.mark.parametrize("url", [OBJECTIVES, PROGRAMS, SERVICES])
    def test_the_query_count_does_not_grow_with_the_page(self, api, many, url):
        counts = []
        for size in (10, 500):
            with CaptureQueriesContext(connection) as queries:
                assert len(results(api.get(url, {"page_size": size}))) == min(size, api.get(url).json()["count"])
            counts.append(len(queries))
        assert counts[0] == counts[1]

    @pytest.mark.parametrize("url", [OBJECTIVES, PROGRAMS, SERVICES])
    def test_a_huge_page_size_is_refused(self, api, db, assert_error, url):
        assert_error(api.get(url, {"page_size": 100000}), 400, code="invalid", field="page_size")


class TestWritingIsRefused:
    """The ministry edits reference content in the admin; the API only reads it."""

    @pytest.fixture(params=[(OBJECTIVES, Objective), (PROGRAMS, Program), (SERVICES, Service)])
    def resource(self, request, db):
        url, model = request.param
        return url, model.objects.order_by("pk").first()

    def write(self, api, resource, method):
        url, obj = resource
        path = url if method == "post" else detail(url, obj)
        return getattr(api, method)(path, {"name": "Cambiado", "title": "Cambiado"}, format="json")

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_anonymous_is_asked_to_authenticate(self, api, resource, assert_error, method):
        before = rows_of(resource)
        assert_error(self.write(api, resource, method), 401, code="not_authenticated")
        assert rows_of(resource) == before

    @pytest.mark.parametrize("persona", ["coord_amazonas", "coord_puno"])
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_a_coordinator_is_forbidden(self, api, resource, assert_error, request, persona, method):
        api.force_authenticate(request.getfixturevalue(persona))
        before = rows_of(resource)
        assert_error(self.write(api, resource, method), 403, code="permission_denied")
        assert rows_of(resource) == before

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_staff_get_method_not_allowed(self, api, staff, resource, assert_error, method):
        api.force_authenticate(staff)
        before = rows_of(resource)
        assert_error(self.write(api, resource, method), 405, code="method_not_allowed")
        assert rows_of(resource) == before
