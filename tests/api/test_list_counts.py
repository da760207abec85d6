"""The page envelope past the estimate's threshold (prevent_protect.rest.PagePagination): `count`
stays an integer, `count_exact` says whether it is one, `next` is read from the rows; and the
signed-in activity list written from plain rows reads as ActivitySerializer writes it."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from activities.api.activities import ActivitySerializer, as_rows, written
from activities.models import Activity
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory, analyzed_activities

URL = "/api/v1/activities/"


@pytest.fixture
def twelve(amazonas, settings):
    """12 activities, with counts exact up to 5: the staff list is estimated."""
    settings.LIST_COUNT_EXACT_UP_TO = 5
    return analyzed_activities(amazonas, 12)


def test_a_short_list_says_its_count_is_exact(as_staff, amazonas):
    analyzed_activities(amazonas, 3)
    body = as_staff.get(URL).json()
    assert (body["count"], body["count_exact"], body["next"], body["previous"]) == (3, True, None, None)


class TestEstimatedList:
    def test_the_first_page_gives_the_estimate_and_a_next_link(self, as_staff, twelve):
        body = as_staff.get(URL, {"page_size": 5}).json()
        assert body["count_exact"] is False
        assert isinstance(body["count"], int) and body["count"] >= 6
        assert body["next"].endswith("?page=2&page_size=5")
        assert [item["id"] for item in body["results"]] == [a.pk for a in Activity.objects.all()[:5]]

    def test_the_pages_follow_each_other_to_the_end_without_a_gap(self, as_staff, twelve):
        seen, url = [], f"{URL}?page_size=5"
        while url:
            body = as_staff.get(url).json()
            seen += [item["id"] for item in body["results"]]
            url = body["next"]
        assert seen == [a.pk for a in Activity.objects.all()]
        # The last page read the end of the list: its count is exact.
        assert (body["count"], body["count_exact"]) == (12, True)
        assert body["previous"].endswith("?page=2&page_size=5")

    def test_next_is_absent_at_the_end_even_when_the_estimate_says_more(self, as_staff, twelve):
        # The planner still counts 12: 4 are gone without its knowing, and 8 stay (more than 5).
        Activity.objects.filter(pk__in=[a.pk for a in twelve[:4]]).delete()
        first = as_staff.get(URL, {"page_size": 5}).json()
        assert (first["count"], first["count_exact"]) == (12, False)
        last = as_staff.get(URL, {"page_size": 5, "page": 2}).json()
        assert (len(last["results"]), last["next"], last["count"], last["count_exact"]) == (3, None, 8, True)

    def test_a_page_past_the_end_is_not_found(self, as_staff, twelve, assert_error):
        assert_error(as_staff.get(URL, {"page_size": 5, "page": 4}), 404, code="not_found")

    @pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "9" * 40])
    def test_a_wrong_page_is_not_found_as_before(self, as_staff, twelve, page, assert_error):
        assert_error(as_staff.get(URL, {"page_size": 5, "page": page}), 404, code="not_found")

    def test_page_last_is_the_real_last_page(self, as_staff, twelve):
        body = as_staff.get(URL, {"page_size": 5, "page": "last"}).json()
        assert (len(body["results"]), body["count"], body["count_exact"], body["next"]) == (2, 12, True, None)

    def test_a_coordinators_short_list_stays_exact(self, api, twelve, puno, coord_puno):
        analyzed_activities(puno, 2)
        api.force_authenticate(coord_puno)
        body = api.get(URL).json()
        assert (body["count"], body["count_exact"]) == (2, True)


def test_the_schema_documents_count_exact_in_the_envelope(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    envelope = schema["components"]["schemas"]["PaginatedActivityReadList"]
    assert envelope["properties"]["count_exact"]["type"] == "boolean"
    assert {"count", "count_exact", "results"} <= set(envelope["required"])
    assert list(envelope["properties"])[:2] == ["count", "count_exact"]


class TestPlainRows:
    """The list reads plain rows; what it writes must be what the serializer writes."""

    def test_rows_read_as_the_serializer_writes_them(self, amazonas, puno, coord_amazonas):
        network = SupportNetworkFactory(region=amazonas)
        partners = [InstitutionFactory(region=amazonas, name=name) for name in ("Zeta", "Alfa", "Media")]
        full = ActivityFactory(
            region=amazonas,
            support_network=network,
            latitude=Decimal("-6.231234"),
            longitude=Decimal("-77.869876"),
            families=3,
            status="approved",
            review_comment="Bien",
            created_by=coord_amazonas,
        )
        full.institutions.set(partners)
        ActivityFactory(region=puno, latitude=None, longitude=None, girls=0, women=0, men=0, families=0)
        Activity.objects.create(region=amazonas, client_uuid=uuid.uuid4())  # a bare draft: no dates, no title
        ActivityFactory(region=amazonas, start_date=datetime.date(2024, 12, 31), end_date=datetime.date(2025, 1, 2))
        activities = Activity.objects.all()
        expected = ActivitySerializer(activities.prefetch_related("institutions"), many=True).data
        assert JSONRenderer().render(written(list(as_rows(activities)))) == JSONRenderer().render(expected)
        first = written(list(as_rows(activities.filter(pk=full.pk))))[0]
        assert first["institutions"] == [partners[1].pk, partners[2].pk, partners[0].pk]  # by name

    def test_rows_without_their_partners_ask_for_them_in_one_query(self, amazonas, django_assert_num_queries):
        # What another database than PostgreSQL gives: no partner_ids column.
        partners = [InstitutionFactory(region=amazonas, name=name) for name in ("Beta", "Alfa")]
        activity = ActivityFactory(region=amazonas)
        activity.institutions.set(partners)
        ActivityFactory(region=amazonas)
        rows = [{k: v for k, v in row.items() if k != "partner_ids"} for row in as_rows(Activity.objects.all())]
        with django_assert_num_queries(1):
            answer = written(rows)
        expected = ActivitySerializer(Activity.objects.prefetch_related("institutions"), many=True).data
        assert JSONRenderer().render(answer) == JSONRenderer().render(expected)

    @pytest.mark.parametrize("zone", ["UTC", "America/Lima", "Asia/Kathmandu"])
    def test_moments_read_as_the_serializer_writes_them_in_any_time_zone(self, amazonas, zone):
        on_the_second = ActivityFactory(region=amazonas)
        ActivityFactory(region=amazonas)
        # No microseconds: isoformat() then writes none, and the rows must not either.
        moment = datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC)
        Activity.objects.filter(pk=on_the_second.pk).update(created_at=moment, updated_at=moment)
        activities = Activity.objects.all()
        with timezone.override(zone):
            expected = ActivitySerializer(activities.prefetch_related("institutions"), many=True).data
            assert JSONRenderer().render(written(list(as_rows(activities)))) == JSONRenderer().render(expected)

    def test_a_list_whose_ids_are_more_than_one_column_is_read_all_the_same(self, amazonas, puno):
        # DISTINCT with another order selects the order's columns too: such a list is read as
        # values() reads it, in its own order.
        for title in ("Charla", "Anfiteatro", "Brigada"):
            ActivityFactory(region=amazonas, title=title)
        ActivityFactory(region=puno, title="Anfiteatro")
        activities = Activity.objects.order_by("title", "id").distinct()
        expected = ActivitySerializer(activities.prefetch_related("institutions"), many=True).data
        assert JSONRenderer().render(written(list(as_rows(activities)))) == JSONRenderer().render(expected)
        assert [row["title"] for row in as_rows(activities[1:3])] == ["Anfiteatro", "Brigada"]

    def test_an_empty_list_reads_no_rows(self, amazonas, django_assert_num_queries):
        ActivityFactory(region=amazonas)
        with django_assert_num_queries(0):
            assert list(as_rows(Activity.objects.none())) == []
            assert list(as_rows(Activity.objects.filter(region_id__in=[]))) == []

    def test_a_page_is_read_in_the_lists_order_in_one_query(self, amazonas, django_assert_num_queries):
        for day in (3, 1, 2):
            ActivityFactory(region=amazonas, start_date=datetime.date(2025, 5, day), end_date=datetime.date(2025, 5, 9))
        with django_assert_num_queries(1):
            rows = list(as_rows(Activity.objects.filter(region=amazonas))[1:3])
        assert [row["start_date"].day for row in rows] == [2, 1]

    def test_the_api_answers_the_rows(self, as_staff, amazonas):
        activity = ActivityFactory(region=amazonas, latitude=Decimal("-6.2"), longitude=Decimal("-77.8"))
        body = as_staff.get(URL).json()
        expected = JSONRenderer().render(ActivitySerializer(activity).data)
        assert JSONRenderer().render(body["results"][0]) == expected
