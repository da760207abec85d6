"""Figures over approved activities: the reads behind the staff dashboard, the progress reports
and the indicators against targets.

Only approved activities count, and only counts and reference names come out: no title, place,
description or person.

The figures add up the tallies (reports.tally): the approved activities rolled up by region,
objective, service and month, kept exact in the transaction of every change, so that a year's
figures read a few thousand cells whatever the number of activities. A range of days that does
not start or end on a month's edge is read in two parts: its whole months from the tallies, the
days of the months it cuts (at most two months' worth) from the activities themselves. Sums
add; distinct networks and institutions are the union of both parts' sets. A fixed number of
queries per call, whatever the number of regions, months or activities.

These figures are exact and live, for staff. The public reads the protected release
(publication), never these.
"""

import calendar
import datetime
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language

from activities.models import PARTICIPANT_FIELDS, Activity, Institution, SupportNetwork
from programs.models import Indicator, Service, Target
from regions.models import Region

from .models import NetworkTally, PartnerTally, Tally

BREAKDOWNS = ("region", "objective", "service", "month")
COUNTS = ("activities", *PARTICIPANT_FIELDS, "families")

# field, sex, age group: the six participant counts as the campaign reports them.
SEX_AGE_GROUPS = (
    ("girls", "female", "0-11"),
    ("boys", "male", "0-11"),
    ("adolescent_girls", "female", "12-17"),
    ("adolescent_boys", "male", "12-17"),
    ("women", "female", "18+"),
    ("men", "male", "18+"),
)

# What each breakdown groups by (the same names on the activities and on the tallies).
_GROUPS = {
    "region": ("region_id", "region__name", "region__slug"),
    "objective": ("objective_id", "objective__code", "objective__title", "objective__title_en", "objective__order"),
    "service": ("service_id", "service__slug", "service__name"),
    "month": ("month",),
}


def approved_activities(*, region=None, objective=None, service=None, date_from=None, date_to=None, regions=None):
    """Approved activities that match the filters. Region, objective and service are objects or ids;
    `regions` (ids, objects or a queryset) restricts to those regions; an empty one matches nothing."""
    activities = _in_cells(Activity.objects.approved(), region, objective, service, regions)
    if date_from is not None:
        activities = activities.filter(start_date__gte=date_from)
    if date_to is not None:
        activities = activities.filter(start_date__lte=date_to)
    return activities.order_by()


def _in_cells(rows, region, objective, service, regions):
    # The activities and the tallies name their region, objective and service alike.
    if region is not None:
        rows = rows.filter(region=region)
    if objective is not None:
        rows = rows.filter(objective=objective)
    if service is not None:
        rows = rows.filter(service=service)
    if regions is not None:
        # A queryset stays a subquery (readable_regions(user)), joined as a set.
        rows = rows.filter(region__in=regions.order_by() if isinstance(regions, QuerySet) else regions)
    return rows


# --- The two parts of a range of days: whole months, tallied; the rest, counted ------------------


@dataclass(frozen=True)
class Parts:
    """The approved activities of some filters, as the tallies of their whole months (`tallied`)
    and the activities of the days left over (`counted`, None when the range is whole months)."""

    cells: dict  # region, objective, service, regions
    months: tuple | None  # (first, last) first days, either None for open; None: no whole month
    days: Q | None  # the days the tallies do not cover

    def tallied(self, model):
        if self.months is None:
            return None
        rows = _in_cells(model.objects.filter(status=Activity.Status.APPROVED), **self.cells)
        first, last = self.months
        if first is not None:
            rows = rows.filter(month__gte=first)
        if last is not None:
            rows = rows.filter(month__lte=last)
        return rows.order_by()

    def counted(self):
        if self.days is None:
            return None
        return approved_activities(**self.cells).filter(self.days)


def parts(*, region=None, objective=None, service=None, date_from=None, date_to=None, regions=None):
    cells = {"region": region, "objective": objective, "service": service, "regions": regions}
    first = date_from if date_from is None or date_from.day == 1 else _next_month(date_from)
    last = None if date_to is None else _month(date_to) if _ends_month(date_to) else _previous_month(date_to)
    if first is not None and last is not None and first > last:
        # No whole month in the range: it spans two months at most, counted.
        return Parts(cells, None, Q(start_date__gte=date_from, start_date__lte=date_to))
    days = Q(pk__in=[])
    if date_from is not None and date_from < first:
        days |= Q(start_date__gte=date_from, start_date__lt=first)
    if date_to is not None and date_to >= _next_month(last):
        days |= Q(start_date__gte=_next_month(last), start_date__lte=date_to)
    return Parts(cells, (first, last), None if days == Q(pk__in=[]) else days)


