"""The activities API: activities and their review workflow, evidence files, partner
institutions and support networks, and the GeoJSON the public maps draw.

Every rule lives elsewhere and is only called from here: who may see and do what in
`regions.access` and `Activity.objects.visible_to`, what a valid activity is in the model
and `activities.services`, what a valid file is in `activities.evidence`, and what the
public may see in `activities.privacy`.
"""

import datetime
import re
import uuid
from collections.abc import Mapping
from contextlib import contextmanager

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.http import FileResponse
from django.urls import path
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.validators import UniqueTogetherValidator
from rest_framework.views import APIView

from accounts.api import RefuseUnknownFields
from programs.api import ContentEditors
from publication.cache import public_answer
from regions import access
from regions.api import RegionFilter
from regions.models import Region

from . import services
from .disclosure import protect_line
from .evidence import evidence_attach, evidence_open, evidence_remove
from .filters import ActivityFilter
from .models import PARTICIPANT_FIELDS, STALE_MESSAGE, Activity, Evidence, EvidenceKind, Institution, SupportNetwork
from .privacy import public_coordinate, public_count_field

COUNT_FIELDS = (*PARTICIPANT_FIELDS, "families")
# Any id-shaped path segment reaches the view, so `/activities/1.5/` is answered 404 in the API's
# shape rather than by Django's HTML page for an unmatched URL.
ANY_ID = r"[^/]+"
# A map draws one document; past this many points it is unreadable anyway, and the
# newest are kept (see ActivityMapView).
MAX_MAP_FEATURES = 5000


# Errors ---------------------------------------------------------------------


class Refused(exceptions.APIException):
    """A service's refusal that is about the request as a whole; its code says which rule."""

    status_code = 400
    default_code = "invalid"


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_code = "edit_conflict"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"


@contextmanager
def service_errors():
    """Answer the services' refusals in the API's shape, keeping their codes."""
    try:
        yield
    except services.EditConflict as exc:
        raise PreconditionFailed(exc.messages[0]) from exc
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise  # field errors: the shared handler names each field
        # The shared handler would call any non-field refusal `invalid`; a client needs to
        # tell a bad transition from a locked activity or a refused file.
        raise Refused(exc.messages[0], code=getattr(exc, "code", None) or "invalid") from exc


# Serializer fields -------------------------------------------------------------


class PublicCount(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, help_text="The count; null when it is from 1 to 4.")
    suppressed = serializers.BooleanField(help_text="True when the count is from 1 to 4 and withheld.")


@extend_schema_field(PublicCount)
class PublicCountField(serializers.Field):
    """A count as the public may see it (activities.privacy)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return public_count_field(value)


@extend_schema_field({"type": "number", "format": "double", "nullable": True})
class PublicCoordinateField(serializers.Field):
    """Two decimals, about 1 km: a public point never leads to a house (activities.privacy)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return float(public_coordinate(value))


class CoordinateField(serializers.DecimalField):
    """Degrees, stored to six decimals (about 10 cm).

    Phones report fifteen decimals; refusing them would make every client round first,
    so extra decimals are rounded here. The range is the model's rule (inside Peru).
    """

    def __init__(self, **kwargs):
        super().__init__(max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True, **kwargs)

    def validate_precision(self, value):
        _sign, digits, exponent = value.as_tuple()
        if len(digits) + min(exponent, 0) > self.max_whole_digits:
            self.fail("max_whole_digits", max_whole_digits=self.max_whole_digits)
        return value


# Evidence serializers -------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(help_text="Where to download the file.")

    class Meta:
        model = Evidence
        fields = ["id", "activity", "caption", "content_type", "size", "uploaded_at", "download"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, item):
        return reverse("evidence-download", args=[item.pk], request=self.context.get("request"))


class EvidenceUploadSerializer(RefuseUnknownFields, serializers.Serializer):
    # Empty files and long captions are refused by activities.evidence, with its messages.
    file = serializers.FileField(allow_empty_file=True, help_text="A JPEG, PNG, WebP or PDF of at most 10 MB.")
    caption = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


