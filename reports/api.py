"""The report jobs of staff and coordinators: exports and progress reports, exact and live.

The public statistics endpoint reads the public release, and so lives in publication.api.
"""

from django.http import FileResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from activities.models import Activity
from prevent_protect.rest import ANY_ID, Error, IgnoreAccept, RefuseUnknownFields, absolute_url
from programs.models import Objective, Service
from regions import access
from regions.models import Region

from . import services
from .completeness_api import CompletenessView
from .forms import FIRST_YEAR, PROGRESS_KINDS, pair_error, region_error, report_parameters
from .models import Report
from .views import filename as report_filename

# Above PostgreSQL's integer: such an "id" can only be a slug that looks like a number.
MAX_ID = 2**31 - 1


def find_reference(queryset, value, field):
    """The object whose id, or `field`, is value; None when there is none."""
    if value.isascii() and value.isdigit():
        return queryset.filter(pk=int(value)).first() if int(value) <= MAX_ID else None
    return queryset.filter(**{field: value}).first()


def _found(obj, message):
    if obj is None:
        raise serializers.ValidationError(message)
    return obj


# --- Report jobs -----------------------------------------------------------------------------
#
# A report is requested (202), followed (GET its url until `done` or `failed`) and downloaded.
# Only staff and the region's coordinators ever learn that a report exists: the others get 404.


class NotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_ready"
    default_detail = _lazy("The report is not ready yet: follow its status until it is done.")


class NewReportSerializer(RefuseUnknownFields, serializers.Serializer):
    """What to prepare: a kind, a format, a region, and filters. A progress report covers a year or
    the dates given; only the activities export filters by status."""

    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    format = serializers.ChoiceField(choices=Report.Format.choices)
    region = serializers.CharField(
        required=False, allow_null=True, help_text="A region's id or slug; required but for staff's national reports."
    )
    year = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Progress reports: the year they cover, unless date_from or date_to say otherwise "
        "(default: the current year).",
    )
    objective = serializers.CharField(required=False, help_text="Only this objective's activities (id or code).")
    service = serializers.CharField(required=False, help_text="Only this service's activities (id or slug).")
    status = serializers.ChoiceField(
        choices=Activity.Status.choices, required=False, help_text="Activities export: the activities' status."
    )
    date_from = serializers.DateField(required=False, help_text="Only activities that started on or after this day.")
    date_to = serializers.DateField(required=False, help_text="Only activities that started on or before this day.")

    def validate_region(self, value):
        if value in (None, ""):
            return None
        region = _found(
            find_reference(Region.objects.all(), value, "slug__iexact"), _("No region has this id or slug.")
        )
        if not access.can_read_region(self.context["request"].user, region):
            # Another region's reports do not exist for this person, nor does asking for one.
            raise exceptions.NotFound()
        return region

    def validate_objective(self, value):
        return _found(
            find_reference(Objective.objects.all(), value, "code__iexact"), _("No objective has this id or code.")
        )

    def validate_service(self, value):
        return _found(
            find_reference(Service.objects.all(), value, "slug__iexact"), _("No service has this id or slug.")
        )

    def validate_year(self, value):
        last = timezone.localdate().year + 1
        if value is not None and not FIRST_YEAR <= value <= last:
            raise serializers.ValidationError(
                _("Give a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": last}
            )
        return value

    def validate(self, attrs):
        kind, region = attrs["kind"], attrs.get("region")
        if message := pair_error(kind, attrs["format"]):
            raise serializers.ValidationError({"format": [message]})
        if message := region_error(self.context["request"].user, kind, region):
            raise serializers.ValidationError({"region": [message]})
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("Give a date_to on or after date_from.")]})
        _check_period(kind, attrs)
        return attrs


