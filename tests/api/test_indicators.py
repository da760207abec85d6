"""/api/v1/indicators/: read by everyone; ministry staff add, change and delete them;
coordinators and visitors are refused, and refused input changes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.models import Indicator, Objective, Target

URL = "/api/v1/indicators/"
FIELDS = {"id", "objective", "code", "name", "name_en", "unit", "unit_en", "computation", "order"}


@pytest.fixture
def indicator(db):
    return Indicator.objects.get(code="oe1-people-reached")


def new_indicator(**overrides):
    return {
        "objective": Objective.objects.get(code="OE3").pk,
        "code": "oe3-community-events",
        "name": "Eventos comunitarios",
        "name_en": "Community events",
        "unit": "eventos",
        "unit_en": "events",
        "computation": "activities",
        "order": 9,
        **overrides,
    }


def snapshot():
    return list(Indicator.objects.order_by("pk").values())


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


class TestReading:
    def test_every_caller_reads_the_eight_indicators(self, caller):
        rows = results(caller.get(URL))
        assert len(rows) == 8
        assert all(set(row) == FIELDS for row in rows)

    def test_an_indicator_shows_both_languages_and_how_it_is_computed(self, caller, indicator):
        body = caller.get(f"{URL}{indicator.pk}/").json()
        assert body == {
            "id": indicator.pk,
            "objective": indicator.objective_id,
            "code": "oe1-people-reached",
            "name": "Personas sensibilizadas",
            "name_en": "People reached by awareness activities",
            "unit": "personas",
            "unit_en": "people",
            "computation": "participants",
            "order": indicator.order,
        }

    def test_filter_by_objective_and_computation(self, api, db):
        oe2 = Objective.objects.get(code="OE2")
        assert {row["code"] for row in results(api.get(URL, {"objective": oe2.pk}))} == {
            "oe2-families-reached",
            "oe2-parenting-sessions",
        }
        assert len(results(api.get(URL, {"computation": "activities"}))) == 3

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"objective": "999999"}, "objective"),
            ({"objective": "OE1"}, "objective"),
            ({"computation": "sum"}, "computation"),
        ],
    )
    def test_an_unknown_filter_value_is_refused(self, api, db, assert_error, params, field):
        assert_error(api.get(URL, params), 400, code="invalid", field=field)

    def test_an_unknown_indicator_is_not_found(self, caller, assert_error):
        assert_error(caller.get(f"{URL}999999/"), 404, code="not_found")

    def test_the_query_count_does_not_grow_with_the_page(self, api, db):
        objective = Objective.objects.get(code="OE1")
        Indicator.objects.bulk_create(
            Indicator(objective=objective, code=f"extra-{n}", name=f"Extra {n}", unit="u", computation="activities")
            for n in range(30)
        )
        counts = []
        for size in (10, 500):
            with CaptureQueriesContext(connection) as queries:
                assert len(results(api.get(URL, {"page_size": size}))) == min(size, 38)
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_a_huge_page_size_is_refused(self, api, db, assert_error):
        assert_error(api.get(URL, {"page_size": 100000}), 400, code="invalid", field="page_size")


class TestStaffEdit:
    def test_staff_add_an_indicator(self, as_staff):
        response = as_staff.post(URL, new_indicator(), format="json")
        assert response.status_code == 201, response.content
        created = Indicator.objects.get(code="oe3-community-events")
        assert response.json() == {**new_indicator(), "id": created.pk}
        assert created.objective.code == "OE3"

    def test_staff_replace_an_indicator(self, as_staff, indicator):
        data = new_indicator(code=indicator.code, name="Personas alcanzadas")
        response = as_staff.put(f"{URL}{indicator.pk}/", data, format="json")
        assert response.status_code == 200, response.content
        indicator.refresh_from_db()
        assert (indicator.name, indicator.objective.code, indicator.computation) == (
            "Personas alcanzadas",
            "OE3",
            "activities",
        )

    def test_staff_change_one_field(self, as_staff, indicator):
        response = as_staff.patch(f"{URL}{indicator.pk}/", {"name_en": "People reached"}, format="json")
        assert response.status_code == 200
        indicator.refresh_from_db()
        assert (indicator.name_en, indicator.name) == ("People reached", "Personas sensibilizadas")

    def test_staff_delete_an_indicator_with_its_targets(self, as_staff, indicator, amazonas):
        Target.objects.create(indicator=indicator, region=amazonas, year=2025, value=10)
        response = as_staff.delete(f"{URL}{indicator.pk}/")
        assert response.status_code == 204
        assert not Indicator.objects.filter(pk=indicator.pk).exists()
        assert not Target.objects.filter(indicator_id=indicator.pk).exists()


class TestOthersMayNotEdit:
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_anonymous_is_asked_to_authenticate(self, api, indicator, assert_error, method):
        before = snapshot()
        path = URL if method == "post" else f"{URL}{indicator.pk}/"
        assert_error(getattr(api, method)(path, new_indicator(), format="json"), 401, code="not_authenticated")
        assert snapshot() == before

    @pytest.mark.parametrize("persona", ["coord_amazonas", "coord_puno"])
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_a_coordinator_is_forbidden(self, api, indicator, assert_error, request, persona, method):
        api.force_authenticate(request.getfixturevalue(persona))
        before = snapshot()
        path = URL if method == "post" else f"{URL}{indicator.pk}/"
        assert_error(getattr(api, method)(path, new_indicator(), format="json"), 403, code="permission_denied")
        assert snapshot() == before


class TestBadInput:
    @pytest.mark.parametrize(
        "data, field",
        [
            ({"order": "first"}, "order"),
            ({"objective": "OE1"}, "objective"),
            ({"objective": 999999}, "objective"),
            ({"computation": "median"}, "computation"),
            ({"code": "not a slug"}, "code"),
            ({"code": "oe1-people-reached"}, "code"),
            ({"name": ""}, "name"),
            ({"name": ["Eventos"]}, "name"),
            ({"target": 100}, "target"),
        ],
    )
    def test_is_refused_naming_the_field(self, as_staff, assert_error, data, field):
        before = snapshot()
        assert_error(as_staff.post(URL, new_indicator(**data), format="json"), 400, code="invalid", field=field)
        assert snapshot() == before

    @pytest.mark.parametrize("missing", ["objective", "code", "name", "unit", "computation"])
    def test_a_missing_required_field_is_named(self, as_staff, assert_error, missing):
        data = new_indicator()
        del data[missing]
        assert_error(as_staff.post(URL, data, format="json"), 400, code="invalid", field=missing)
        assert not Indicator.objects.filter(code="oe3-community-events").exists()

    def test_an_unknown_field_is_refused_on_patch_too(self, as_staff, indicator, assert_error):
        before = snapshot()
        response = as_staff.patch(f"{URL}{indicator.pk}/", {"nmae": "Typo"}, format="json")
        error = assert_error(response, 400, code="invalid", field="nmae")
        assert list(error["fields"]) == ["nmae"]
        assert snapshot() == before

    def test_malformed_json_is_a_parse_error(self, as_staff, assert_error):
        before = snapshot()
        response = as_staff.post(URL, '{"code": "oe3-x", ', content_type="application/json")
        assert_error(response, 400, code="parse_error")
        assert snapshot() == before

    def test_an_unsupported_media_type_is_refused(self, as_staff, assert_error):
        response = as_staff.post(URL, "code: oe3-x", content_type="text/yaml")
        assert_error(response, 415, code="unsupported_media_type")

    def test_writing_to_the_list_is_only_post(self, as_staff, assert_error):
        assert_error(as_staff.delete(URL), 405, code="method_not_allowed")
        assert_error(as_staff.put(URL, new_indicator(), format="json"), 405)
        assert Indicator.objects.count() == 8
