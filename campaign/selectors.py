"""What the public pages and open data show, composed from reports.selectors and protected
together (activities.disclosure), so that every page and file tells the same, safe, figures.

Only approved activities count (reports.selectors.approved_activities). Participants, activities
and families are counted once, grouped by region and objective (one query), into cubes whose every
line is protected; each page then reads its cells and margins from those cubes.
"""

import datetime
import unicodedata
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.formats import date_format

from activities.disclosure import ALL, Cube, PublicCount, protect_line, protect_parts
from activities.models import PARTICIPANT_FIELDS, Institution
from activities.privacy import public_coordinate
from programs.models import Objective, Service
from regions.models import Region
from reports.selectors import (
    approved_activities,
    approved_breakdown,
    approved_figures,
    indicator_progress,
    sex_age_rows,
)

from publication.cache import cached
from .models import News

# A region page draws at most this many ~1 km squares; past it the map is ink, not information.
MAX_REGION_POINTS = 2000
ADDITIVE = ("activities", "participants", "families")


@dataclass
class PublicFigures:
    regions: list
    objectives: list
    participants: Cube  # region x objective x sex and age group
    activities: Cube  # region x objective
    families: Cube  # region x objective

    def totals(self, region=ALL, objective=ALL):
        r, o = _pk(region), _pk(objective)
        return {
            "activities": self.activities.get(r, o),
            "participants": self.participants.get(r, o, ALL),
            "families": self.families.get(r, o),
        }

    def by_region(self, objective=ALL):
        """Regions of the campaign, and any other with approved work, with their totals."""
        rows = [(region, self.totals(region, objective)) for region in self.regions]
        return [(region, totals) for region, totals in rows if region.in_campaign or totals["activities"].value]

    def by_objective(self, region=ALL):
        return [(objective, self.totals(region, objective)) for objective in self.objectives]

    def by_sex_age(self, region=ALL, objective=ALL):
        r, o = _pk(region), _pk(objective)
        return sex_age_rows({field: self.participants.get(r, o, field) for field in PARTICIPANT_FIELDS})


def _pk(obj):
    return getattr(obj, "pk", obj)


def public_figures():
    """The campaign's figures, protected; computed once per version of the public data."""
    return cached("figures", _compute_figures, per_language=False)


def _compute_figures():
    # By name as a reader sorts it: Áncash after Amazonas, not after Tumbes as the bytes would have it.
    regions = sorted(Region.objects.defer("boundary"), key=lambda region: _sort_key(region.name))
    objectives = list(Objective.objects.order_by("order"))
    sums = {field: Sum(field) for field in (*PARTICIPANT_FIELDS, "families")}
    rows = approved_activities().values("region_id", "objective_id").annotate(activities=Count("pk"), **sums)
    participants, activities, families = {}, {}, {}
    for row in rows:
        cell = (row["region_id"], row["objective_id"])
        activities[cell] = row["activities"]
        families[cell] = row["families"] or 0
        for field in PARTICIPANT_FIELDS:
            participants[(*cell, field)] = row[field] or 0
    region_ids, objective_ids = [r.pk for r in regions], [o.pk for o in objectives]
    return PublicFigures(
        regions=regions,
        objectives=objectives,
        participants=Cube([region_ids, objective_ids, PARTICIPANT_FIELDS], participants),
        activities=Cube([region_ids, objective_ids], activities),
        families=Cube([region_ids, objective_ids], families),
    )


def _sort_key(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def month_rows():
    """Activities and participants by month of start, oldest first, each line protected against
    the national total (hidden here too when the cube hides it). Returns (rows, totals)."""
    figures = public_figures()
    national = figures.totals()
    months = approved_breakdown("month")
    columns = {}
    for key in ("activities", "participants"):
        values = [row[key] for row in months]
        years = [row["month"][:4] for row in months]
        columns[key] = protect_parts(values, years, total_hidden=bool(national[key].hidden))
    rows = [
        {
            "month": row["month"],
            "label": date_format(datetime.date.fromisoformat(row["month"] + "-01"), "F Y"),
            "activities": columns["activities"][i],
            "participants": columns["participants"][i],
        }
        for i, row in enumerate(months)
    ]
    return rows, {key: columns[key][-1] for key in columns}


def headline():
    """The home page's figures: the cube's national totals, and the distinct counts beside them
    (networks, institutions, leaders), which are parts of nothing shown and need only the small-count rule."""
    public = public_figures()
    figures = approved_figures()
    regions_active = sum(1 for region in public.regions if public.activities.get(region.pk, ALL).value)
    extra = {key: PublicCount.of(figures[key]) for key in ("networks", "institutions", "network_leaders")}
    return {**public.totals(), **extra, "regions": regions_active}


def national_progress(objective, year=None):
    """The objective's indicators over a year, nationally, against the sum of the regions' targets.

    A year's value beside the all-time one (shown on the same page) gives the earlier years by
    subtraction: for the additive indicators, the year, the years before and the all-time value
    are protected as one line, the all-time value hidden when the cube hides it.
    """
    year = year or timezone.localdate().year
    rows = {}
    for row in indicator_progress(year=year, objective=objective):
        indicator = row["indicator"]
        entry = rows.setdefault(indicator["id"], {"indicator": indicator, "actual": 0, "target": None})
        entry["actual"] += row["actual"]
        if row["target"] is not None:
            entry["target"] = (entry["target"] or 0) + row["target"]
    computations = dict(objective.indicators.values_list("pk", "computation"))
    all_time = public_figures().totals(objective=objective)
    return [_progress(entry, computations.get(pk), all_time) for pk, entry in rows.items()], year


def _progress(entry, computation, all_time):
    actual = entry["actual"]
    if computation in ADDITIVE:
        whole = all_time[computation]
        line = [actual, whole.value - actual, whole.value]
        hidden = protect_line(line, {2} if whole.hidden else ())
        shown = PublicCount.of(actual, 0 in hidden)
    else:
        shown = PublicCount.of(actual)
    target = entry["target"]
    # A percentage of a known target gives the hidden value back: it hides with it.
    percent = round(100 * actual / target) if target and not shown.hidden else None
    return {**entry, "actual": shown, "percent": percent}


def region_boundaries():
    """Each region's boundary by id (None when not loaded), in one query."""
    return dict(Region.objects.values_list("pk", "boundary"))


def region_points(region):
    """The ~1 km squares (two decimals) where the region's approved activities took place."""
    points = (
        approved_activities(region=region)
        .filter(latitude__isnull=False)
        .values_list(Round("latitude", 2), Round("longitude", 2))
        .distinct()[:MAX_REGION_POINTS]
    )
    # Rounded again in Python: the database's rounding of a float may differ at the half.
    return sorted({(public_coordinate(lat), public_coordinate(lon)) for lat, lon in points})


def active_services(region):
    ids = approved_activities(region=region).values("service_id").distinct()
    return Service.objects.filter(pk__in=ids).select_related("program")


def actuemos_ya_institutions(region):
    return Institution.objects.filter(region=region, actuemos_ya_since__isnull=False).order_by("name")


def public_activities(*, region=None, objective=None, service=None):
    """Approved activities for lists and open data, newest first. Descriptions, places, people
    and counts stay out: a list of activities beside the totals would let counts be subtracted."""
    activities = approved_activities(region=region, objective=objective, service=service)
    return activities.select_related("region", "objective", "service").order_by("-start_date", "-pk")


def latest_activities(region, count=5):
    return public_activities(region=region).only(
        "title", "start_date", "region__name", "objective__code", "service__name", "service__name_en"
    )[:count]


def latest_news(count=3):
    return News.objects.published()[:count]