def _month(day):
    return day.replace(day=1)


def _next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _previous_month(day):
    return (_month(day) - datetime.timedelta(days=1)).replace(day=1)


def _ends_month(day):
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _tally_sums():
    return {f"sum_{key}": Sum(key) for key in COUNTS}


def _activity_sums():
    return {"sum_activities": Count("pk"), **{f"sum_{key}": Sum(key) for key in COUNTS[1:]}}


def _sums_of(row):
    # int(): PostgreSQL sums the tallies' bigints as numeric, which would reach JSON as Decimal.
    return {key: int(row.pop(f"sum_{key}") or 0) for key in COUNTS}


# --- Approved figures -------------------------------------------------------------------------------


def approved_figures(**filters):
    """Totals over the approved activities that match the filters (see approved_activities):

    {"activities", "girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men",
     "participants", "families", "networks", "institutions", "network_leaders"}, all ints.

    One query when the range is whole months; when it cuts a month, the sets of networks and
    institutions of both parts are read and joined: six.
    """
    found = parts(**filters)
    if found.days is None:
        return _with_participants(_tallied_figures(found))
    totals = dict.fromkeys(COUNTS, 0)
    networks, institutions = {}, set()
    tallied, counted = found.tallied(Tally), found.counted()
    sums = [counted.aggregate(**_activity_sums())]
    if tallied is not None:
        sums.append(tallied.aggregate(**_tally_sums()))
        named = found.tallied(NetworkTally).filter(activities__gt=0)
        networks.update(named.values_list("support_network_id", "support_network__leaders").distinct())
        partners = found.tallied(PartnerTally).filter(activities__gt=0)
        institutions.update(partners.values_list("institution_id", flat=True).distinct())
    for row in sums:
        for key, value in _sums_of(row).items():
            totals[key] += value
    named = counted.filter(support_network__isnull=False)
    networks.update(named.values_list("support_network_id", "support_network__leaders").distinct())
    links = Activity.institutions.through.objects.filter(activity__in=counted.values("pk"))
    institutions.update(links.values_list("institution_id", flat=True).distinct())
    totals.update(networks=len(networks), network_leaders=sum(networks.values()), institutions=len(institutions))
    return _with_participants(totals)


class _Scalar(Subquery):
    # An uncorrelated subquery is one value for the whole result, as an aggregate is; saying so
    # lets aggregate() take it beside the sums, so the figures stay one query.
    contains_aggregate = True


def _tallied_figures(found):
    """The figures of whole months, in one query: the sums of the approved cells, and beside them
    the networks and institutions any of those cells names, counted from the networks' and
    institutions' own tables (each probed once), their leaders read once per network."""
    named = found.tallied(NetworkTally).filter(activities__gt=0).values("support_network_id")
    networks = SupportNetwork.objects.filter(pk__in=named).order_by()
    partnered = found.tallied(PartnerTally).filter(activities__gt=0).values("institution_id")
    institutions = Institution.objects.filter(pk__in=partnered).order_by()
    row = found.tallied(Tally).aggregate(
        **_tally_sums(),
        networks=_Scalar(networks.values(n=Func(F("pk"), function="COUNT")), output_field=IntegerField()),
        network_leaders=_Scalar(networks.values(n=Func(F("leaders"), function="SUM")), output_field=IntegerField()),
        institutions=_Scalar(institutions.values(n=Func(F("pk"), function="COUNT")), output_field=IntegerField()),
    )
    extra = {key: row.pop(key) or 0 for key in ("networks", "network_leaders", "institutions")}
    return {**_sums_of(row), **extra}