# Activities ---------------------------------------------------------------------

ACTIVITY_FIELDS = [
    "id", "region", "objective", "service", "title", "description", "start_date", "end_date", "modality",
    "place_name", "district", "latitude", "longitude", *COUNT_FIELDS, "participants_total", "institutions",
    "support_network", "status",
]  # fmt: skip


class ActivitySerializer(RefuseUnknownFields, serializers.ModelSerializer):
    """What coordinators and staff read and write."""

    latitude = CoordinateField(required=False)
    longitude = CoordinateField(required=False)
    participants_total = serializers.IntegerField(read_only=True)
    client_uuid = serializers.UUIDField(
        required=False,
        help_text="Generated by the client before its first attempt; a retried POST with the same value "
        "returns the activity it created instead of a duplicate. Generated by the server when absent.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="In answers, the current version (also the ETag). In PUT and PATCH without an If-Match "
        "header, the version the change is based on.",
    )

    class Meta:
        model = Activity
        fields = [
            *ACTIVITY_FIELDS,
            "review_comment",
            "version",
            "client_uuid",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "review_comment", "created_by", "created_at", "updated_at"]

    def validate_client_uuid(self, value):
        if self.instance is not None and value != self.instance.client_uuid:
            raise serializers.ValidationError(_("The client UUID of an activity cannot change."))
        return value


class PublicActivitySerializer(serializers.ModelSerializer):
    """What anonymous visitors read: approved activities, coarse points, suppressed small counts,
    and nothing about the people who logged or reviewed them."""

    latitude = PublicCoordinateField(allow_null=True)
    longitude = PublicCoordinateField(allow_null=True)
    girls = PublicCountField()
    boys = PublicCountField()
    adolescent_girls = PublicCountField()
    adolescent_boys = PublicCountField()
    women = PublicCountField()
    men = PublicCountField()
    families = PublicCountField()
    participants_total = PublicCountField()

    class Meta:
        model = Activity
        fields = [*ACTIVITY_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # The six counts sit beside their total: hide enough of them that a small one cannot be
        # worked out as the total minus the others (activities.disclosure).
        line = [*PARTICIPANT_FIELDS, "participants_total"]
        values = [getattr(instance, field) for field in PARTICIPANT_FIELDS] + [instance.participants_total]
        for index in protect_line(values):
            data[line[index]] = {"value": None, "suppressed": True}
        return data


ACTIVITY_READ = PolymorphicProxySerializer(
    component_name="ActivityRead",
    serializers=[ActivitySerializer, PublicActivitySerializer],
    resource_type_field_name=None,
)


class TransitionSerializer(RefuseUnknownFields, serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, help_text="Required to return or reopen: what must change."
    )


class ActivityApiFilter(ActivityFilter):
    """The panel's filters, plus what a client that keeps an offline copy needs."""

    # An id or a slug, as everywhere in the API. Which regions' activities the caller may read
    # is the queryset's business (visible_to or approved): another region's gives an empty page.
    region = RegionFilter()
    modified_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        method="filter_modified_since",
        help_text="Changed at or after this ISO 8601 moment, e.g. `2025-06-01T00:00:00Z`.",
    )

    class Meta(ActivityFilter.Meta):
        fields = [*ActivityFilter.Meta.fields, "modified_since"]

    def filter_modified_since(self, queryset, name, value):
        # ISO 8601 allows offsets PostgreSQL refuses (+19:25) and years it cannot shift: send UTC.
        try:
            moment = value.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            moment = None
        if moment is None or not datetime.timedelta(hours=-14) <= value.utcoffset() <= datetime.timedelta(hours=14):
            raise serializers.ValidationError({"modified_since": [_("Give a moment such as 2025-06-01T00:00:00Z.")]})
        return queryset.filter(updated_at__gte=moment)

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # The panel's filter takes the user to offer their regions; RegionFilter has no use for them.
        super().__init__(data, queryset, request=request, prefix=prefix, user=getattr(request, "user", None))


