"""The partners a region works with: institutions and support networks. Everyone reads them;
those who edit content (regions.access.can_edit_content) write them."""

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets
from rest_framework.filters import SearchFilter
from rest_framework.validators import UniqueTogetherValidator

from prevent_protect.rest import ANY_ID, Refused, RefuseUnknownFields, WhitelistOrdering
from programs.api import ContentEditors
from regions.api import RegionFilter

from ..models import MAX_COUNT, Institution, SupportNetwork


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
        # The model's check constraint; the schema says it too.
        extra_kwargs = {"leaders": {"max_value": MAX_COUNT}}


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
