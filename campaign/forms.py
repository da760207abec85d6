from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from programs.models import Objective, Service
from regions.models import Region


class ObjectiveChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code}: {Truncator(obj.localized('title')).chars(60)}"


class ServiceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class ActivityFilterForm(forms.Form):
    """The map's, the list's and the open data's filters: GET parameters with readable values
    (a region's slug, an objective's code, a service's slug), so a filtered map is a link."""

    region = forms.ModelChoiceField(
        Region.objects.defer("boundary"), to_field_name="slug", required=False, label=_("Region"),
        empty_label=_("All regions"),
    )  # fmt: skip
    objective = ObjectiveChoice(
        Objective.objects.all(), to_field_name="code", required=False, label=_("Objective"),
        empty_label=_("All objectives"),
    )  # fmt: skip
    service = ServiceChoice(
        Service.objects.select_related("program"), to_field_name="slug", required=False, label=_("Service"),
        empty_label=_("All services"),
    )  # fmt: skip

    def filters(self):
        """The valid filters as keyword arguments for campaign.selectors; an unknown value filters nothing."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in ("region", "objective", "service") if data.get(name)}