class WhitelistOrdering(OrderingFilter):
    """An unknown ordering is refused rather than ignored; the id breaks ties, so pages never overlap."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        terms = [term.strip() for term in raw.split(",") if term.strip()]
        if not terms or any(term.lstrip("-") not in view.ordering_fields for term in terms):
            message = _("Order by one or more of: %(fields)s.") % {"fields": ", ".join(view.ordering_fields)}
            raise serializers.ValidationError({self.ordering_param: [message]})
        return terms if {"id", "-id"} & set(terms) else [*terms, "-id"]


ETAG = re.compile(r'^\s*"(\d+)"\s*$')


def checked_if_match(request, activity):
    """The version If-Match names, None without the header; 412 when it is not the current one."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if header.strip() == "*":
        # "*" would mean "whatever is there": a blind overwrite, which is what If-Match is here to stop.
        raise PreconditionRequired(precondition_message())
    # Weak tags (W/"3") never match: If-Match compares strongly (RFC 9110, 13.1.1).
    named = {int(match[1]) for part in header.split(",") if (match := ETAG.match(part))}
    if activity.version not in named:
        raise PreconditionFailed(STALE_MESSAGE)
    return activity.version


def precondition_message():
    return _("Say which version you are changing: send its ETag in an If-Match header.")


def with_etag(response, activity):
    response["ETag"] = f'"{activity.version}"'
    return response


def require_author(user, region_id):
    if not access.can_author_in_region(user, region_id):
        raise exceptions.PermissionDenied(_("Only the coordinators of the activity's region can log or change it."))


@transaction.atomic
def delete_draft(*, activity, expected_version):
    """Delete a draft unless it moved on since the client read it; its files go after the commit."""
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    if locked.version != expected_version:
        raise PreconditionFailed(STALE_MESSAGE)
    if locked.status != Activity.Status.DRAFT:
        status_label = locked.get_status_display().lower()
        raise Refused(
            _("Only a draft can be deleted; this activity is %(status)s.") % {"status": status_label}, "not_draft"
        )
    # Evidence rows cascade; their files are personal data and must not outlive them.
    files = [(item.file.storage, item.file.name) for item in locked.evidence.all()]
    locked.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag of the version being changed, e.g. `"3"`. A stale one is answered 412. PUT and PATCH '
    "may send `version` in the body instead; without either the answer is 428.",
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional: the ETag of the version the action is meant for; a stale one is answered 412.",
)
# The shared error responses (prevent_protect.schema) leave out what only these endpoints answer;
# apps do not import prevent_protect, so the Error component is named, not imported.
ERROR_REF = {"$ref": "#/components/schemas/Error"}
STALE = OpenApiResponse(ERROR_REF, "If-Match names another version (`edit_conflict`).")
UNVERSIONED = OpenApiResponse(ERROR_REF, "No If-Match (`precondition_required`).")
TRANSITION_DOC = extend_schema(
    request=TransitionSerializer,
    responses={200: ActivitySerializer, 412: STALE, 428: OpenApiResponse(ERROR_REF, "If-Match was `*`.")},
    parameters=[IF_MATCH_OPTIONAL],
)


