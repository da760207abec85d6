"""Figures over approved activities: the reads behind the public statistics API,
the staff dashboard and the public pages.

Only approved activities count, and only counts and reference names come out:
no title, place, description or person. Each call is one SQL query, whatever the
number of regions, months or rows, so that the figures stay fast on a million
activities.

These figures are exact and live, for staff. The public reads the protected release
(publication), never these.
"""

import calendar
import datetime

from django.db.models import Count, F, Func, IntegerField, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language

from activities.models import PARTICIPANT_FIELDS, Activity, Institution, SupportNetwork
from programs.models import Indicator, Target
from regions.models import Region

BREAKDOWNS = ("region", "objective", "service", "month")

# field, sex, age group: the six participant counts as the campaign reports them.
SEX_AGE_GROUPS = (
    ("girls", "female", "0-11"),
    ("boys", "male", "0-11"),
    ("adolescent_girls", "female", "12-17"),
    ("adolescent_boys", "male", "12-17"),
    ("women", "female", "18+"),
    ("men", "male", "18+"),
)

# What each breakdown groups by, and how its rows are ordered.
_GROUPS = {
    "region": (("region_id", "region__name", "region__slug"), ("region__name", "region_id")),
    "objective": (
        ("objective_id", "objective__code", "objective__title", "objective__title_en", "objective__order"),
        ("objective__order",),
    ),
    "service": (("service_id", "service__slug", "service__name"), ("service__name", "service_id")),
    "month": (("month",), ("month",)),
}


class _Scalar(Subquery):
    # An uncorrelated subquery is one value for the whole result, as an aggregate is; saying so
    # keeps it out of the GROUP BY, beside the sums, so the figures stay one query.
    contains_aggregate = True


def approved_activities(*, region=None, objective=None, service=None, date_from=None, date_to=None, regions=None):
    """Approved activities that match the filters. Region, objective and service are objects or ids;
    `regions` (ids, objects or a queryset) restricts to those regions; an empty one matches nothing."""
    activities = Activity.objects.approved()
    if region is not None:
        activities = activities.filter(region=region)
    if objective is not None:
        activities = activities.filter(objective=objective)
    if service is not None:
        activities = activities.filter(service=service)
    if date_from is not None:
        activities = activities.filter(start_date__gte=date_from)
    if date_to is not None:
        activities = activities.filter(start_date__lte=date_to)
    if regions is not None:
        # A queryset stays a subquery (readable_regions(user)), so the call is still one query.
        activities = activities.filter(region__in=regions)
    return activities.order_by()


def approved_figures(**filters):
    """Totals over the approved activities that match the filters (see approved_activities):

    {"activities", "girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men",
     "participants", "families", "networks", "institutions", "network_leaders"}, all ints.
    """
    activities = approved_activities(**filters)
    # One row per support network named (a few hundred at most), so that each network's leaders
    # are read once however many activities name it, while the sums still take one pass.
    by_network = activities.values("support_network", "support_network__leaders").annotate(
        **_count_sums(), institutions=_Scalar(_distinct_institutions(activities), output_field=IntegerField())
    )
    totals = dict.fromkeys((*_count_sums(), "networks", "network_leaders", "institutions"), 0)
    for row in by_network:
        for key in _count_sums():
            totals[key] += row[key]
        totals["institutions"] = row["institutions"] or 0
        if row["support_network"] is not None:
            totals["networks"] += 1
            totals["network_leaders"] += row["support_network__leaders"]
    return _with_participants(totals)


def _distinct_institutions(activities):
    # A subquery: joining partner links to the activities would repeat each activity once per
    # partner and inflate the sums. Counted from the institutions, each probed for one link to the
    # activities (a hundred index look-ups), not by a DISTINCT over every link of the period.
    links = Activity.institutions.through.objects.filter(activity__in=activities.values("pk"))
    partners = Institution.objects.filter(pk__in=links.values("institution_id")).order_by()
    return partners.values(n=Func(F("pk"), function="COUNT"))


def approved_breakdown(by, **filters):
    """The approved activities that match the filters, grouped `by` "region", "objective",
    "service" or "month". One row per group that has any, each with its key and the counts:

    region    {"region": {"id", "name", "slug"}, ...counts}, by name
    objective {"objective": {"id", "code", "title"}, ...counts}, by order
    service   {"service": {"id", "slug", "name"}, ...counts}, by Spanish name
    month     {"month": "YYYY-MM", ...counts}, oldest first

    where the counts are "activities", the six participant counts, "participants" and "families".
    """
    if by not in _GROUPS:
        raise ValueError(f"Unknown breakdown {by!r}; expected one of {', '.join(BREAKDOWNS)}.")
    keys, ordering = _GROUPS[by]
    activities = approved_activities(**filters)
    if by == "month":
        activities = activities.annotate(month=TruncMonth("start_date"))
    rows = activities.values(*keys).annotate(**_count_sums()).order_by(*ordering)
    return [_row(by, row) for row in rows]


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


def _count_sums():
    return {"activities": Count("pk"), **{field: Sum(field) for field in (*PARTICIPANT_FIELDS, "families")}}


def _with_participants(counts):
    counts["participants"] = sum(counts[field] for field in PARTICIPANT_FIELDS)
    return counts


