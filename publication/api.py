"""The public API: everything an anonymous caller reads, and all of it from the public release.

- `/api/v1/statistics/`: the release's tables, one cell or one published breakdown at a time.
- `/api/v1/regions/geojson/` and `/api/v1/activities/geojson/`: the maps, from the same release.
- `/api/v1/activities/` for anonymous callers: the activities the release counts, with no count,
  no free text and no day (the signed-in API, exact and live, is activities.api's).

Nothing here aggregates activities or accepts a free filter (a date range, say) whose answers could
be subtracted from each other: a figure is a cell of a published table, hidden as the pages hide it
(publication.protection). Statistics and maps answer every caller from the release; staff read
exact, live figures in the dashboard and the reports.
"""

import datetime
import re

import django_filters
from django.db.models.functions import TruncMonth
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from activities.api import ActivitySerializer, ActivityViewSet
from activities.models import PARTICIPANT_FIELDS, Activity
from activities.privacy import public_coordinate
from programs.models import Objective, Service
from regions.api import RegionFilter
from regions.models import Region
from reports.api import find_reference
from reports.selectors import SEX_AGE_GROUPS

from . import datapackage
from .cache import public_answer
from .selectors import current_release, release_numbered
from .tables import MEASURES, TABLES, TIME, period_level, table_of

