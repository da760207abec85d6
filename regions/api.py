"""The campaign's regions, read-only. Boundaries are heavy: the list says only whether a
region has one, and the GeoJSON endpoint (publication.api) serves the shapes."""

import django_filters
from django import forms
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from .models import Region


class RegionField(forms.Field):
    """A region named by its id or by its slug; one that does not exist is refused, not ignored."""

    default_error_messages = {"invalid_choice": _("No region has this id or slug.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value)
        lookup = {"pk": value} if value.isascii() and value.isdigit() else {"slug": value}
        try:
            return Region.objects.get(**lookup)
        except Region.DoesNotExist:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


# A dict, not OpenApiTypes.STR: drf-spectacular keeps the description only from a raw schema.
@extend_schema_field({"type": "string", "description": "A region's id or slug: `13` or `puno`."})
class RegionFilter(django_filters.Filter):
    """`?region=13` or `?region=puno`, for every resource that belongs to a region."""

    field_class = RegionField


class TrueOrFalseField(forms.Field):
    """`true` or `false` (or 1, 0); anything else is refused, where django-filter would ignore it."""

    default_error_messages = {"invalid": _("Give true or false.")}
    values = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.values[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


@extend_schema_field({"type": "boolean"})
class TrueOrFalseFilter(django_filters.Filter):
    field_class = TrueOrFalseField


class RegionSerializer(serializers.ModelSerializer):
    has_boundary = serializers.BooleanField(
        read_only=True, help_text="Whether /api/v1/regions/geojson/ has the region's shape."
    )

    class Meta:
        model = Region
        fields = [
            "id",
            "name",
            "slug",
            "inei_code",
            "capital",
            "latitude",
            "longitude",
            "in_campaign",
            "launched_on",
            "has_boundary",
        ]
        read_only_fields = fields


class RegionListFilter(django_filters.FilterSet):
    in_campaign = TrueOrFalseFilter()

    class Meta:
        model = Region
        fields = ["in_campaign"]


# An empty object counts as no boundary, as in Region.contains(): the admin stores a typed "{}" as is.
HAS_BOUNDARY = Case(
    When(Q(boundary__isnull=True) | Q(boundary={}), then=Value(False)),
    default=Value(True),
    output_field=BooleanField(),
)


@extend_schema_view(
    list=extend_schema(summary="List the regions"),
    retrieve=extend_schema(summary="Show a region"),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    # The boundary stays in the database: a department's shape can weigh megabytes.
    queryset = Region.objects.defer("boundary").annotate(has_boundary=HAS_BOUNDARY)
    serializer_class = RegionSerializer
    lookup_field = "slug"
    filterset_class = RegionListFilter
    search_fields = ["name", "capital", "inei_code"]
    ordering_fields = ["name", "inei_code", "launched_on"]


def register(router):
    router.register("regions", RegionViewSet, basename="region")