def approved_breakdown(by, **filters):
    """The approved activities that match the filters, grouped `by` "region", "objective",
    "service" or "month". One row per group that has any, each with its key and the counts:

    region    {"region": {"id", "name", "slug"}, ...counts}, by name
    objective {"objective": {"id", "code", "title"}, ...counts}, by order
    service   {"service": {"id", "slug", "name"}, ...counts}, by Spanish name
    month     {"month": "YYYY-MM", ...counts}, oldest first

    where the counts are "activities", the six participant counts, "participants" and "families".
    One query when the range is whole months; two or three when it cuts a month.
    """
    if by not in _GROUPS:
        raise ValueError(f"Unknown breakdown {by!r}; expected one of {', '.join(BREAKDOWNS)}.")
    keys = _GROUPS[by]
    found = parts(**filters)
    tallied, counted = found.tallied(Tally), found.counted()
    if counted is None:
        rows = tallied.values(*keys).annotate(**_tally_sums()).order_by(*_ORDER[by])
        return [_row(by, row, _sums_of(row)) for row in rows]
    groups = [] if tallied is None else [tallied.values(*keys).annotate(**_tally_sums())]
    if by == "month":
        counted = counted.annotate(month=TruncMonth("start_date"))
    groups.append(counted.values(*keys).annotate(**_activity_sums()))
    merged = {}
    for rows in groups:
        for row in rows:
            sums = _sums_of(row)
            key = tuple(row[k] for k in keys)
            if key in merged:
                for name, value in sums.items():
                    merged[key][1][name] += value
            else:
                merged[key] = (row, sums)
    rows = [_row(by, row, sums) for row, sums in merged.values()]
    return sorted(rows, key=_ordering(by, merged))


_ORDER = {
    "region": ("region__name", "region_id"),
    "objective": ("objective__order",),
    "service": ("service__name", "service_id"),
    "month": ("month",),
}


def _ordering(by, merged):
    """Rows in the order the database gives names (its collation, accents included): by the
    region's or service's position among all of them, the objective's order, the month."""
    if by == "month":
        return lambda row: row["month"]
    if by == "objective":
        positions = {row["objective_id"]: row["objective__order"] for row, _sums in merged.values()}
        return lambda row: positions[row["objective"]["id"]]
    model = {"region": Region, "service": Service}[by]
    if len(merged) < 2:
        return lambda row: 0
    ids = [key[0] for key in merged]
    order = model.objects.filter(pk__in=ids).order_by("name", "pk").values_list("pk", flat=True)
    positions = {pk: n for n, pk in enumerate(order)}
    return lambda row: positions[row[by]["id"]]


def sex_age_rows(figures):
    """The six participant counts of a figures dict as rows, for tables and charts:
    [{"key": "girls", "label": "girls (0–11)", "sex": "female", "age_group": "0-11", "count": n}, ...]."""
    return [
        {
            "key": field,
            "label": str(Activity._meta.get_field(field).verbose_name),
            "sex": sex,
            "age_group": age_group,
            "count": figures[field],
        }
        for field, sex, age_group in SEX_AGE_GROUPS
    ]


def _with_participants(counts):
    counts["participants"] = sum(counts[field] for field in PARTICIPANT_FIELDS)
    return counts


def _row(by, row, sums):
    counts = _with_participants(dict(sums))
    if by == "region":
        key = {"id": row["region_id"], "name": row["region__name"], "slug": row["region__slug"]}
    elif by == "objective":
        key = {"id": row["objective_id"], "code": row["objective__code"], "title": _localized(row, "objective__title")}
    elif by == "service":
        # A service's name is a proper name, the same in every language (programs.models.ProperlyNamed).
        key = {"id": row["service_id"], "slug": row["service__slug"], "name": row["service__name"]}
    else:
        month = row["month"]
        # TruncMonth of a date may come back as a datetime on some databases.
        key = (month.date() if isinstance(month, datetime.datetime) else month).strftime("%Y-%m")
    return {by: key, **counts}


def _localized(row, field):
    # The reference models' own rule (programs.models.Bilingual), on values() rows: English text on
    # English requests when there is one, the Spanish otherwise.
    english = row[f"{field}_en"] if (get_language() or "es").startswith("en") else ""
    return english or row[field]


# --- By region and objective --------------------------------------------------------------------

# The kinds of figure a cell holds, and the indicators' computations each one serves.
CELL_KINDS = {
    "sums": {"activities", "participants", "families"},
    "networks": {"networks", "network_leaders"},
    "institutions": {"institutions"},
}