def _check_period(kind, attrs):
    """A progress report covers a year or the dates given, not both; an export has no year and
    progress reports count approved activities only, so take no status."""
    if kind in PROGRESS_KINDS:
        if attrs.get("status"):
            raise serializers.ValidationError({"status": [_("Only the activities export filters by status.")]})
        if attrs.get("year") and (attrs.get("date_from") or attrs.get("date_to")):
            raise serializers.ValidationError({"year": [_("Give a year or dates, not both.")]})
    elif attrs.get("year"):
        raise serializers.ValidationError({"year": [_("Only progress reports and the national summary take a year.")]})


class ReportRegion(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class ReportSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This report: GET it to follow its status.")
    region = ReportRegion(allow_null=True, help_text="Null for a national report.")
    download_url = serializers.SerializerMethodField(help_text="Where to download the file; null until it is done.")
    parameters = serializers.DictField(help_text="The filters or the year the report was asked for.")

    class Meta:
        model = Report
        fields = [
            "id", "url", "kind", "format", "region", "parameters", "language", "status", "progress",
            "error", "row_count", "download_url", "created_at", "started_at", "finished_at", "expires_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, report):
        return absolute_url("report-detail", report.pk)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, report):
        if report.status != Report.Status.DONE:
            return None
        return absolute_url("report-download", report.pk)


@extend_schema(tags=["reports"])
@extend_schema_view(
    list=extend_schema(summary="Reports the caller may see", description="Newest first."),
    retrieve=extend_schema(
        summary="A report's status",
        description="Status (`queued`, `running`, `done`, `failed`), progress in percent, the error when it "
        "failed, and `download_url` once it is done. Another region's report is a 404.",
    ),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Exports and progress reports, prepared in the background."""

    serializer_class = ReportSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []
    # Anything up to the next slash (a dot too) reaches get_object, which answers 404 in the API's shape.
    lookup_value_regex = ANY_ID

    def get_queryset(self):
        return Report.objects.visible_to(self.request.user).select_related("region")

    def get_object(self):
        # Any id that cannot be a report's is not found, in the API's shape (not Django's HTML page).
        raw = self.kwargs["pk"]
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
            raise exceptions.NotFound()
        # The one fetch-and-check of reports, as in the panel.
        return services.report_for_user(self.request.user, int(raw))

    @extend_schema(
        summary="Request a report",
        description="Queues the report and answers 202 with it (`url` is where to follow it). When the same "
        "report (kind, format, region, filters, language) is already queued or running, answers 200 with that "
        "one instead "
        "of starting another. A coordinator may request reports of their own regions only (another region: "
        "404); only staff may leave the region empty for a national report.",
        request=NewReportSerializer,
        responses={202: ReportSerializer, 200: ReportSerializer},
    )
    def create(self, request):
        query = NewReportSerializer(data=request.data, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        report, created = services.report_request(
            user=request.user,
            kind=data["kind"],
            format=data["format"],
            region=data.get("region"),
            parameters=report_parameters(data["kind"], data),
            language=(get_language() or "es").split("-")[0],
        )
        body = ReportSerializer(report, context=self.get_serializer_context()).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK, headers={"Location": body["url"]}
        )

    @extend_schema(
        summary="Download a report",
        description="The file, once the report is done (409 before, or when it failed): CSV, XLSX or PDF as the "
        "report's `format` says, always sent as `application/octet-stream`, one type that generated clients read "
        "as bytes; the file name in Content-Disposition has the format's extension.",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            409: OpenApiResponse(Error, "Not done yet, or failed."),
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=IgnoreAccept)
    def download(self, request, pk=None):
        report = self.get_object()
        if report.status == Report.Status.FAILED:
            raise NotReady(_("The report failed and has no file: request it again."))
        if report.status != Report.Status.DONE:
            raise NotReady()
        handle = services.report_open(report, request.user)
        response = FileResponse(handle, as_attachment=True, filename=report_filename(report))
        response["Content-Type"] = "application/octet-stream"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def register(router):
    router.register("reports", ReportViewSet, basename="report")


# Not a viewset: the completeness table of a month (reports.completeness_api).
urlpatterns = [path("completeness/", CompletenessView.as_view(), name="api-completeness")]
