"""/api/v1/targets/: read by everyone, set by ministry staff only; filters by indicator,
region (id or slug), year and quarter; every refusal in the error shape, changing nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from programs.api import TargetSerializer
from programs.models import Indicator, Target
from regions.models import Region

URL = "/api/v1/targets/"
DUPLICATE = "This indicator already has a target for this region and period."


@pytest.fixture
def indicator(db):
    return Indicator.objects.get(code="oe1-people-reached")


@pytest.fixture
def target(indicator, amazonas):
    return Target.objects.create(indicator=indicator, region=amazonas, year=2025, quarter=0, value=1200)


@pytest.fixture
def targets(indicator, amazonas, puno, target):
    """Amazonas for 2025 and its first quarter, Puno for 2025 and 2026."""
    other = Indicator.objects.get(code="oe2-families-reached")
    return [
        target,
        Target.objects.create(indicator=indicator, region=amazonas, year=2025, quarter=1, value=300),
        Target.objects.create(indicator=indicator, region=puno, year=2025, value=900),
        Target.objects.create(indicator=other, region=puno, year=2026, value=80),
    ]


def new_target(indicator, region, /, **overrides):
    return {"indicator": indicator.pk, "region": region.pk, "year": 2026, "quarter": 2, "value": 450, **overrides}


def in_spanish(message):
    with translation.override("es"):
        return gettext(message)


def snapshot():
    return list(Target.objects.order_by("pk").values())


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(rows):
    return sorted(row["id"] for row in rows)


def pks(objects):
    return sorted(obj.pk for obj in objects)


class TestReading:
    def test_every_caller_reads_every_regions_targets(self, caller, targets):
        assert ids(results(caller.get(URL))) == pks(targets)

    def test_a_target_shows_its_cell_and_value(self, caller, target, indicator, amazonas):
        assert caller.get(f"{URL}{target.pk}/").json() == {
            "id": target.pk,
            "indicator": indicator.pk,
            "region": amazonas.pk,
            "year": 2025,
            "quarter": 0,
            "value": 1200,
        }

    def test_an_unknown_target_is_not_found(self, caller, assert_error):
        assert_error(caller.get(f"{URL}999999/"), 404, code="not_found")


class TestFilters:
    def test_by_region_slug_or_id(self, api, targets, puno):
        by_slug = ids(results(api.get(URL, {"region": "puno"})))
        assert by_slug == ids(results(api.get(URL, {"region": puno.pk})))
        assert by_slug == pks(targets[2:])

    def test_by_indicator_year_and_quarter(self, api, targets, indicator):
        rows = results(api.get(URL, {"indicator": indicator.pk, "year": 2025, "quarter": 1}))
        assert [(row["region"], row["value"]) for row in rows] == [(targets[1].region_id, 300)]
        assert len(results(api.get(URL, {"year": 2026}))) == 1

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"year": "abc"}, "year"),
            ({"year": "2025.5"}, "year"),
            ({"quarter": "5"}, "quarter"),
            ({"quarter": "Q1"}, "quarter"),
            ({"region": "99999"}, "region"),
            ({"region": "99999999999999999999999"}, "region"),
            ({"region": "atlantis"}, "region"),
            ({"indicator": "999999"}, "indicator"),
            ({"indicator": "oe1-people-reached"}, "indicator"),
        ],
    )
    def test_an_unknown_filter_value_is_refused(self, api, targets, assert_error, params, field):
        assert_error(api.get(URL, params), 400, code="invalid", field=field)


class TestPages:
    @pytest.fixture
    def every_cell(self, db):
        """A target for every region, indicator and quarter of 2025: 15 × 8 × 5 = 600 rows."""
        Target.objects.bulk_create(
            Target(indicator=indicator, region=region, year=2025, quarter=quarter, value=100)
            for indicator in Indicator.objects.all()
            for region in Region.objects.all()
            for quarter in range(5)
        )
        assert Target.objects.count() == 600

    @pytest.mark.parametrize("persona", ["anonymous", "staff"])
    def test_the_query_count_does_not_grow_with_the_page(self, api, every_cell, request, persona):
        if persona != "anonymous":
            api.force_authenticate(request.getfixturevalue(persona))
        counts = []
        for size in (10, 500):
            with CaptureQueriesContext(connection) as queries:
                assert len(results(api.get(URL, {"page_size": size}))) == size
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_a_huge_page_size_is_refused(self, api, db, assert_error):
        assert_error(api.get(URL, {"page_size": 100000}), 400, code="invalid", field="page_size")


class TestStaffSetTargets:
    def test_staff_set_a_target(self, as_staff, indicator, amazonas):
        response = as_staff.post(URL, new_target(indicator, amazonas), format="json")
        assert response.status_code == 201, response.content
        created = Target.objects.get(region=amazonas, year=2026, quarter=2)
        assert response.json() == {**new_target(indicator, amazonas), "id": created.pk}
        assert created.value == 450

    @pytest.mark.parametrize("encoding", ["multipart", "form"])
    def test_a_form_post_is_refused_the_api_takes_json(self, as_staff, indicator, amazonas, encoding, assert_error):
        data = new_target(indicator, amazonas)
        if encoding == "multipart":
            response = as_staff.post(URL, data, format="multipart")
        else:
            body = "&".join(f"{key}={value}" for key, value in data.items())
            response = as_staff.post(URL, body, content_type="application/x-www-form-urlencoded")
        assert_error(response, 415, code="unsupported_media_type")
        assert not Target.objects.filter(region=amazonas, year=2026).exists()

    def test_a_target_without_a_quarter_is_for_the_whole_year(self, as_staff, indicator, puno):
        data = new_target(indicator, puno)
        del data["quarter"]
        response = as_staff.post(URL, data, format="json")
        assert response.status_code == 201, response.content
        assert Target.objects.get(region=puno, year=2026).quarter == Target.WHOLE_YEAR

    def test_staff_replace_a_target(self, as_staff, target, indicator, puno):
        response = as_staff.put(f"{URL}{target.pk}/", new_target(indicator, puno, value=10), format="json")
        assert response.status_code == 200, response.content
        target.refresh_from_db()
        assert (target.region, target.year, target.quarter, target.value) == (puno, 2026, 2, 10)

    def test_staff_change_the_value(self, as_staff, target):
        response = as_staff.patch(f"{URL}{target.pk}/", {"value": 1500}, format="json")
        assert response.status_code == 200
        target.refresh_from_db()
        assert target.value == 1500

    def test_a_target_may_be_saved_again_unchanged(self, as_staff, target):
        body = as_staff.get(f"{URL}{target.pk}/").json()
        assert as_staff.put(f"{URL}{target.pk}/", body, format="json").status_code == 200

    def test_staff_delete_a_target(self, as_staff, target):
        assert as_staff.delete(f"{URL}{target.pk}/").status_code == 204
        assert not Target.objects.filter(pk=target.pk).exists()


class TestOthersMayNotSetTargets:
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_anonymous_is_asked_to_authenticate(self, api, target, indicator, amazonas, assert_error, method):
        before = snapshot()
        path = URL if method == "post" else f"{URL}{target.pk}/"
        response = getattr(api, method)(path, new_target(indicator, amazonas), format="json")
        assert_error(response, 401, code="not_authenticated")
        assert snapshot() == before

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_the_coordinator_of_the_region_is_forbidden(
        self, api, coord_amazonas, target, indicator, amazonas, assert_error, method
    ):
        api.force_authenticate(coord_amazonas)
        before = snapshot()
        path = URL if method == "post" else f"{URL}{target.pk}/"
        response = getattr(api, method)(path, new_target(indicator, amazonas), format="json")
        assert_error(response, 403, code="permission_denied")
        assert snapshot() == before

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_the_coordinator_of_another_region_is_forbidden(
        self, api, coord_puno, target, indicator, amazonas, assert_error, method
    ):
        api.force_authenticate(coord_puno)
        before = snapshot()
        path = URL if method == "post" else f"{URL}{target.pk}/"
        response = getattr(api, method)(path, new_target(indicator, amazonas), format="json")
        assert_error(response, 403, code="permission_denied")
        assert snapshot() == before

    def test_a_disabled_staff_member_is_refused(self, api, staff, indicator, amazonas, assert_error):
        staff.is_active = False
        staff.save()
        api.force_authenticate(staff)
        assert_error(api.post(URL, new_target(indicator, amazonas), format="json"), 403)
        assert not Target.objects.exists()


class TestBadInput:
    @pytest.mark.parametrize(
        "overrides, field",
        [
            ({"value": -1}, "value"),
            ({"value": "many"}, "value"),
            ({"value": 1.5}, "value"),
            ({"value": None}, "value"),
            ({"quarter": 5}, "quarter"),
            ({"quarter": -1}, "quarter"),
            ({"year": 2023}, "year"),
            ({"year": 2101}, "year"),
            ({"year": "next"}, "year"),
            ({"region": "amazonas"}, "region"),
            ({"region": 999999}, "region"),
            ({"indicator": 999999}, "indicator"),
            ({"indicator": [1]}, "indicator"),
            ({"valeu": 450}, "valeu"),
            ({"id": 1, "region_name": "Amazonas"}, "region_name"),
        ],
    )
    def test_is_refused_naming_the_field(self, as_staff, indicator, amazonas, assert_error, overrides, field):
        before = snapshot()
        response = as_staff.post(URL, new_target(indicator, amazonas, **overrides), format="json")
        assert_error(response, 400, code="invalid", field=field)
        assert snapshot() == before

    def test_a_year_before_the_campaign_gets_the_campaigns_message(self, as_staff, indicator, amazonas, assert_error):
        response = as_staff.post(URL, new_target(indicator, amazonas, year=2023), format="json")
        error = assert_error(response, 400, field="year")
        assert error["message"] == "La campaña empezó en 2024: indique un año a partir de 2024."

    @pytest.mark.parametrize("missing", ["indicator", "region", "year", "value"])
    def test_a_missing_required_field_is_named(self, as_staff, indicator, amazonas, assert_error, missing):
        data = new_target(indicator, amazonas)
        del data[missing]
        assert_error(as_staff.post(URL, data, format="json"), 400, code="invalid", field=missing)
        assert not Target.objects.exists()

    def test_a_second_target_for_the_same_cell_is_refused(self, as_staff, target, indicator, amazonas, assert_error):
        before = snapshot()
        data = new_target(indicator, amazonas, year=2025, quarter=0, value=5)
        error = assert_error(as_staff.post(URL, data, format="json"), 400, field="non_field_errors")
        assert error["message"] == in_spanish(DUPLICATE)
        assert snapshot() == before

    def test_moving_a_target_onto_another_ones_cell_is_refused(self, as_staff, targets, assert_error):
        before = snapshot()
        response = as_staff.patch(f"{URL}{targets[1].pk}/", {"quarter": 0}, format="json")
        assert_error(response, 400, field="non_field_errors")
        assert snapshot() == before

    def test_a_duplicate_that_slips_past_the_check_is_still_a_400(
        self, as_staff, target, indicator, amazonas, monkeypatch, assert_error
    ):
        # As when two staff save the same cell at once: both pass the check, the database refuses one.
        monkeypatch.setattr(TargetSerializer.Meta, "validators", [])
        before = snapshot()
        data = new_target(indicator, amazonas, year=2025, quarter=0)
        error = assert_error(as_staff.post(URL, data, format="json"), 400, field="non_field_errors")
        assert error["message"] == in_spanish(DUPLICATE)
        assert snapshot() == before
        assert as_staff.get(URL).status_code == 200  # the transaction is still usable

    def test_malformed_json_is_a_parse_error(self, as_staff, assert_error):
        response = as_staff.post(URL, '{"indicator": 1, "value": }', content_type="application/json")
        assert_error(response, 400, code="parse_error")
        assert not Target.objects.exists()

    def test_a_list_instead_of_an_object_is_refused(self, as_staff, indicator, amazonas, assert_error):
        response = as_staff.post(URL, [new_target(indicator, amazonas)], format="json")
        assert_error(response, 400, code="invalid", field="non_field_errors")
        assert not Target.objects.exists()

    def test_writing_to_the_list_is_only_post(self, as_staff, target, assert_error):
        assert_error(as_staff.delete(URL), 405, code="method_not_allowed")
        assert_error(as_staff.patch(URL, {"value": 1}, format="json"), 405)
        assert Target.objects.get(pk=target.pk).value == 1200