SEX_AGE = "sex_age"
BY_CHOICES = ("region", "objective", "service", "year", "quarter", "month", SEX_AGE)
PERIOD = re.compile(r"^[1-9][0-9]{3}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
# A map draws one document; past this many points it is unreadable anyway (see ActivityMapView).
MAX_MAP_FEATURES = 5000
# Accepted by every endpoint whatever it answers: DRF's format override.
ALWAYS_ACCEPTED = ("format",)
DATE_RANGES = ("date_from", "date_to", "start_date_from", "start_date_to")


# The release an answer reads ----------------------------------------------------------------------


class ReleaseSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The release's number: 1, 2, ...")
    cut_off = serializers.DateTimeField(help_text="Activities approved by this moment are counted.")
    built_at = serializers.DateTimeField(help_text="When the release was built and published.")


def release_json(release):
    if not release:
        return None
    return {"number": release.number, "cut_off": release.cut_off, "built_at": release.built_at}


def asked_release(value):
    """The release `?release=N` names (404 when there is none), else the latest."""
    if value is None:
        return current_release()
    release = release_numbered(value)
    if release is None:
        raise exceptions.NotFound(_("There is no release %(number)s.") % {"number": value})
    return release


RELEASE_PARAMETER = OpenApiParameter(
    "release", OpenApiTypes.INT, description="A release's number (default: the latest); an unknown one is a 404."
)
PERIOD_PARAMETER = OpenApiParameter(
    "period",
    {"type": "string", "pattern": PERIOD.pattern},
    description="A year (`2026`), quarter (`2026-Q1`) or month (`2026-03`) of the activities' start.",
)


# Reading a query string ---------------------------------------------------------------------------


def given_parameters(request, accepted):
    """The query's non-empty parameters; any other than `accepted` is refused by name. An empty one (a
    form's blank choice) means no filter, not a bad one."""
    given = {key: value for key, value in request.query_params.items() if value != ""}
    errors = {}
    for name in given.keys() - {*accepted, *ALWAYS_ACCEPTED}:
        if name in DATE_RANGES:
            errors[name] = [_("Free date ranges are not published: ask for a period such as 2026, 2026-Q1 or 2026-03.")]
        else:
            errors[name] = [_("Unknown parameter. Accepted: %(names)s.") % {"names": ", ".join(sorted(accepted))}]
    if errors:
        raise serializers.ValidationError(errors)
    return {key: value for key, value in given.items() if key not in ALWAYS_ACCEPTED}


def validate_period(value):
    if not PERIOD.match(value):
        raise serializers.ValidationError(_("Give a year (2026), a quarter (2026-Q1) or a month (2026-03)."))
    return value


def period_dates(value):
    """The first and last day of a period."""
    year = int(value[:4])
    level = period_level(value)
    if level == "year":
        first, months = 1, 12
    elif level == "quarter":
        first, months = (int(value[-1]) - 1) * 3 + 1, 3
    else:
        first, months = int(value[5:7]), 1
    start = datetime.date(year, first, 1)
    end_month = first + months
    end = datetime.date(year + end_month // 13, (end_month - 1) % 12 + 1, 1) - datetime.timedelta(days=1)
    return start, end


# Counts --------------------------------------------------------------------------------------------


class StatisticsCount(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, min_value=0, help_text="The count; null when it is hidden.")
    suppressed = serializers.BooleanField(help_text="True when the count is hidden.")
    reason = serializers.ChoiceField(
        choices=("small", "complement"),
        allow_null=True,
        help_text="Why it is hidden: `small` (from 1 to 4, shown as <5 on the pages) or `complement` (hidden so "
        "that a small count cannot be worked out, shown as x); null when it is shown.",
    )


def count_json(count):
    return {**count.as_json(), "reason": count.hidden or None}


def counts_json(figures):
    return {measure: count_json(figures[measure]) for measure in MEASURES}


# Statistics ----------------------------------------------------------------------------------------

DIMENSION_NAMES = {
    "region": gettext_lazy("region"),
    "objective": gettext_lazy("objective"),
    "service": gettext_lazy("service"),
    "year": gettext_lazy("year"),
    "quarter": gettext_lazy("quarter"),
    "month": gettext_lazy("month"),
}


def _table_text(table):
    place, subject, time = table
    names = [str(DIMENSION_NAMES[part]) for part in (place, subject, time) if part in DIMENSION_NAMES]
    return " + ".join(names) or str(_("the whole country"))


def published_text():
    return "; ".join(_table_text(table) for table in TABLES)


def _key(region=None, objective=None, service=None, period=None):
    return (getattr(region, "pk", None), getattr(objective, "pk", None), getattr(service, "pk", None), period)


def is_published(key):
    return table_of(key) in TABLES


def not_published(key):
    return _("Figures by %(asked)s are not published. Published: %(tables)s.") % {
        "asked": _table_text(table_of(key)),
        "tables": published_text(),
    }


class StatisticsQuery(serializers.Serializer):
    """Reads and checks the query string: unknown references, unpublished combinations and free date
    ranges are refused by name."""

    region = serializers.CharField(required=False)
    objective = serializers.CharField(required=False)
    service = serializers.CharField(required=False)
    period = serializers.CharField(required=False)
    by = serializers.ChoiceField(choices=BY_CHOICES, required=False)
    release = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def validate_region(self, value):
        return _found(find_reference(Region.objects.all(), value, "slug__iexact"), _("No region has this id or slug."))

    def validate_objective(self, value):
        found = find_reference(Objective.objects.all(), value, "code__iexact")
        return _found(found, _("No objective has this id or code."))

    def validate_service(self, value):
        found = find_reference(Service.objects.prefetch_related("objectives"), value, "slug__iexact")
        return _found(found, _("No service has this id or slug."))

    def validate_period(self, value):
        return validate_period(value)

    def validate(self, attrs):
        service, objective = attrs.get("service"), attrs.get("objective")
        if service is not None:
            attrs["objective"] = self._objective_of(service, objective)
        total = _key(attrs.get("region"), attrs.get("objective"), service, attrs.get("period"))
        if not is_published(total):
            raise serializers.ValidationError({self._culprit(attrs): [not_published(total)]})
        by = attrs.get("by")
        if by and by != SEX_AGE:
            self._check_breakdown(by, attrs, total)
        return attrs

    @staticmethod
    def _objective_of(service, objective):
        # A cell of a service is the service's work under one objective: the key names both.
        objectives = list(service.objectives.all())
        if objective is not None:
            if objective not in objectives:
                raise serializers.ValidationError({"service": [_("This service does not serve that objective.")]})
            return objective
        if len(objectives) != 1:
            raise serializers.ValidationError(
                {"objective": [_("This service serves several objectives: say which one.")]}
            )
        return objectives[0]

    @staticmethod
    def _culprit(attrs):
        return next(name for name in ("period", "service", "objective", "region") if attrs.get(name) is not None)

    @staticmethod
    def _check_breakdown(by, attrs, total):
        region, objective, service, period = total
        if by in TIME:
            if period is not None and TIME.index(by) >= TIME.index(period_level(period)):
                raise serializers.ValidationError(
                    {"by": [_("A breakdown by %(by)s must be finer than the period asked for.") % {"by": by}]}
                )
            row = (region, objective, service, {"year": "2000", "quarter": "2000-Q1", "month": "2000-01"}[by])
        elif by == "region":
            row = (-1, objective, service, period)
        elif by == "objective":
            row = (region, objective or -1, service, period)
        else:
            row = (region, objective or -1, service or -1, period)
        if not is_published(row):
            raise serializers.ValidationError({"by": [not_published(row)]})


def _found(obj, message):
    if obj is None:
        raise serializers.ValidationError(message)
    return obj


def _region_json(region):
    return {"id": region.pk, "slug": region.slug, "name": region.name}


def _objective_json(objective):
    return {"id": objective.pk, "code": objective.code, "title": objective.localized("title")}


def _service_json(service):
    return {"id": service.pk, "slug": service.slug, "name": service.localized("name")}


def statistics(release, *, region=None, objective=None, service=None, period=None, by=None):
    """The answer's body: one cell of the release's tables, a published breakdown of it, and the
    organisations where the release publishes them (by objective and year)."""
    totals = release.figures(region, objective, service, period)
    if by == SEX_AGE:
        breakdown = [
            {
                "key": field,
                "label": str(Activity._meta.get_field(field).verbose_name),
                "sex": sex,
                "age_group": age_group,
                "count": count_json(totals[field]),
            }
            for field, sex, age_group in SEX_AGE_GROUPS
        ]
    elif by:
        breakdown = list(_rows(release, by, region, objective, service, period))
    else:
        breakdown = []
    organisations = None
    if region is None and service is None and (period is None or period_level(period) == "year"):
        organisations = {name: count_json(count) for name, count in release.organisations(objective, period).items()}
    return {
        "release": release_json(release),
        "filters": {
            "region": region and _region_json(region),
            "objective": objective and _objective_json(objective),
            "service": service and _service_json(service),
            "period": period,
            "by": by,
        },
        "totals": counts_json(totals),
        "organisations": organisations,
        "breakdown": breakdown,
    }


def _rows(release, by, region, objective, service, period):
    """The breakdown's rows: each group the release has a cell for, in the group's order."""
    if by == "region":
        regions = [region] if region else datapackage.ordered_regions()
        for each in regions:
            if release.has(each, objective, service, period):
                yield {"region": _region_json(each), **counts_json(release.figures(each, objective, service, period))}
    elif by == "objective":
        objectives = [objective] if objective else datapackage.ordered_objectives()
        for each in objectives:
            if release.has(region, each, service, period):
                yield {
                    "objective": _objective_json(each),
                    **counts_json(release.figures(region, each, service, period)),
                }
    elif by == "service":
        for each_objective, each in _services(objective, service):
            if release.has(region, each_objective, each, period):
                yield {
                    "objective": _objective_json(each_objective),
                    "service": _service_json(each),
                    **counts_json(release.figures(region, each_objective, each, period)),
                }
    else:
        for each in release.periods(by):
            if period is None or _inside(each, period):
                yield {by: each, **counts_json(release.figures(region, objective, service, each))}


def _services(objective, service):
    if service is not None:
        return [(objective, service)]
    objectives = [objective] if objective else datapackage.ordered_objectives()
    return [(each, item) for each in objectives for item in each.services.order_by("name")]


def _inside(inner, outer):
    if period_level(outer) == "year":
        return inner[:4] == outer
    start, end = period_dates(outer)
    return start <= period_dates(inner)[0] <= end


# The answer, for the schema (the view builds the same shape).


class StatisticsCounts(serializers.Serializer):
    activities = StatisticsCount(help_text="Approved activities; exact, never hidden.")
    girls = StatisticsCount()
    boys = StatisticsCount()
    adolescent_girls = StatisticsCount()
    adolescent_boys = StatisticsCount()
    women = StatisticsCount()
    men = StatisticsCount()
    participants = StatisticsCount(help_text="The sum of the six participant counts.")
    families = StatisticsCount(help_text="Families reached.")


class StatisticsOrganisations(serializers.Serializer):
    networks = StatisticsCount(help_text="Distinct support networks named by the activities.")
    institutions = StatisticsCount(help_text="Distinct partner institutions named by the activities.")
    network_leaders = StatisticsCount(help_text="Leaders of those support networks, each network counted once.")


class StatisticsRegion(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class StatisticsObjective(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="OE1 to OE4.")
    title = serializers.CharField(help_text="In the request's language when there is a translation.")


class StatisticsService(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language when there is a translation.")


class StatisticsRegionRow(StatisticsCounts):
    region = StatisticsRegion()


class StatisticsObjectiveRow(StatisticsCounts):
    objective = StatisticsObjective()


class StatisticsServiceRow(StatisticsCounts):
    objective = StatisticsObjective(help_text="The objective the service's work is counted under.")
    service = StatisticsService()


class StatisticsYearRow(StatisticsCounts):
    year = serializers.RegexField(r"^[0-9]{4}$", help_text="The year the activities started.")


class StatisticsQuarterRow(StatisticsCounts):
    quarter = serializers.RegexField(r"^[0-9]{4}-Q[1-4]$", help_text="The quarter the activities started.")


class StatisticsMonthRow(StatisticsCounts):
    month = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", help_text="The month the activities started, YYYY-MM.")


class StatisticsSexAgeRow(serializers.Serializer):
    key = serializers.ChoiceField(choices=PARTICIPANT_FIELDS, help_text="The participant count's field name.")
    label = serializers.CharField(help_text="The group's name in the request's language, e.g. 'girls (0–11)'.")
    sex = serializers.ChoiceField(choices=("female", "male"))
    age_group = serializers.ChoiceField(choices=("0-11", "12-17", "18+"))
    count = StatisticsCount()


ROWS = {
    "region": StatisticsRegionRow,
    "objective": StatisticsObjectiveRow,
    "service": StatisticsServiceRow,
    "year": StatisticsYearRow,
    "quarter": StatisticsQuarterRow,
    "month": StatisticsMonthRow,
    SEX_AGE: StatisticsSexAgeRow,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="StatisticsRow", serializers=list(ROWS.values()), resource_type_field_name=None, many=True
    )
)
class BreakdownField(serializers.ListField):
    pass


class StatisticsFilters(serializers.Serializer):
    region = StatisticsRegion(allow_null=True)
    objective = StatisticsObjective(allow_null=True, help_text="Also set when a service is asked for.")
    service = StatisticsService(allow_null=True)
    period = serializers.CharField(allow_null=True, help_text="`2026`, `2026-Q1` or `2026-03`; null for all time.")
    by = serializers.ChoiceField(choices=BY_CHOICES, allow_null=True)


class Statistics(serializers.Serializer):
    release = ReleaseSerializer(allow_null=True, help_text="The release read; null before the first (every count 0).")
    filters = StatisticsFilters(help_text="The cell the figures answer, as understood.")
    totals = StatisticsCounts()
    organisations = StatisticsOrganisations(
        allow_null=True,
        help_text="Published by objective and year only: null with a region, service, quarter or month.",
    )
    breakdown = BreakdownField(help_text="One row per group of `by` the release has, in order; empty without `by`.")


STATISTICS_PARAMETERS = [
    OpenApiParameter("region", str, description="A region's id or slug, e.g. `amazonas`."),
    OpenApiParameter("objective", str, description="An objective's id or code, e.g. `OE3`."),
    OpenApiParameter("service", str, description="A service's id or slug, e.g. `hombres-por-la-igualdad`."),
    PERIOD_PARAMETER,
    OpenApiParameter("by", str, enum=BY_CHOICES, description="Break the figures down (published tables only)."),
    RELEASE_PARAMETER,
]


class StatisticsView(APIView):
    """The public release's figures, the same whoever asks (staff read exact, live figures in the
    dashboard and reports)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="statistics",
        summary="The public release's figures",
        description=(
            "One cell of the public release's tables: approved activities (exact), the six participant counts, "
            "participants and families (hidden where the release hides them: null with `suppressed: true`), "
            "and optionally a breakdown `by` region, objective, service, year, quarter, month, or sex and age "
            f"group. Only the release's tables are answered; other combinations are refused. Published: "
            f"{'; '.join(' + '.join(p for p in t if p not in ('peru', 'all')) or 'country' for t in TABLES)}. "
            "Free date ranges are not accepted: ask for a `period`. The answer is the same whoever asks."
        ),
        parameters=STATISTICS_PARAMETERS,
        responses={200: Statistics},
        tags=["statistics"],
    )
    def get(self, request):
        return public_answer(self, request, self.figures)

    def figures(self):
        given = given_parameters(self.request, StatisticsQuery().fields)
        query = StatisticsQuery(data=given)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        release = asked_release(filters.pop("release", None))
        return Response(statistics(release, **filters))


# The maps ------------------------------------------------------------------------------------------


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


def geojson_responses(serializer):
    # application/json too: `?format=json` asks for the same document under the plain type.
    return {(200, media_type): serializer for media_type in (GeoJSONRenderer.media_type, JSONRenderer.media_type)}


class MapView(APIView):
    """A GeoJSON document of the release; refusals stay plain JSON, like every other error."""

    permission_classes = [AllowAny]
    renderer_classes = [GeoJSONRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and isinstance(response, Response):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get(self, request):
        return public_answer(self, request, self.collection)


class Geometry(serializers.Serializer):
    type = serializers.CharField(help_text="`Point`, `Polygon` or `MultiPolygon`.")
    coordinates = serializers.JSONField(help_text="GeoJSON positions, longitude first.")


MARKER = "How the pages show a hidden count: `<5` (from 1 to 4) or `x` (hidden to protect another); empty when shown."


class RegionProperties(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    inei_code = serializers.CharField()
    capital = serializers.CharField()
    url = serializers.CharField(help_text="The region's page on this site.")
    activities = serializers.IntegerField(help_text="Approved activities; exact, never hidden.")
    participants = serializers.IntegerField(allow_null=True, help_text="Null when hidden.")
    participants_hidden = serializers.BooleanField()
    participants_status = serializers.CharField(help_text=MARKER)
    families = serializers.IntegerField(allow_null=True, help_text="Null when hidden.")
    families_hidden = serializers.BooleanField()
    families_status = serializers.CharField(help_text=MARKER)


class RegionFeature(serializers.Serializer):
    type = serializers.CharField(help_text="Always `Feature`.")
    geometry = Geometry(help_text="The boundary when one is loaded, else a Point at the region's capital.")
    properties = RegionProperties()


class RegionFeatureCollection(serializers.Serializer):
    type = serializers.CharField(help_text="Always `FeatureCollection`.")
    release = ReleaseSerializer(allow_null=True, help_text="The release read; null before the first.")
    features = RegionFeature(many=True)


class RegionMapView(MapView):
    """The campaign's regions (and any other with released activities) with the release's totals, the
    same cells the pages show: flat properties, a hidden count null with its marker."""

    @extend_schema(
        responses=geojson_responses(RegionFeatureCollection),
        parameters=[RELEASE_PARAMETER],
    )
    def get(self, request):
        return super().get(request)

    def collection(self):
        given = given_parameters(self.request, ("release",))
        release = asked_release(_release_number(given))
        return Response({"release": release_json(release), **datapackage.region_features(release)})


def _release_number(given):
    if "release" not in given:
        return None
    field = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    try:
        return field.run_validation(given["release"])
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({"release": exc.detail}) from None


class PublicActivityFilter(django_filters.FilterSet):
    """What the public may narrow a list or map of released activities by: nothing finer than a month."""

    region = RegionFilter()
    objective = django_filters.ModelChoiceFilter(queryset=Objective.objects.all(), help_text="An objective's id.")
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), help_text="A service's id.")
    period = django_filters.CharFilter(method="filter_period", help_text=PERIOD_PARAMETER.description)

    class Meta:
        model = Activity
        fields = ["region", "objective", "service", "period"]

    def filter_period(self, queryset, name, value):
        if not PERIOD.match(value):
            raise serializers.ValidationError({"period": [validation_message()]})
        return queryset.filter(start_date__range=period_dates(value))


def validation_message():
    return _("Give a year (2026), a quarter (2026-Q1) or a month (2026-03).")


def filtered(request, queryset, accepted):
    given = given_parameters(request, accepted)
    found = PublicActivityFilter(given, queryset=queryset, request=request)
    if not found.is_valid():
        raise translate_validation(found.errors)
    return found.qs


class ActivityProperties(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    region_slug = serializers.CharField()
    region = serializers.CharField(help_text="The region's name.")
    objective_code = serializers.CharField()
    service_slug = serializers.CharField()
    service = serializers.CharField(help_text="The service's name, in the request's language.")
    start_date = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", help_text="The month it started: no day is published.")
    end_date = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", help_text="The month it ended.")
    modality = serializers.ChoiceField(choices=Activity.Modality.choices)


class PointGeometry(serializers.Serializer):
    type = serializers.CharField(help_text="Always `Point`.")
    coordinates = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text="[longitude, latitude], two decimals."
    )


class ActivityFeature(serializers.Serializer):
    type = serializers.CharField(help_text="Always `Feature`.")
    geometry = PointGeometry()
    properties = ActivityProperties()


class ActivityFeatureCollection(serializers.Serializer):
    type = serializers.CharField(help_text="Always `FeatureCollection`.")
    release = ReleaseSerializer(allow_null=True, help_text="The release read; null before the first.")
    truncated = serializers.BooleanField(help_text=f"True when more than {MAX_MAP_FEATURES} activities matched.")
    features = ActivityFeature(many=True)


MAP_PARAMETERS = [
    OpenApiParameter("region", {"type": "string"}, description="A region's id or slug: `13` or `puno`."),
    OpenApiParameter("objective", OpenApiTypes.INT, description="An objective's id."),
    OpenApiParameter("service", OpenApiTypes.INT, description="A service's id."),
    PERIOD_PARAMETER,
    RELEASE_PARAMETER,
]


def newest_month_first(queryset):
    # Within a month the order is the id's, not the day's: the day is not published.
    return queryset.order_by(TruncMonth("start_date").desc(), "-pk")


class ActivityMapView(MapView):
    """The located activities a release counts, newest month first: one document capped at
    MAX_MAP_FEATURES with a `truncated` flag, since a map needs every point at once. No count, no
    free text, no day (publication.datapackage.activity_record)."""

    @extend_schema(responses=geojson_responses(ActivityFeatureCollection), parameters=MAP_PARAMETERS)
    def get(self, request):
        return super().get(request)

    def collection(self):
        accepted = ("region", "objective", "service", "period", "release")
        release = asked_release(_release_number(given_parameters(self.request, accepted)))
        located = release.activities().filter(latitude__isnull=False, longitude__isnull=False)
        matching = newest_month_first(filtered(self.request, located, accepted))
        # One row past the cap says whether anything was left out.
        rows = list(matching.values_list(*datapackage.ACTIVITY_VALUES)[: MAX_MAP_FEATURES + 1])
        english = (self.request.LANGUAGE_CODE or "es").startswith("en")
        features = [_activity_feature(row, english) for row in rows[:MAX_MAP_FEATURES]]
        return Response(
            {
                "type": "FeatureCollection",
                "release": release_json(release),
                "truncated": len(rows) > MAX_MAP_FEATURES,
                "features": features,
            }
        )


def _activity_feature(row, english):
    record = datapackage.activity_record(row, english)
    latitude, longitude = record.pop("latitude"), record.pop("longitude")
    return {"type": "Feature", "geometry": datapackage.point(latitude, longitude), "properties": record}


# The anonymous list of activities -----------------------------------------------------------------


@extend_schema_field({"type": "number", "format": "double", "nullable": True})
class PublicCoordinateField(serializers.Field):
    """Two decimals, about 1 km: a public point never leads to a house (activities.privacy)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return float(public_coordinate(value))


class PublicActivitySerializer(serializers.ModelSerializer):
    """What anonymous callers read of a released activity: what a community event's poster would say.
    No count (beside the release's totals it could be subtracted), no description, place name or
    district (typed by people, they could name someone), no day, nobody who logged or reviewed it."""

    month = serializers.SerializerMethodField(help_text="The month it started, YYYY-MM: no day is published.")
    latitude = PublicCoordinateField(allow_null=True)
    longitude = PublicCoordinateField(allow_null=True)

    class Meta:
        model = Activity
        fields = ["id", "title", "region", "objective", "service", "modality", "month", "latitude", "longitude"]
        read_only_fields = fields

    @extend_schema_field(serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$"))
    def get_month(self, activity):
        return activity.start_date.strftime("%Y-%m")


ACTIVITY_READ = PolymorphicProxySerializer(
    component_name="ActivityRead",
    serializers=[ActivitySerializer, PublicActivitySerializer],
    resource_type_field_name=None,
)
LIST_PARAMETERS = ("region", "objective", "service", "period", "search", "ordering", "page", "page_size")
PUBLIC_ORDERING = {"title": ("title", "-pk"), "-title": ("-title", "-pk"), "id": ("pk",), "-id": ("-pk",)}


@extend_schema_view(
    list=extend_schema(
        responses=ACTIVITY_READ,
        parameters=[PERIOD_PARAMETER],
        description="Signed-in callers: the activities of their regions (staff: all) in any status, as `Activity`, "
        "exact and live. Anonymous callers: the activities the latest public release counts, as `PublicActivity` "
        "(no counts, no free text, the month only), filtered by `region`, `objective`, `service`, `period` and "
        "`search` (the title), ordered by `title` or `id` (default: newest month first); any other parameter is "
        "refused.",
    ),
    retrieve=extend_schema(responses=ACTIVITY_READ),
)
class PublicActivityViewSet(ActivityViewSet):
    """activities.api's viewset, with the public release for anonymous callers."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()  # the schema is built without a database to read a release from
        if self.request.user.is_authenticated:
            return super().get_queryset()
        return newest_month_first(current_release().activities())

    def get_serializer_class(self):
        if self.request is not None and not self.request.user.is_authenticated:
            return PublicActivitySerializer
        return super().get_serializer_class()

    def filter_queryset(self, queryset):
        if self.request.user.is_authenticated:
            return super().filter_queryset(queryset)
        found = filtered(self.request, queryset, LIST_PARAMETERS)
        if term := self.request.query_params.get("search", "").strip():
            found = found.filter(title__icontains=term)
        return self.ordered(found)

    def ordered(self, queryset):
        raw = self.request.query_params.get("ordering", "")
        if not raw:
            return queryset
        if raw not in PUBLIC_ORDERING:
            message = _("Order by one of: %(fields)s.") % {"fields": ", ".join(PUBLIC_ORDERING)}
            raise serializers.ValidationError({"ordering": [message]})
        return queryset.order_by(*PUBLIC_ORDERING[raw])

    def list(self, request, *args, **kwargs):
        return public_answer(self, request, lambda: super(PublicActivityViewSet, self).list(request, *args, **kwargs))

    def retrieve(self, request, *args, **kwargs):
        return public_answer(
            self, request, lambda: super(PublicActivityViewSet, self).retrieve(request, *args, **kwargs)
        )


def register(router):
    router.register("activities", PublicActivityViewSet, basename="activity")


urlpatterns = [
    path("statistics/", StatisticsView.as_view(), name="api-statistics"),
    path("regions/geojson/", RegionMapView.as_view(), name="regions-geojson"),
    path("activities/geojson/", ActivityMapView.as_view(), name="activities-geojson"),
]
