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

import django_filters
from django.urls import path
from django.utils.translation import gettext as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from activities.api import ActivitySerializer, ActivityViewSet
from activities.models import Activity, MonthStart
from activities.privacy import public_coordinate
from prevent_protect.search import contains_folded
from programs.models import Objective, Service
from regions.api import RegionFilter

from . import datapackage
from .cache import public_answer
from .query import (
    PERIOD,
    PERIOD_PARAMETER,
    RELEASE_PARAMETER,
    ReleaseSerializer,
    asked_release,
    given_parameters,
    period_dates,
    period_message,
    release_json,
)
from .selectors import current_release
from .statistics import StatisticsView

# A map draws one document; past this many points it is unreadable anyway (see ActivityMapView).
MAX_MAP_FEATURES = 5000


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
    type = serializers.CharField(help_text="`Polygon` or `MultiPolygon`.")
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
    geometry = Geometry(
        allow_null=True, help_text="The boundary; null when none is loaded (the capital's point: /api/v1/regions/)."
    )
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
            raise serializers.ValidationError({"period": [period_message()]})
        return queryset.filter(start_date__range=period_dates(value))


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
    # Within a month the order is the id's, not the day's: the day is not published. A page is
    # read from the approved activities' index in this order (activities migration 0009).
    return queryset.order_by(MonthStart("start_date").desc(), "-pk")


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
        features = [datapackage.activity_feature(row, english) for row in rows[:MAX_MAP_FEATURES]]
        return Response(
            {
                "type": "FeatureCollection",
                "release": release_json(release),
                "truncated": len(rows) > MAX_MAP_FEATURES,
                "features": features,
            }
        )


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
    # A released activity is approved, so whole (activity_complete_unless_open): never null here, as drafts may be.
    objective = serializers.PrimaryKeyRelatedField(read_only=True)
    service = serializers.PrimaryKeyRelatedField(read_only=True)
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
            found = found.filter(contains_folded("title", term))
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