def _row(by, row):
    counts = _with_participants({key: row.pop(key) for key in _count_sums()})
    if by == "region":
        key = {"id": row["region_id"], "name": row["region__name"], "slug": row["region__slug"]}
    elif by == "objective":
        key = {"id": row["objective_id"], "code": row["objective__code"], "title": _localized(row, "objective__title")}
    elif by == "service":
        # A service's name is a proper name, the same in every language (programs.models.ProperlyNamed).
        key = {"id": row["service_id"], "slug": row["service__slug"], "name": row["service__name"]}
    else:
        key = row["month"].strftime("%Y-%m")
    return {by: key, **counts}


def _localized(row, field):
    # The reference models' own rule (programs.models.Bilingual), on values() rows: English text on
    # English requests when there is one, the Spanish otherwise.
    english = row[f"{field}_en"] if (get_language() or "es").startswith("en") else ""
    return english or row[field]


# --- Indicators against targets ---------------------------------------------------------------


def indicator_progress(*, year, quarter=0, regions=None, objective=None, until=None):
    """Each indicator's value in each region over a year (quarter 0) or one of its quarters,
    against the target set for that period:

    [{"indicator": {"id", "code", "name", "unit"}, "region": {"id", "name", "slug"},
      "actual": int, "target": int or None, "percent": float or None}, ...]

    by indicator order, then region name. `regions` (ids, objects or a queryset; None for every
    region) and `objective` (object or id) narrow the rows. `until` (a date) stops the count early,
    for a year-to-date figure against the whole period's target. An indicator counts the approved
    activities of its own objective that start in the period. `percent` is None when there is
    no target or it is 0.

    A fixed number of queries, whatever the number of regions and indicators: the indicators,
    the regions, the targets, and one grouped query per kind of computation in use (two for the
    networks: the cells' networks, then their leaders).
    """
    indicators = _indicators(objective)
    # A queryset (readable_regions(user)) stays a subquery: PostgreSQL joins it as a set, where it
    # misjudges how many rows a long list of ids keeps and reads them through an index.
    scope = regions.order_by() if isinstance(regions, QuerySet) else None
    regions = list(_regions(regions))
    if not indicators or not regions:
        return []
    date_from, date_to = _period_dates(year, quarter)
    if until is not None:
        date_to = min(date_to, until)
    scope = [r.pk for r in regions] if scope is None else scope
    activities = approved_activities(date_from=date_from, date_to=date_to, regions=scope)
    if objective is not None:
        activities = activities.filter(objective=objective)
    actuals = _actuals(activities, {indicator.computation for indicator in indicators})
    targets = _targets(indicators, regions, year, quarter)
    return [_progress_row(indicator, region, actuals, targets) for indicator in indicators for region in regions]


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


def _actuals(activities, computations):
    """{computation: {(region_id, objective_id): value}}, one grouped query per kind in use."""
    actuals = {}
    if computations & {"activities", "participants", "families"}:
        rows = activities.values("region_id", "objective_id").annotate(**_count_sums())
        for row in rows:
            cell = (row["region_id"], row["objective_id"])
            actuals.setdefault("activities", {})[cell] = row["activities"]
            actuals.setdefault("families", {})[cell] = row["families"]
            actuals.setdefault("participants", {})[cell] = sum(row[field] for field in PARTICIPANT_FIELDS)
    if computations & {"networks", "network_leaders"}:
        # One row per network and cell, so each network's leaders count once however many
        # activities name it. The leaders are read after the DISTINCT, from the few networks found:
        # joining them first made PostgreSQL walk the activities network by network.
        rows = list(
            activities.filter(support_network__isnull=False)
            .values("region_id", "objective_id", "support_network_id")
            .distinct()
        )
        named = {row["support_network_id"] for row in rows}
        leaders_of = dict(SupportNetwork.objects.filter(pk__in=named).values_list("pk", "leaders"))
        networks = actuals.setdefault("networks", {})
        leaders = actuals.setdefault("network_leaders", {})
        for row in rows:
            cell = (row["region_id"], row["objective_id"])
            networks[cell] = networks.get(cell, 0) + 1
            leaders[cell] = leaders.get(cell, 0) + leaders_of[row["support_network_id"]]
    if "institutions" in computations:
        # One row per institution and cell, counted here: distinct rows, not sums, so the partner
        # links may be joined onto the activities (once), and PostgreSQL runs a DISTINCT in
        # parallel, which it does not with count(DISTINCT).
        rows = activities.filter(institutions__isnull=False).values("region_id", "objective_id", "institutions")
        counts = actuals.setdefault("institutions", {})
        for row in rows.distinct():
            cell = (row["region_id"], row["objective_id"])
            counts[cell] = counts.get(cell, 0) + 1
    return actuals


def _targets(indicators, regions, year, quarter):
    targets = Target.objects.filter(
        indicator__in=[i.pk for i in indicators], region__in=[r.pk for r in regions], year=year, quarter=quarter
    )
    return {(t.indicator_id, t.region_id): t.value for t in targets.only("indicator_id", "region_id", "value")}


def _progress_row(indicator, region, actuals, targets):
    actual = actuals.get(indicator.computation, {}).get((region.pk, indicator.objective_id), 0)
    target = targets.get((indicator.pk, region.pk))
    return {
        "indicator": {
            "id": indicator.pk,
            "code": indicator.code,
            "name": indicator.localized("name"),
            "unit": indicator.localized("unit"),
        },
        "region": {"id": region.pk, "name": region.name, "slug": region.slug},
        "actual": actual,
        "target": target,
        "percent": round(100 * actual / target, 1) if target else None,
    }
