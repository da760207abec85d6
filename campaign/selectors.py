"""What the public pages show, read from the latest public release (publication.selectors).

Nothing here aggregates activities: every figure is a cell of the release's protected tables, and
every list of activities is the release's (approved by its cut-off). An approval after the
cut-off shows on no public page until the next release. Targets, institutions and the campaign's
structure are reference data, not figures, and are read as they are.
"""

import datetime

from django.db.models.functions import Round
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from activities.models import Institution
from activities.privacy import public_coordinate
from programs.models import Indicator, Service, Target
from publication.datapackage import ordered_objectives, ordered_regions, public_regions
from publication.selectors import current_release
from regions.models import Region
from reports.selectors import sex_age_rows

from .models import News

# A region page draws at most this many ~1 km squares; past it the map is ink, not information.
MAX_REGION_POINTS = 2000
FIGURES = ("activities", "participants", "families")
ORGANISATIONS = ("networks", "institutions", "network_leaders")

release = current_release


def totals(release, region=None, objective=None, period=None):
    return release.figures(region=region, objective=objective, period=period)


def by_region(release, objective=None):
    """Regions of the campaign, and any other with released activities, with their totals."""
    return [(region, totals(release, region, objective)) for region in public_regions(release)]


def by_objective(release, region=None):
    return [(objective, totals(release, region, objective)) for objective in ordered_objectives()]


def by_sex_age(release, region=None, objective=None):
    return sex_age_rows(totals(release, region, objective))


def period_rows(release, level):
    """The national figures of each year, quarter or month with activities, oldest first."""
    return [
        {"period": when, "label": period_label(when, level), **totals(release, period=when)}
        for when in release.periods(level)
    ]


def period_label(when, level):
    if level == "month":
        return date_format(datetime.date.fromisoformat(when + "-01"), "YEAR_MONTH_FORMAT")
    if level == "quarter":
        year, quarter = when.split("-Q")
        return _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}
    return when


def headline(release):
    """The home page's figures: the national totals, the organisations and the regions with activities."""
    figures = totals(release)
    regions = sum(1 for region in ordered_regions() if release.figures(region=region)["activities"].value)
    return {**figures, **release.organisations(), "regions": regions}


def release_year(release):
    """The year the release's figures run to: its cut-off's, in Lima (this year's, before any release)."""
    return timezone.localtime(release.cut_off).year if release else timezone.localdate().year


def national_progress(release, objective, year=None):
    """The objective's indicators over a year, nationally, from the release's objective-by-year cell,
    against the sum of the regions' targets for that year (targets are public reference data)."""
    year = year or release_year(release)
    figures = release.figures(objective=objective, period=str(year))
    organisations = release.organisations(objective=objective, year=str(year))
    targets = {}
    for indicator_id, value in Target.objects.filter(
        indicator__objective=objective, year=year, quarter=Target.WHOLE_YEAR
    ).values_list("indicator_id", "value"):
        targets[indicator_id] = targets.get(indicator_id, 0) + value
    rows = []
    for indicator in Indicator.objects.filter(objective=objective):
        actual = figures.get(indicator.computation) or organisations.get(indicator.computation)
        target = targets.get(indicator.pk)
        # A percentage of a known target gives a hidden value back: it hides with it.
        percent = round(100 * actual.value / target) if target and actual is not None and not actual.hidden else None
        rows.append({"indicator": _indicator(indicator), "actual": actual, "target": target, "percent": percent})
    return rows, year


def _indicator(indicator):
    return {
        "id": indicator.pk,
        "code": indicator.code,
        "name": indicator.localized("name"),
        "unit": indicator.localized("unit"),
    }


def region_boundaries():
    """Each region's boundary by id (None when not loaded), in one query."""
    return dict(Region.objects.values_list("pk", "boundary"))


def region_points(release, region):
    """The ~1 km squares (two decimals) where the region's released activities took place."""
    points = (
        release.activities()
        .filter(region=region, latitude__isnull=False)
        .values_list(Round("latitude", 2), Round("longitude", 2))
        .distinct()[:MAX_REGION_POINTS]
    )
    # Rounded again in Python: the database's rounding of a float may differ at the half.
    return sorted({(public_coordinate(lat), public_coordinate(lon)) for lat, lon in points})


def active_services(release, region):
    ids = release.activities().filter(region=region).values("service_id").distinct()
    return Service.objects.filter(pk__in=ids).select_related("program")


def actuemos_ya_institutions(region):
    return Institution.objects.filter(region=region, actuemos_ya_since__isnull=False).order_by("name")


def public_activities(release, *, region=None, objective=None, service=None):
    """The release's activities for lists and open data, newest first. Descriptions, places, people
    and counts stay out: a list of activities beside the totals would let counts be subtracted."""
    activities = release.activities()
    for name, value in (("region", region), ("objective", objective), ("service", service)):
        if value is not None:
            activities = activities.filter(**{name: value})
    return activities.select_related("region", "objective", "service").order_by("-start_date", "-pk")


def latest_activities(release, region, count=5):
    return public_activities(release, region=region).only(
        "title", "start_date", "region__name", "objective__code", "service__name", "service__name_en"
    )[:count]


def latest_news(count=3):
    return News.objects.published()[:count]
