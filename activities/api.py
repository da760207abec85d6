"""The signed-in activities API: activities and their review workflow, evidence files, partner
institutions and support networks, exact and live.

Every rule lives elsewhere and is only called from here: who may see and do what in
`regions.access` and `Activity.objects.visible_to`, what a valid activity is in the model
and `activities.services`, what a valid file is in `activities.evidence`. What anonymous
callers read (the public release: the list of activities, the maps, the statistics) is
publication.api's, which mounts the `activities` route with a subclass of ActivityViewSet.
"""

import datetime
import re
import uuid
from collections.abc import Mapping
from contextlib import contextmanager

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.validators import UniqueTogetherValidator

from accounts.api import RefuseUnknownFields
from programs.api import ContentEditors
from regions import access
from regions.api import RegionFilter

from . import services
from .evidence import ClientUuidTaken, evidence_attach, evidence_open, evidence_remove
from .filters import ActivityFilter
from .models import PARTICIPANT_FIELDS, STALE_MESSAGE, Activity, Evidence, EvidenceKind, Institution, SupportNetwork

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
    except ClientUuidTaken as exc:
        raise Conflict(exc.messages[0]) from exc
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise  # field errors: the shared handler names each field
        # The shared handler would call any non-field refusal `invalid`; a client needs to
        # tell a bad transition from a locked activity or a refused file.
        raise Refused(exc.messages[0], code=getattr(exc, "code", None) or "invalid") from exc


# Serializer fields -------------------------------------------------------------


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
        fields = ["id", "activity", "caption", "content_type", "size", "uploaded_at", "client_uuid", "download"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, item):
        return reverse("evidence-download", args=[item.pk], request=self.context.get("request"))


class EvidenceUploadSerializer(RefuseUnknownFields, serializers.Serializer):
    # Empty files and long captions are refused by activities.evidence, with its messages.
    file = serializers.FileField(allow_empty_file=True, help_text="A JPEG, PNG, WebP or PDF of at most 10 MB.")
    caption = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    client_uuid = serializers.UUIDField(
        required=False,
        help_text="Generated by the client before its first attempt; a retried upload with the same value "
        "returns the file it stored (200) instead of storing it again, even once the activity is submitted. "
        "A value already used for another activity's file is answered 409.",
    )


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
        responses=ActivitySerializer,
        description="The activities of the caller's regions (staff: all) in any status, exact and live.",
    ),
    retrieve=extend_schema(responses=ActivitySerializer),
    create=extend_schema(
        request=ActivitySerializer,
        responses={201: ActivitySerializer, 200: OpenApiResponse(ActivitySerializer, "The earlier one, replayed.")},
        description="Creates a draft: only `region` is required, the rest may come later by PATCH (submitting "
        "requires them). A `client_uuid` already used for an activity the caller can see "
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
        # People who sign in read their regions' activities in every status, and nothing else
        # (regions.access). What anonymous callers read is the public release's, served by
        # publication.api's subclass of this viewset; here they read nothing.
        if not user.is_authenticated:
            return Activity.objects.none()
        return Activity.objects.visible_to(user).prefetch_related("institutions")

    def get_serializer_class(self):
        return ActivitySerializer

    def retrieve(self, request, *args, **kwargs):
        return self.answer(self.get_object())

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
        """Send a draft or returned activity for review (its region's coordinators).

        Refused with 400 `invalid`, nothing changed, while the activity lacks what a reviewer would
        return it for; `fields` says what, by field: `objective`, `service`, `title`, `start_date` and
        `end_date` (a draft may be saved without them), `participants` (none counted), `place_name`
        (no place nor point, unless virtual), `description`, `evidence` (no file attached), `families`
        (more than the adults), `start_date` / `end_date` (in the future, Lima time).
        """
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
        responses={
            201: EvidenceSerializer,
            200: OpenApiResponse(EvidenceSerializer, "The file an earlier attempt with this `client_uuid` stored."),
        },
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
        """The activity's evidence files (GET), or attach one (POST, multipart: `file`, `caption`, `client_uuid`)."""
        activity = self.get_object()
        if request.method == "GET":
            files = activity.evidence.all()
            return Response(EvidenceSerializer(files, many=True, context=self.get_serializer_context()).data)
        upload = EvidenceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        with service_errors():
            item, created = evidence_attach(
                activity=activity,
                uploaded_file=upload.validated_data["file"],
                caption=upload.validated_data.get("caption", ""),
                by=request.user,
                client_uuid=upload.validated_data.get("client_uuid"),
            )
        answer = EvidenceSerializer(item, context=self.get_serializer_context()).data
        return Response(answer, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


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


def register(router):
    # The activities route is publication.api's: the same viewset, answering anonymous callers from the
    # public release. This module does not know about releases (apps depend downwards only).
    router.register("evidence", EvidenceViewSet, basename="evidence")
    router.register("institutions", InstitutionViewSet, basename="institution")
    router.register("support-networks", SupportNetworkViewSet, basename="support-network")
