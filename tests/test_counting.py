"""The estimated count of long lists (prevent_protect.counting): exact up to the threshold,
PostgreSQL's planner estimate past it, and pages that stay right whatever the estimate says."""

import datetime
import uuid

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.db.models import Count
from django.utils import translation

from activities.models import Activity
from prevent_protect.counting import (
    EstimatingPaginator,
    count_list,
    long_lists,
    planner_rows,
    rounded,
    rows_between,
    shown,
)
from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db


def many_activities(region, n, **fields):
    """n activities by one bulk INSERT, then ANALYZE: the planner's statistics a bulk loader leaves."""
    template = ActivityFactory.build(region=region, **fields)
    values = {f.attname: getattr(template, f.attname) for f in Activity._meta.concrete_fields if f.name != "id"}
    day = datetime.date(2025, 1, 1)
    rows = [
        Activity(
            **{
                **values,
                "client_uuid": uuid.uuid4(),
                "title": f"Taller {k}",
                "start_date": day + datetime.timedelta(days=k % 7),
                "end_date": day + datetime.timedelta(days=k % 7),
            }
        )
        for k in range(n)
    ]
    created = Activity.objects.bulk_create(rows)
    analyze()
    return created


def analyze():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE activities_activity")


@pytest.fixture(autouse=True)
def _no_kept_estimates():
    # Each process keeps the estimates of long lists for a minute; each test starts without any.
    long_lists.clear()
    yield
    long_lists.clear()


@pytest.fixture
def threshold(settings):
    settings.LIST_COUNT_EXACT_UP_TO = 10
    return 10


