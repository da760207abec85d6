"""How long a list is, without reading a million rows for every page of it.

An exact COUNT(*) reads every row a list holds: for staff's list of all 1,000,000 activities that
is an index scan of about 50 ms on both cores, on every page. So a list is counted exactly only
up to a threshold (settings.LIST_COUNT_EXACT_UP_TO, 10,000 by default), which costs at most that
many rows whatever the list; past it the count is PostgreSQL's planner estimate, flagged as one
(`ListCount.exact`), which pages show as "about 1 000 000" and the API as `count_exact: false`.

A paginator built on it (EstimatingPaginator) never needs the count to move between pages: a page
fetches one row more than it shows, so "is there a next page" is read from the rows, and the last
page, reached, gives the exact count.
"""

import json
import time
from math import ceil
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

EXACT_UP_TO = 10_000
# OFFSET is a PostgreSQL bigint; no list comes near this, and a page number past it is refused
# without a query rather than overflowing one.
MAX_OFFSET = 2**62


class ListCount(NamedTuple):
    value: int
    exact: bool


def exact_up_to():
    return getattr(settings, "LIST_COUNT_EXACT_UP_TO", EXACT_UP_TO)


def count_list(object_list, *, exact_up_to_rows=None):
    """The rows of a list: exact up to the threshold, PostgreSQL's estimate past it (another
    database, which has no such estimate, counts exactly)."""
    limit = exact_up_to() if exact_up_to_rows is None else exact_up_to_rows
    if not isinstance(object_list, QuerySet):
        return ListCount(len(object_list), exact=True)
    query = object_list.query
    if query.is_empty():
        return ListCount(0, exact=True)
    # A grouped, combined or sliced list would change meaning as `values("pk")`; none is long.
    # Elsewhere than PostgreSQL there is no estimate to read.
    if not _sliceable_by_id(object_list):
        return ListCount(object_list.count(), exact=True)
    ids = object_list.order_by().values("pk")
    try:
        sql, params = ids.query.get_compiler(using=ids.db).as_sql()
    except EmptyResultSet:  # e.g. `region__in=[]`: Django knows there is nothing to ask for
        return ListCount(0, exact=True)
    key = (ids.db, limit, sql, repr(params))
    if known := long_lists.get(key):
        return known
    # Counting stops one row past the threshold: a short list is counted exactly, a long one
    # costs no more than that (and the planner's guess, which a filter can put far off either
    # way, is only asked for a list known to be long).
    seen = ids[: limit + 1].count()
    if seen <= limit:
        return ListCount(seen, exact=True)
    counted = ListCount(max(planned_rows(ids.db, sql, params), seen), exact=False)
    long_lists.keep(key, counted)
    return counted


class LongLists:
    """The estimates of the lists found long, kept for a minute by each process: every page of
    staff's list then costs no counting query at all. Only estimates are kept (an exact count
    is never served stale), and an estimate a minute old is as good as a new one."""

    SECONDS = 60
    MOST = 500

    def __init__(self):
        self.kept = {}

    def get(self, key):
        found = self.kept.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def keep(self, key, counted):
        if len(self.kept) >= self.MOST:
            self.kept.clear()  # a crude bound: any estimate is one query away
        self.kept[key] = (time.monotonic() + self.SECONDS, counted)

    def clear(self):
        self.kept.clear()


long_lists = LongLists()


def planner_rows(queryset):
    """The number of rows PostgreSQL's planner expects `queryset` to return (from the table's
    statistics: ANALYZE, or autovacuum where it runs, keeps them current)."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return planned_rows(queryset.db, sql, params)


def planned_rows(alias, sql, params):
    with connections[alias].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def rows_between(object_list, bottom, top):
    """`object_list[bottom:top]`, with the rows skipped read from an index rather than the table.

    PostgreSQL fetches every row an OFFSET skips from the table before dropping it: page 100 of
    the million activities read 5,000 rows scattered over the table (34 ms), page 10,000 half a
    million (1.5 s). Choosing the page's ids first lets an index that serves the order skip them
    without touching the table (1.3 ms and 65 ms), then only the page's rows are read.
    """
    if bottom == 0 or not _sliceable_by_id(object_list):
        return object_list[bottom:top]
    return object_list.filter(pk__in=object_list.values("pk")[bottom:top])


def _sliceable_by_id(object_list):
    if not isinstance(object_list, QuerySet) or connections[object_list.db].vendor != "postgresql":
        return False
    query = object_list.query
    return query.group_by is None and not query.combinator and not query.is_sliced and not query.distinct_fields


def rounded(value):
    """An estimate to two significant digits (1,000,213 → 1,000,000): more would claim a precision
    the planner does not have."""
    if value < 100:
        return value
    step = 10 ** (len(str(value)) - 2)
    return round(value / step) * step


def shown(value, *, exact):
    """A count as pages print it: "43 386", or "about 1 000 000" for an estimate."""
    if exact:
        return number_format(value, force_grouping=True)
    return _("about %(count)s") % {"count": number_format(rounded(value), force_grouping=True)}


class EstimatedPage(Page):
    """A page of a long list: whether another follows was read from the rows, not the count."""

    def __init__(self, object_list, number, paginator, *, has_next):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return self._has_next

    def end_index(self):
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class EstimatingPaginator(Paginator):
    """Django's paginator, with `count` from count_list and `count_exact` to say which it is.

    With an exact count it behaves as Django's. With an estimate, a page number is valid when that
    page has rows (a page past the end is an EmptyPage, as before), and `has_next()` is whether a
    row follows the page.
    """

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self._counted = None

    @property
    def counted(self):
        if self._counted is None:
            self._counted = count_list(self.object_list)
        return self._counted

    @property
    def count(self):
        return self.counted.value

    @property
    def count_exact(self):
        return self.counted.exact

    @property
    def count_estimated(self):
        return not self.counted.exact

    @property
    def num_pages(self):
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return ceil(max(1, self.count - self.orphans) / self.per_page)

    @property
    def count_shown(self):
        return shown(self.count, exact=self.count_exact)

    @property
    def num_pages_shown(self):
        return shown(self.num_pages, exact=self.count_exact)

    def count_exactly(self):
        """Replaces an estimate by the exact count: for the rare request that needs the real last page."""
        if not self.counted.exact:
            self._counted = ListCount(self.object_list.count(), exact=True)

    def validate_number(self, number):
        if self.counted.exact:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if (number - 1) * self.per_page >= MAX_OFFSET:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if self.counted.exact:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return self._get_page(rows_between(self.object_list, bottom, top), number, self)
        rows = list(rows_between(self.object_list, bottom, bottom + self.per_page + 1))
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        has_next = len(rows) > self.per_page
        if has_next:
            # At least this many rows exist, whatever the planner thought.
            self._counted = ListCount(max(self.count, bottom + len(rows)), exact=False)
        else:
            # The end of the list is in view: the count is now known.
            self._counted = ListCount(bottom + len(rows), exact=True)
        return EstimatedPage(rows[: self.per_page], number, self, has_next=has_next)

    def get_page(self, number):
        """As Django's: a page past the end shows the last one, which an estimate cannot place,
        so such an address (a link kept while rows were removed) pays for one exact count."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            self.count_exactly()
            return super().get_page(number)
