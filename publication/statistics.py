"""`/api/v1/statistics/`: one cell of the public release's tables, or one published breakdown.

A figure is a cell of a published table (publication.tables), hidden as the pages hide it; other
combinations, and free date ranges, are refused (DESIGN.md, "Privacy").
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from activities.models import PARTICIPANT_FIELDS, Activity
from programs.models import Objective, Service
from regions.models import Region
from reports.api import find_reference
from reports.selectors import SEX_AGE_GROUPS

from . import datapackage
from .cache import public_answer
from .query import (
    PERIOD_PARAMETER,
    RELEASE_PARAMETER,
    ReleaseSerializer,
    asked_release,
    given_parameters,
    period_dates,
    release_json,
    validate_period,
)
from .tables import MEASURES, TABLES, TIME, period_level, table_of

SEX_AGE = "sex_age"
BY_CHOICES = ("region", "objective", "service", "year", "quarter", "month", SEX_AGE)


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