@dataclass(frozen=True)
class Cells:
    """The approved activities that match some filters, by (region id, objective id), the grain
    of the indicators: each cell's counts (`sums`: {cell: {count: n}}), the support networks it
    names with their leaders (`networks`: {cell: {network id: leaders}}) and the partner
    institutions it names (`institutions`: {cell: {institution id}}). The headline figures and
    every indicator's actual are both made from them, so the dashboard reads a period once."""

    sums: dict
    networks: dict
    institutions: dict

    def figures(self):
        """The dict approved_figures gives for the same filters: a network or an institution
        that several cells name counts once."""
        totals = dict.fromkeys(COUNTS, 0)
        for sums in self.sums.values():
            for key, value in sums.items():
                totals[key] += value
        leaders = {}
        for named in self.networks.values():
            leaders.update(named)
        institutions = set().union(*self.institutions.values())
        totals.update(networks=len(leaders), network_leaders=sum(leaders.values()), institutions=len(institutions))
        return _with_participants(totals)

    def actual(self, indicator, region_id):
        """What `indicator` counts in the region: its computation over its own objective's cell."""
        return self._actuals.get(indicator.computation, {}).get((region_id, indicator.objective_id), 0)

    # Kept once worked out (a frozen dataclass's cached_property writes to the instance's
    # __dict__): every row of indicator_progress asks for one value.
    @cached_property
    def _actuals(self):
        sums, networks = self.sums.items(), self.networks.items()
        return {
            "activities": {cell: counts["activities"] for cell, counts in sums},
            "families": {cell: counts["families"] for cell, counts in sums},
            "participants": {cell: sum(counts[field] for field in PARTICIPANT_FIELDS) for cell, counts in sums},
            "networks": {cell: len(named) for cell, named in networks},
            "network_leaders": {cell: sum(named.values()) for cell, named in networks},
            "institutions": {cell: len(named) for cell, named in self.institutions.items()},
        }


def approved_cells(*, kinds=tuple(CELL_KINDS), **filters):
    """Cells of the approved activities that match the filters (see approved_activities), with
    only the `kinds` of figure asked for ("sums", "networks", "institutions"; the others stay
    empty). One query per kind when the range is whole months; two when it cuts a month."""
    return _cells(parts(**filters), kinds)


def _kinds_of(computations):
    return [kind for kind, served in CELL_KINDS.items() if served & computations]


def _cells(found, kinds):
    sums, networks, institutions = {}, {}, {}
    if "sums" in kinds:
        _add_sums(found, sums)
    if "networks" in kinds:
        named = _named(found, NetworkTally, "support_network_id", "support_network", "support_network__leaders")
        for region_id, objective_id, network_id, leaders in named:
            networks.setdefault((region_id, objective_id), {})[network_id] = leaders
    if "institutions" in kinds:
        for region_id, objective_id, institution_id in _named(found, PartnerTally, "institution_id", "institutions"):
            institutions.setdefault((region_id, objective_id), set()).add(institution_id)
    return Cells(sums, networks, institutions)


def _add_sums(found, sums):
    tallied, counted = found.tallied(Tally), found.counted()
    groups = []
    if tallied is not None:
        groups.append(tallied.values("region_id", "objective_id").annotate(**_tally_sums()))
    if counted is not None:
        groups.append(counted.values("region_id", "objective_id").annotate(**_activity_sums()))
    for rows in groups:
        for row in rows:
            cell, counts = (row["region_id"], row["objective_id"]), _sums_of(row)
            if cell in sums:
                counts = {key: value + sums[cell][key] for key, value in counts.items()}
            sums[cell] = counts


def _named(found, model, partner, activity_partner, *extra):
    """{(region_id, objective_id, partner id, *extra)}: each network or institution once per cell
    that names it, from the tallies' rows that count (`partner` names it there) and the counted
    part's activities (`activity_partner`).

    Distinct rows counted in Python rather than count(DISTINCT) per cell in SQL: PostgreSQL sorts
    every row of the period for that, where it hashes a DISTINCT of the same rows (12,000 rows
    of partner tallies in 2025 at a million activities, a few hundred distinct)."""
    named = set()
    tallied, counted = found.tallied(model), found.counted()
    if tallied is not None:
        rows = tallied.filter(activities__gt=0)
        named.update(rows.values_list("region_id", "objective_id", partner, *extra).distinct())
    if counted is not None:
        rows = counted.filter(**{f"{activity_partner}__isnull": False})
        named.update(rows.values_list("region_id", "objective_id", activity_partner, *extra).distinct())
    return named