@extend_schema_view(
    list=extend_schema(
        responses=ACTIVITY_READ,
        description="Signed-in callers: the activities of their regions (staff: all) in any status, as "
        "`Activity`. Anonymous callers: approved activities only, as `PublicActivity`.",
    ),
    retrieve=extend_schema(responses=ACTIVITY_READ),
    create=extend_schema(
        request=ActivitySerializer,
        responses={201: ActivitySerializer, 200: OpenApiResponse(ActivitySerializer, "The earlier one, replayed.")},
        description="Creates a draft. A `client_uuid` already used for an activity the caller can see "
        "returns it with 200; one used in a region the caller cannot see is answered 409.",
    ),
    update=extend_schema(request=ActivitySerializer, responses=ActivitySerializer, parameters=[IF_MATCH]),
    partial_update=extend_schema(request=ActivitySerializer, responses=ActivitySerializer, parameters=[IF_MATCH]),
    destroy=extend_schema(
        description="Deletes a draft.", parameters=[IF_MATCH], responses={204: None, 412: STALE, 428: UNVERSIONED}
    ),
)
class ActivityViewSet(viewsets.ModelViewSet):
    lookup_value_regex = ANY_ID
    filterset_class = ActivityApiFilter
    filter_backends = [DjangoFilterBackend, SearchFilter, WhitelistOrdering]
    search_fields = ["title", "place_name", "district"]
    ordering_fields = ["start_date", "end_date", "updated_at", "created_at", "title", "id"]

    def get_queryset(self):
        user = self.request.user
        # The public reads approved activities only (activities.privacy); people who sign in read
        # their regions' activities in every status, and nothing else (regions.access).
        activities = Activity.objects.visible_to(user) if user.is_authenticated else Activity.objects.approved()
        return activities.prefetch_related("institutions")

    def get_serializer_class(self):
        if self.request is not None and not self.request.user.is_authenticated:
            return PublicActivitySerializer
        return ActivitySerializer

    def list(self, request, *args, **kwargs):
        return public_answer(self, request, lambda: super(ActivityViewSet, self).list(request, *args, **kwargs))

    def retrieve(self, request, *args, **kwargs):
        return public_answer(self, request, lambda: self.answer(self.get_object()))

    def answer(self, activity, status_code=200, **headers):
        response = Response(self.get_serializer(activity).data, status=status_code, headers=headers)
        # The version is workflow detail the public answer leaves out.
        return with_etag(response, activity) if self.request.user.is_authenticated else response

    def create(self, request, *args, **kwargs):
        user = request.user
        if not (access.is_admin(user) or access.member_region_ids(user)):
            raise exceptions.PermissionDenied(_("Only regional coordinators log activities."))
        existing = self.earlier_submission(request.data)
        if existing is not None:
            return self.answer(existing)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        region, institutions = data.pop("region"), data.pop("institutions", [])
        data.pop("version", None)
        require_author(user, region)
        try:
            with service_errors():
                activity = services.activity_create(
                    data=data, region=region, created_by=user, institutions=institutions
                )
        except (IntegrityError, DjangoValidationError):
            # Two attempts with the same client_uuid raced past the lookup above and the other
            # one won: its model check or the unique index refused this one. Answer as a retry.
            existing = self.earlier_submission(request.data)
            if existing is None:
                raise
            return self.answer(existing)
        location = reverse("activity-detail", args=[activity.pk], request=request)
        return self.answer(activity, status.HTTP_201_CREATED, Location=location)

    def earlier_submission(self, data):
        """The activity an earlier attempt with this client_uuid created, if any."""
        raw = data.get("client_uuid") if isinstance(data, Mapping) else None
        try:
            key = uuid.UUID(str(raw))
        except ValueError:
            return None  # absent or malformed: the serializer says which
        found = self.get_queryset().filter(client_uuid=key).first()
        if found is None and Activity.objects.filter(client_uuid=key).exists():
            # Someone else's activity: say no more than that the value is taken.
            raise Conflict(_("This client_uuid is already used; generate a new one."))
        return found

    def update(self, request, *args, partial=False, **kwargs):
        activity = self.get_object()
        require_author(request.user, activity.region_id)
        expected = checked_if_match(request, activity)
        if expected is None and not (isinstance(request.data, Mapping) and "version" in request.data):
            raise PreconditionRequired(precondition_message())
        serializer = self.get_serializer(activity, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        body_version = data.pop("version", None)
        if expected is not None and body_version not in (None, expected):
            raise PreconditionFailed(STALE_MESSAGE)
        self.save_changes(activity, data, expected or body_version)
        return self.answer(activity)

    def save_changes(self, activity, data, expected_version):
        # Partners are checked against the region each time: a new region must not keep the old one's.
        institutions = data.pop("institutions", None)
        if institutions is None:
            institutions = list(activity.institutions.all())
        data.pop("client_uuid", None)
        if "region" in data:
            require_author(self.request.user, data["region"])
        for name, value in data.items():
            setattr(activity, name, value)
        with service_errors():
            services.activity_save(activity=activity, expected_version=expected_version, institutions=institutions)

    def destroy(self, request, *args, **kwargs):
        activity = self.get_object()
        require_author(request.user, activity.region_id)
        expected = checked_if_match(request, activity)
        if expected is None:
            raise PreconditionRequired(precondition_message())
        delete_draft(activity=activity, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def transition(self, request, action_name):
        activity = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        checked_if_match(request, activity)
        if action_name == "submit" and self.already_submitted(activity):
            # A retry from a weak connection after the first went through: not an error (as in the panel).
            return self.answer(activity)
        comment = body.validated_data.get("comment", "")
        with service_errors():
            services.activity_transition(activity=activity, action=action_name, by=request.user, comment=comment)
        return self.answer(activity)

    def already_submitted(self, activity):
        submitted = activity.status == Activity.Status.SUBMITTED
        return submitted and access.can_author_in_region(self.request.user, activity.region_id)

    @TRANSITION_DOC
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request, pk=None):
        """Send a draft or returned activity for review (its region's coordinators)."""
        return self.transition(request, "submit")

    @TRANSITION_DOC
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve a submitted activity (ministry staff): it becomes public."""
        return self.transition(request, "approve")

    @TRANSITION_DOC
    @action(detail=True, methods=["post"], url_path="return", url_name="return", filter_backends=[])
    def return_(self, request, pk=None):
        """Return a submitted activity to its region with a comment (ministry staff)."""
        return self.transition(request, "return")

    @TRANSITION_DOC
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        """Reopen an approved activity for changes, with a comment (ministry staff)."""
        return self.transition(request, "reopen")

    @extend_schema(methods=["GET"], responses=EvidenceSerializer(many=True), description="The activity's files.")
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer},
        description="Attach a photo or PDF to an open activity of the caller's region.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[IsAuthenticated],
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
        pagination_class=None,
    )
    def evidence(self, request, pk=None):
        """The activity's evidence files (GET), or attach one (POST, multipart: `file`, `caption`)."""
        activity = self.get_object()
        if request.method == "GET":
            files = activity.evidence.all()
            return Response(EvidenceSerializer(files, many=True, context=self.get_serializer_context()).data)
        upload = EvidenceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        with service_errors():
            item = evidence_attach(
                activity=activity,
                uploaded_file=upload.validated_data["file"],
                caption=upload.validated_data.get("caption", ""),
                by=request.user,
            )
        return Response(EvidenceSerializer(item, context=self.get_serializer_context()).data, status.HTTP_201_CREATED)


# Evidence files ------------------------------------------------------------------


class IgnoreAccept(BaseContentNegotiation):
    """Files are files whatever the client accepts; refusals are still JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class EvidenceViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Evidence is private: it exists only for those who may see its activity (others get 404)."""

    serializer_class = EvidenceSerializer
    lookup_value_regex = ANY_ID
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        visible = Activity.objects.visible_to(self.request.user)
        return Evidence.objects.filter(activity__in=visible).select_related("activity")

    def perform_destroy(self, instance):
        with service_errors():
            evidence_remove(evidence=instance, by=self.request.user)

    @extend_schema(
        responses={(200, kind): OpenApiTypes.BINARY for kind in EvidenceKind.values},
        description="The file itself, as an attachment.",
    )
    @action(detail=True, methods=["get"], content_negotiation_class=IgnoreAccept)
    def download(self, request, pk=None):
        item = self.get_object()
        handle = evidence_open(evidence=item, by=request.user)
        extension = item.file.name.rsplit(".", 1)[-1]
        response = FileResponse(handle, as_attachment=True, filename=f"evidencia-{item.pk}.{extension}")
        response["Content-Type"] = item.content_type
        # The type was read from the bytes on upload; the browser must not guess another.
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# Partners -----------------------------------------------------------------------


def unique_in_region(model):
    # Lazy: the validator is built once, at import, and must speak each request's language.
    message = gettext_lazy("This region already has a partner with this name.")
    return UniqueTogetherValidator(queryset=model.objects.all(), fields=["region", "name"], message=message)


class InstitutionSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["id", "name", "sector", "region", "actuemos_ya_since"]
        validators = [unique_in_region(Institution)]


class SupportNetworkSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    class Meta:
        model = SupportNetwork
        fields = ["id", "name", "region", "formed_on", "leaders"]
        validators = [unique_in_region(SupportNetwork)]


class PartnerViewSet(viewsets.ModelViewSet):
    lookup_value_regex = ANY_ID
    permission_classes = [ContentEditors]
    filter_backends = [DjangoFilterBackend, SearchFilter, WhitelistOrdering]
    search_fields = ["name"]
    ordering_fields = ["name", "id"]

    def perform_destroy(self, instance):
        # Approved activities name their partners; deleting one would rewrite published figures.
        if instance.activities.exists():
            raise Refused(_("This partner is named in activities and cannot be deleted."), "in_use")
        instance.delete()


class InstitutionFilter(django_filters.FilterSet):
    region = RegionFilter()

    class Meta:
        model = Institution
        fields = ["region", "sector"]


class SupportNetworkFilter(django_filters.FilterSet):
    region = RegionFilter()

    class Meta:
        model = SupportNetwork
        fields = ["region"]


class InstitutionViewSet(PartnerViewSet):
    queryset = Institution.objects.all()
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter


class SupportNetworkViewSet(PartnerViewSet):
    queryset = SupportNetwork.objects.all()
    serializer_class = SupportNetworkSerializer
    filterset_class = SupportNetworkFilter


# GeoJSON for the public maps ---------------------------------------------------------


class Geometry(serializers.Serializer):
    type = serializers.CharField(help_text="`Point`, `Polygon` or `MultiPolygon`.")
    coordinates = serializers.JSONField(help_text="GeoJSON positions, longitude first.")


class RegionProperties(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    inei_code = serializers.CharField()
    in_campaign = serializers.BooleanField()
    approved_activities = PublicCountField()
    participants_total = PublicCountField()


class RegionFeature(serializers.Serializer):
    type = serializers.CharField(help_text="Always `Feature`.")
    geometry = Geometry(help_text="The boundary when one is loaded, else a Point at the region's capital.")
    properties = RegionProperties()


class RegionFeatureCollection(serializers.Serializer):
    type = serializers.CharField(help_text="Always `FeatureCollection`.")
    features = RegionFeature(many=True)


class ActivityProperties(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    region = serializers.IntegerField()
    region_name = serializers.CharField()
    objective_code = serializers.CharField()
    service_name = serializers.CharField()
    start_date = serializers.DateField()
    participants_total = PublicCountField()


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
    truncated = serializers.BooleanField(help_text=f"True when more than {MAX_MAP_FEATURES} activities matched.")
    features = ActivityFeature(many=True)


def point(latitude, longitude):
    return {"type": "Point", "coordinates": [float(longitude), float(latitude)]}


def feature(geometry, properties):
    return {"type": "Feature", "geometry": geometry, "properties": properties}


PARTICIPANTS_SUM = sum((F(name) for name in PARTICIPANT_FIELDS[1:]), F(PARTICIPANT_FIELDS[0]))


class RegionMapView(APIView):
    """Every region with its approved figures, whoever asks: the map is public."""

    permission_classes = [AllowAny]

    @extend_schema(responses=RegionFeatureCollection)
    def get(self, request):
        return public_answer(self, request, self.collection)

    def collection(self):
        figures = {
            row["region_id"]: row
            for row in Activity.objects.approved()
            .values("region_id")
            .annotate(activities=Count("id"), participants=Sum(PARTICIPANTS_SUM))
            .order_by()
        }
        features = [self.region_feature(region, figures.get(region.pk, {})) for region in Region.objects.all()]
        return Response({"type": "FeatureCollection", "features": features})

    @staticmethod
    def region_feature(region, figures):
        geometry = region.boundary or point(region.latitude, region.longitude)
        properties = {
            "id": region.pk,
            "name": region.name,
            "slug": region.slug,
            "inei_code": region.inei_code,
            "in_campaign": region.in_campaign,
            "approved_activities": public_count_field(figures.get("activities", 0)),
            "participants_total": public_count_field(figures.get("participants") or 0),
        }
        return feature(geometry, properties)


class MapFilter(ActivityFilter):
    """The list's filters that make sense on a map of approved activities."""

    region = RegionFilter()
    status = None

    class Meta(ActivityFilter.Meta):
        fields = ["region", "objective", "service", "start_date_from", "start_date_to"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix, user=None)


# drf-spectacular documents filters on lists only; this one document is not a list.
MAP_PARAMETERS = [
    OpenApiParameter("region", {"type": "string"}, description="A region's id or slug: `13` or `puno`."),
    OpenApiParameter("objective", OpenApiTypes.INT, description="An objective's id."),
    OpenApiParameter("service", OpenApiTypes.INT, description="A service's id."),
    OpenApiParameter("start_date_from", OpenApiTypes.DATE, description="Started on or after this day."),
    OpenApiParameter("start_date_to", OpenApiTypes.DATE, description="Started on or before this day."),
]
MAP_COLUMNS = (
    "id", "title", "region_id", "region__name", "objective__code", "service__name", "service__name_en",
    "start_date", "latitude", "longitude", *PARTICIPANT_FIELDS,
)  # fmt: skip


class ActivityMapView(APIView):
    """Approved activities that have a point, newest first, whoever asks: the map is public.

    One document, capped at MAX_MAP_FEATURES with a `truncated` flag, rather than pages: a
    map needs every point at once, and a filter narrows a crowded one.
    """

    permission_classes = [AllowAny]
    filterset_class = MapFilter

    @extend_schema(responses=ActivityFeatureCollection, parameters=MAP_PARAMETERS)
    def get(self, request):
        return public_answer(self, request, self.collection)

    def collection(self):
        located = Activity.objects.approved().filter(latitude__isnull=False, longitude__isnull=False)
        matching = DjangoFilterBackend().filter_queryset(self.request, located, self)
        # One row past the cap says whether anything was left out.
        rows = list(matching.values_list(*MAP_COLUMNS)[: MAX_MAP_FEATURES + 1])
        english = (get_language() or "es").startswith("en")
        features = [
            self.activity_feature(dict(zip(MAP_COLUMNS, row, strict=True)), english) for row in rows[:MAX_MAP_FEATURES]
        ]
        return Response({"type": "FeatureCollection", "truncated": len(rows) > MAX_MAP_FEATURES, "features": features})

    @staticmethod
    def activity_feature(row, english):
        geometry = point(public_coordinate(row["latitude"]), public_coordinate(row["longitude"]))
        properties = {
            "id": row["id"],
            "title": row["title"],
            "region": row["region_id"],
            "region_name": row["region__name"],
            "objective_code": row["objective__code"],
            "service_name": (english and row["service__name_en"]) or row["service__name"],
            "start_date": row["start_date"],
            "participants_total": public_count_field(sum(row[name] for name in PARTICIPANT_FIELDS)),
        }
        return feature(geometry, properties)


def register(router):
    router.register("activities", ActivityViewSet, basename="activity")
    router.register("evidence", EvidenceViewSet, basename="evidence")
    router.register("institutions", InstitutionViewSet, basename="institution")
    router.register("support-networks", SupportNetworkViewSet, basename="support-network")


urlpatterns = [
    path("regions/geojson/", RegionMapView.as_view(), name="regions-geojson"),
    path("activities/geojson/", ActivityMapView.as_view(), name="activities-geojson"),
]
