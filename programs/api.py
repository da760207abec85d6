"""The campaign's reference content: objectives, programs, services, indicators and targets.

Everyone reads it; ministry staff edit indicators and targets (regions.access.can_edit_content).
Texts are returned as stored, Spanish and English side by side (`name`, `name_en`), so a
client shows either without asking twice.
"""

import django_filters
from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.validators import UniqueTogetherValidator

from prevent_protect.rest import ANY_ID, RefuseUnknownFields
from regions import access
from regions.api import RegionFilter

from .models import Indicator, Objective, Program, Service, Target


class ContentEditors(permissions.BasePermission):
    """Anyone reads; only those the access rule lets edit content write."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or access.can_edit_content(request.user)


class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Read by all; a write is refused by who asks (401, 403) before the method is (405)."""

    permission_classes = [ContentEditors]
    lookup_value_regex = ANY_ID


class ContentViewSet(viewsets.ModelViewSet):
    permission_classes = [ContentEditors]
    lookup_value_regex = ANY_ID


# Objectives -----------------------------------------------------------------
class ObjectiveSerializer(serializers.ModelSerializer):
    services = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the services that deliver the objective."
    )

    class Meta:
        model = Objective
        fields = [
            "id",
            "code",
            "order",
            "title",
            "title_en",
            "description",
            "description_en",
            "expected_result",
            "expected_result_en",
            "services",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List the objectives"), retrieve=extend_schema(summary="Show an objective")
)
class ObjectiveViewSet(ReferenceViewSet):
    queryset = Objective.objects.prefetch_related("services")
    serializer_class = ObjectiveSerializer
    search_fields = ["code", "title", "title_en"]
    ordering_fields = ["order", "code"]


# Programs -------------------------------------------------------------------
class ProgramSerializer(serializers.ModelSerializer):
    former_names = serializers.ListField(
        child=serializers.CharField(),
        source="former_names_list",
        read_only=True,
        help_text="Most recent first (AURORA is now Warmi Ñan).",
    )
    services = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    # Plain text: an empty website ("") is not a URI, and the schema must say what is sent.
    url = serializers.CharField(read_only=True, help_text="The program's website, or empty.")

    class Meta:
        model = Program
        fields = [
            "id",
            "acronym",
            "slug",
            "name",
            "name_en",
            "former_names",
            "description",
            "description_en",
            "url",
            "services",
        ]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="List the programs"), retrieve=extend_schema(summary="Show a program"))
class ProgramViewSet(ReferenceViewSet):
    queryset = Program.objects.prefetch_related("services")
    serializer_class = ProgramSerializer
    search_fields = ["acronym", "name", "name_en", "former_names"]
    ordering_fields = ["acronym", "name"]


# Services -------------------------------------------------------------------
class ServiceSerializer(serializers.ModelSerializer):
    objectives = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the objectives the service delivers."
    )

    class Meta:
        model = Service
        fields = ["id", "program", "slug", "name", "name_en", "description", "description_en", "objectives"]
        read_only_fields = fields
        extra_kwargs = {"program": {"help_text": "Empty for services of partner institutions (¡Actuemos Ya!)."}}


class ServiceFilter(django_filters.FilterSet):
    objective = django_filters.ModelChoiceFilter(field_name="objectives", queryset=Objective.objects.all())
    program = django_filters.ModelChoiceFilter(queryset=Program.objects.all())

    class Meta:
        model = Service
        fields = ["objective", "program"]


@extend_schema_view(list=extend_schema(summary="List the services"), retrieve=extend_schema(summary="Show a service"))
class ServiceViewSet(ReferenceViewSet):
    queryset = Service.objects.select_related("program").prefetch_related("objectives")
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    search_fields = ["name", "name_en"]
    ordering_fields = ["name", "slug"]


# Indicators -----------------------------------------------------------------
class IndicatorSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "objective", "code", "name", "name_en", "unit", "unit_en", "computation", "order"]


@extend_schema_view(
    list=extend_schema(summary="List the indicators"),
    retrieve=extend_schema(summary="Show an indicator"),
    create=extend_schema(summary="Add an indicator (ministry staff)"),
    update=extend_schema(summary="Replace an indicator (ministry staff)"),
    partial_update=extend_schema(summary="Change an indicator (ministry staff)"),
    destroy=extend_schema(summary="Delete an indicator and its targets (ministry staff)"),
)
class IndicatorViewSet(ContentViewSet):
    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    filterset_fields = ["objective", "computation"]
    search_fields = ["code", "name", "name_en"]
    ordering_fields = ["order", "code", "name"]


# Targets --------------------------------------------------------------------
DUPLICATE_TARGET = _("This indicator already has a target for this region and period.")
BEFORE_THE_CAMPAIGN = _("The campaign began in 2024: give a year from 2024 on.")


class TargetSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "indicator", "region", "year", "quarter", "value"]
        # The explicit validator (for its message) turns off DRF's reading of the constraint,
        # which would have given quarter its model default: say it here.
        extra_kwargs = {
            "quarter": {"default": Target.WHOLE_YEAR, "help_text": "0 for the whole year, 1 to 4 for a quarter."},
            # Target.clean()'s rule (DRF does not call it), as bounds the schema states.
            "year": {
                "min_value": 2024,
                "max_value": 2100,
                "error_messages": {"min_value": BEFORE_THE_CAMPAIGN, "max_value": BEFORE_THE_CAMPAIGN},
            },
        }
        validators = [
            UniqueTogetherValidator(
                queryset=Target.objects.all(),
                fields=["indicator", "region", "year", "quarter"],
                message=DUPLICATE_TARGET,
            )
        ]


@extend_schema_field({"type": "integer"})
class WholeNumberFilter(django_filters.NumberFilter):
    # NumberFilter's decimal field would take "2025.5" and match 2025.
    field_class = forms.IntegerField


class TargetFilter(django_filters.FilterSet):
    indicator = django_filters.ModelChoiceFilter(queryset=Indicator.objects.all())
    region = RegionFilter()
    year = WholeNumberFilter()

    class Meta:
        model = Target
        fields = ["indicator", "region", "year", "quarter"]


@extend_schema_view(
    list=extend_schema(summary="List the targets"),
    retrieve=extend_schema(summary="Show a target"),
    create=extend_schema(summary="Set a target (ministry staff)"),
    update=extend_schema(summary="Replace a target (ministry staff)"),
    partial_update=extend_schema(summary="Change a target (ministry staff)"),
    destroy=extend_schema(summary="Delete a target (ministry staff)"),
)
class TargetViewSet(ContentViewSet):
    queryset = Target.objects.all()
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    ordering_fields = ["year", "quarter", "value"]

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        # The validator reads before this writes: two staff setting the same cell at once
        # pass it both, and the database's unique constraint refuses the second.
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError:
            raise serializers.ValidationError({"non_field_errors": [DUPLICATE_TARGET]}, code="unique") from None


def register(router):
    router.register("objectives", ObjectiveViewSet, basename="objective")
    router.register("programs", ProgramViewSet, basename="program")
    router.register("services", ServiceViewSet, basename="service")
    router.register("indicators", IndicatorViewSet, basename="indicator")
    router.register("targets", TargetViewSet, basename="target")