# --- Indicators against targets ---------------------------------------------------------------


def indicator_progress(*, year, quarter=0, regions=None, objective=None, until=None, cells=None, earlier=()):
    """Each indicator's value in each region over a year (quarter 0) or one of its quarters,
    against the target set for that period:

    [{"indicator": {"id", "code", "name", "unit"}, "region": {"id", "name", "slug"},
      "actual": int, "target": int or None, "percent": float or None}, ...]

    by indicator order, then region name. `regions` (ids, objects or a queryset; None for every
    region) and `objective` (object or id) narrow the rows. `until` (a date) stops the count early,
    for a year-to-date figure against the whole period's target. An indicator counts the approved
    activities of its own objective that start in the period. `percent` is None when there is
    no target or it is 0.

    `cells`, the period's approved_cells over the same regions and objective, spares reading them
    again when the caller has them (the dashboard, for its headline). `earlier`, approved_cells of
    other periods, adds to each row "earlier": its actual in each of them, in their order, so a
    comparison costs no query here.

    A fixed number of queries, whatever the number of regions and indicators: the indicators,
    the regions, the targets, and, without `cells`, one grouped query per kind of figure in use.
    """
    indicators = _indicators(objective)
    # A queryset (readable_regions(user)) stays a subquery: PostgreSQL joins it as a set, where it
    # misjudges how many rows a long list of ids keeps and reads them through an index.
    scope = regions.order_by() if isinstance(regions, QuerySet) else None
    regions = list(_regions(regions))
    if not indicators or not regions:
        return []
    if cells is None:
        date_from, date_to = _period_dates(year, quarter)
        if until is not None:
            date_to = min(date_to, until)
        scope = [r.pk for r in regions] if scope is None else scope
        found = parts(date_from=date_from, date_to=date_to, regions=scope, objective=objective)
        cells = _cells(found, _kinds_of({indicator.computation for indicator in indicators}))
    targets = _targets(indicators, regions, year, quarter)
    rows = []
    for indicator in indicators:
        # Written once per indicator and shared by its rows: the names are looked up in the
        # request's language, and the dashboard asks for 8 indicators in 15 regions.
        named = _indicator_named(indicator)
        rows += [_progress_row(indicator, named, region, cells, targets, earlier) for region in regions]
    return rows


def _indicators(objective):
    indicators = Indicator.objects.select_related("objective")
    if objective is not None:
        indicators = indicators.filter(objective=objective)
    return list(indicators)


def _regions(regions):
    if regions is None:
        return Region.objects.order_by("name")
    if isinstance(regions, QuerySet):
        return regions.order_by("name")
    ids = [getattr(region, "pk", region) for region in regions]
    return Region.objects.filter(pk__in=ids).order_by("name")


def _period_dates(year, quarter):
    if not 0 <= quarter <= 4:
        raise ValueError(f"Unknown quarter {quarter!r}; expected 0 (the whole year) to 4.")
    if quarter == 0:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    first_month = 3 * quarter - 2
    last_month = first_month + 2
    return datetime.date(year, first_month, 1), datetime.date(
        year, last_month, calendar.monthrange(year, last_month)[1]
    )


def _targets(indicators, regions, year, quarter):
    targets = Target.objects.filter(
        indicator__in=[i.pk for i in indicators], region__in=[r.pk for r in regions], year=year, quarter=quarter
    )
    return {
        (indicator, region): value
        for indicator, region, value in targets.values_list("indicator_id", "region_id", "value")
    }


def _indicator_named(indicator):
    return {
        "id": indicator.pk,
        "code": indicator.code,
        "name": indicator.localized("name"),
        "unit": indicator.localized("unit"),
    }


def _progress_row(indicator, named, region, cells, targets, earlier):
    actual = cells.actual(indicator, region.pk)
    target = targets.get((indicator.pk, region.pk))
    row = {
        "indicator": named,
        "region": {"id": region.pk, "name": region.name, "slug": region.slug},
        "actual": actual,
        "target": target,
        "percent": round(100 * actual / target, 1) if target else None,
    }
    if earlier:
        row["earlier"] = [past.actual(indicator, region.pk) for past in earlier]
    return row
