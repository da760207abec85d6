"""GET /api/v1/completeness/?year=&month=: the completeness table of one month, for staff.

The same figures as the panel's page (reports.completeness), one row per region.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from regions import access
from regions.models import Region

from . import completeness

FIRST_YEAR, LAST_YEAR = 2024, 2100
ERROR_REF = {"$ref": "#/components/schemas/Error"}


class NationalStaff(permissions.BasePermission):
    """Ministry staff and administrators (regions.access.is_national); coordinators are refused."""

    message = gettext_lazy("Only ministry staff may see every region's completeness.")

    def has_permission(self, request, view):
        return access.is_national(request.user)


class CompletenessQuery(serializers.Serializer):
    year = serializers.IntegerField(
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={
            "invalid": gettext_lazy("Give the year as a number, for example 2026."),
            "min_value": gettext_lazy("Give a year from 2024 on."),
            "max_value": gettext_lazy("Give a year up to 2100."),
        },
    )
    month = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=12,
        error_messages={
            "invalid": gettext_lazy("Give the month as a number from 1 to 12."),
            "min_value": gettext_lazy("Give the month as a number from 1 to 12."),
            "max_value": gettext_lazy("Give the month as a number from 1 to 12."),
        },
    )
    region = serializers.CharField(
        required=False, max_length=100, help_text="A region's id or slug; every region when left out."
    )

    def validate_region(self, value):
        field = "pk" if value.isascii() and value.isdigit() and int(value) < 2**31 else "slug__iexact"
        region = Region.objects.filter(**{field: value}).first()
        if region is None:
            raise serializers.ValidationError(_("No region has this id or slug."))
        return region

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [_("Unknown parameter; use year, month or region.")] for name in unknown}
            )
        if "year" in attrs and "month" not in attrs:
            raise serializers.ValidationError({"month": [_("Give the month too, as a number from 1 to 12.")]})
        return attrs


class RegionRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class CompletenessRow(serializers.Serializer):
    region = RegionRef()
    month = serializers.CharField(help_text="YYYY-MM.")
    expected = serializers.FloatField(
        allow_null=True, help_text="Activities expected from the targets (see `rules`); null when no target is set."
    )
    logged = serializers.IntegerField(help_text="Activities starting in the month, in any status.")
    logged_percent = serializers.IntegerField(allow_null=True, help_text="Logged as a percentage of expected.")
    drafts = serializers.IntegerField(help_text="Of those logged, drafts not yet sent.")
    submitted = serializers.IntegerField(help_text="Of those logged, submitted and awaiting review.")
    approved = serializers.IntegerField()
    returned = serializers.IntegerField(help_text="Of those logged, returned to the region for changes.")
    days_to_submit = serializers.FloatField(
        allow_null=True, help_text="Median days from the activity's end to its latest submission."
    )
    days_to_decide = serializers.FloatField(
        allow_null=True, help_text="Median days from the latest submission to the approval or return."
    )
    launched = serializers.BooleanField(help_text="False for a month before the region's launch.")
    nothing_logged = serializers.BooleanField(help_text="A launched region logged nothing in the month.")


class CompletenessRules(serializers.Serializer):
    logged = serializers.CharField()
    expected = serializers.CharField()
    timing = serializers.CharField()


class CompletenessAnswer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM.")
    rules = CompletenessRules(help_text="How the figures are counted, in the request's language.")
    nothing_logged = RegionRef(many=True, help_text="The regions that logged nothing in the month.")
    rows = CompletenessRow(many=True)


class CompletenessView(APIView):
    permission_classes = [NationalStaff]

    @extend_schema(
        tags=["reports"],
        summary="Completeness and timeliness of one month, by region",
        description="Per region: activities expected from the targets, logged (by start date, any status), "
        "drafts, awaiting review, approved and returned, and the median days from the activity's end to its "
        "submission and from submission to decision. Staff only (403 for coordinators). Without `year` and "
        "`month`, the current month; `month` alone is in the current year; `year` needs a `month`.",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="2024 to 2100."),
            OpenApiParameter("month", OpenApiTypes.INT, description="1 to 12."),
            OpenApiParameter("region", OpenApiTypes.STR, description="A region's id or slug."),
        ],
        responses={
            200: CompletenessAnswer,
            400: OpenApiResponse(ERROR_REF, "A parameter is not a valid year, month or region."),
            403: OpenApiResponse(ERROR_REF, "Not ministry staff."),
        },
    )
    def get(self, request):
        query = CompletenessQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        month = datetime.date(
            query.validated_data.get("year", today.year), query.validated_data.get("month", today.month), 1
        )
        region = query.validated_data.get("region")
        table = completeness.completeness(first=month, last=month, regions=None if region is None else [region])
        rows = [{**row, "month": row["month"].strftime("%Y-%m")} for row in table.rows]
        return Response(
            {
                "month": month.strftime("%Y-%m"),
                "rules": {
                    "logged": str(completeness.LOGGED_RULE),
                    "expected": str(completeness.EXPECTATION_RULE),
                    "timing": str(completeness.TIMING_RULE),
                },
                "nothing_logged": table.silent,
                "rows": CompletenessRow(rows, many=True).data,
            }
        )