class TestCountList:
    def test_a_list_below_the_threshold_is_counted_exactly(self, amazonas, threshold):
        many_activities(amazonas, 7)
        assert count_list(Activity.objects.all()) == (7, True) == count_list(Activity.objects.order_by("title"))

    def test_a_list_of_exactly_the_threshold_is_still_exact(self, amazonas, threshold):
        many_activities(amazonas, threshold)
        counted = count_list(Activity.objects.all())
        assert (counted.value, counted.exact) == (threshold, True)

    def test_past_the_threshold_the_count_is_the_planners_estimate_flagged_inexact(self, amazonas, threshold):
        many_activities(amazonas, 40)
        counted = count_list(Activity.objects.all())
        assert counted.exact is False
        assert counted.value == planner_rows(Activity.objects.values("pk"))
        # ANALYZE read every row of so small a table: the estimate is the truth here.
        assert counted.value == 40

    def test_an_estimate_below_what_was_seen_gives_way_to_the_rows_seen(self, amazonas, threshold):
        many_activities(amazonas, 5)
        # 30 more after the statistics were taken: the planner scales by the table's pages, which
        # may still say fewer than the 11 rows counting stopped at.
        Activity.objects.bulk_create(
            [Activity(region=amazonas, client_uuid=uuid.uuid4(), title=f"Borrador {k}") for k in range(30)]
        )
        counted = count_list(Activity.objects.all())
        assert counted.exact is False
        assert counted.value >= threshold + 1

    def test_a_small_filtered_list_is_exact_whatever_the_planner_expects(self, amazonas, puno, threshold):
        many_activities(amazonas, 40)
        many_activities(puno, 3)
        counted = count_list(Activity.objects.filter(region=puno))
        assert (counted.value, counted.exact) == (3, True)

    def test_a_long_filtered_list_is_estimated(self, amazonas, puno, threshold):
        many_activities(amazonas, 40)
        many_activities(puno, 3)
        counted = count_list(Activity.objects.filter(region=amazonas))
        assert counted.exact is False
        assert 11 <= counted.value <= 60

    def test_a_long_lists_estimate_is_kept_and_asks_nothing_the_second_time(
        self, amazonas, threshold, django_assert_num_queries
    ):
        many_activities(amazonas, 40)
        first = count_list(Activity.objects.all())
        with django_assert_num_queries(0):
            assert count_list(Activity.objects.all()) == first
        # Another list, or the same with another threshold, is counted anew.
        with django_assert_num_queries(1):
            assert count_list(Activity.objects.filter(title="Taller 3")) == (1, True)
        with django_assert_num_queries(1):
            assert count_list(Activity.objects.all(), exact_up_to_rows=100) == (40, True)

    def test_an_exact_count_is_never_kept(self, amazonas, threshold, django_assert_num_queries):
        many_activities(amazonas, 4)
        assert count_list(Activity.objects.all()) == (4, True)
        many_activities(amazonas, 2)
        with django_assert_num_queries(1):
            assert count_list(Activity.objects.all()) == (6, True)

    def test_an_empty_queryset_asks_nothing(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert count_list(Activity.objects.none()) == (0, True)

    def test_a_filter_on_an_empty_choice_asks_nothing(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert count_list(Activity.objects.filter(region__in=[])) == (0, True)

    def test_a_plain_list_is_its_length(self):
        assert count_list(list(range(25_000))) == (25_000, True)

    def test_a_grouped_list_is_counted_exactly(self, amazonas, settings):
        settings.LIST_COUNT_EXACT_UP_TO = 3
        many_activities(amazonas, 40)
        by_date = Activity.objects.values("start_date").annotate(n=Count("id")).order_by("start_date")
        assert count_list(by_date) == (7, True)


class TestShown:
    def test_an_exact_count_is_grouped_in_the_pages_language(self):
        with translation.override("en"):
            assert shown(43386, exact=True) == "43,386"
        with translation.override("es"):
            assert shown(43386, exact=True) == "43\xa0386"

    def test_an_estimate_says_about_and_keeps_two_significant_digits(self):
        with translation.override("en"):
            assert shown(999_795, exact=False) == "about 1,000,000"
            assert shown(118_676, exact=False) == "about 120,000"
        with translation.override("es"):
            # "alrededor de 1 000 000" once the Spanish catalogue has the message.
            assert shown(1_000_213, exact=False).endswith("1\xa0000\xa0000")

    @pytest.mark.parametrize(
        ("value", "expected"), [(0, 0), (99, 99), (123, 120), (10_001, 10_000), (999_795, 1_000_000), (15_500, 16_000)]
    )
    def test_rounding(self, value, expected):
        assert rounded(value) == expected


class TestPaginator:
    @pytest.fixture
    def listed(self, amazonas, threshold):
        many_activities(amazonas, 23)
        return Activity.objects.all()

    def test_an_estimated_page_reads_the_next_page_from_its_rows(self, listed, django_assert_max_num_queries):
        paginator = EstimatingPaginator(listed, 10)
        page = paginator.page(1)
        assert paginator.count_exact is False
        assert page.has_next() and not page.has_previous()
        assert [a.pk for a in page] == [a.pk for a in listed[:10]]
        assert page.next_page_number() == 2

    def test_the_last_page_ends_the_list_and_settles_the_count(self, listed):
        paginator = EstimatingPaginator(listed, 10)
        page = paginator.page(3)
        assert len(page) == 3
        assert not page.has_next()
        assert (paginator.count, paginator.count_exact) == (23, True)
        assert page.end_index() == 23

    def test_a_page_past_the_end_is_empty_whatever_the_estimate(self, listed):
        # The statistics say 23 rows: remove 8 without telling the planner. 15 remain, more than
        # the threshold, so the planner's 23 (three pages) is what the paginator starts from.
        Activity.objects.filter(pk__in=listed.values("pk")[:8]).delete()
        paginator = EstimatingPaginator(Activity.objects.all(), 10)
        assert (paginator.count, paginator.count_exact) == (23, False)
        with pytest.raises(EmptyPage):
            paginator.page(3)
        page = paginator.page(2)
        assert (len(page), page.has_next(), paginator.count, paginator.count_exact) == (5, False, 15, True)

    @pytest.mark.parametrize("number", [0, -1, "0"])
    def test_a_page_below_one_is_refused(self, listed, number):
        with pytest.raises(EmptyPage):
            EstimatingPaginator(listed, 10).page(number)

    @pytest.mark.parametrize("number", ["abc", "1.5", None, 2.5])
    def test_a_page_that_is_no_whole_number_is_refused(self, listed, number):
        with pytest.raises(PageNotAnInteger):
            EstimatingPaginator(listed, 10).page(number)

    def test_a_page_number_too_large_for_an_offset_is_refused_without_a_query(self, listed, django_assert_num_queries):
        paginator = EstimatingPaginator(listed, 10)
        paginator.count  # noqa: B018 the estimate, first
        with django_assert_num_queries(0), pytest.raises(EmptyPage):
            paginator.page(10**30)

    def test_get_page_past_the_end_shows_the_real_last_page(self, listed):
        Activity.objects.filter(pk__in=listed.values("pk")[:8]).delete()
        paginator = EstimatingPaginator(Activity.objects.all(), 10)
        page = paginator.get_page(9)
        assert (page.number, len(page), paginator.count, paginator.count_exact) == (2, 5, 15, True)

    def test_below_the_threshold_it_is_djangos_paginator(self, amazonas, threshold):
        many_activities(amazonas, 9)
        paginator = EstimatingPaginator(Activity.objects.all(), 4)
        assert (paginator.count, paginator.count_exact, paginator.num_pages) == (9, True, 3)
        with pytest.raises(EmptyPage):
            paginator.page(4)
        assert paginator.get_page(4).number == 3


class TestRowsBetween:
    """A deep page picks its ids from an index first; the rows are those plain slicing gives."""

    @pytest.mark.parametrize("ordering", [None, ("title", "-id"), ("-start_date", "id"), ("status", "-title", "id")])
    def test_the_same_rows_in_the_same_order_as_a_plain_slice(self, amazonas, ordering):
        many_activities(amazonas, 30)
        listed = Activity.objects.all() if ordering is None else Activity.objects.order_by(*ordering)
        for bottom, top in ((0, 7), (7, 14), (21, 40), (35, 45)):
            assert [a.pk for a in rows_between(listed, bottom, top)] == [a.pk for a in listed[bottom:top]]

    def test_a_filtered_list_keeps_its_filter(self, amazonas, puno):
        many_activities(amazonas, 12)
        many_activities(puno, 12)
        listed = Activity.objects.filter(region=puno)
        assert {a.region_id for a in rows_between(listed, 5, 20)} == {puno.pk}
        assert len(rows_between(listed, 5, 20)) == 7

    def test_the_deep_page_is_chosen_from_the_index_not_the_table(self, amazonas):
        many_activities(amazonas, 30)
        sql = str(rows_between(Activity.objects.all(), 20, 30).query)
        assert "IN (SELECT" in sql and "OFFSET 20" in sql
