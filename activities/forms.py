from django import forms
from django.utils.translation import gettext_lazy as _

from programs.models import Objective, Service
from regions import access
from regions.models import Region

from .models import FIRST_ACTIVITY_DATE, Activity, Institution, SupportNetwork, last_activity_date


class ServiceSelect(forms.Select):
    """Each option names the objectives it serves, so the page can narrow the list without a request."""

    def __init__(self, *args, objectives_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives_of = objectives_of or {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        key = getattr(value, "value", value)
        if key:
            option["attrs"]["data-objectives"] = " ".join(str(pk) for pk in self.objectives_of.get(key, ()))
        return option


def objectives_by_service():
    links = Objective.services.through.objects.values_list("service_id", "objective_id")
    result = {}
    for service_id, objective_id in links:
        result.setdefault(service_id, []).append(objective_id)
    return result


class ActivityForm(forms.ModelForm):
    # The version the person started editing; a newer one in the database means a conflict.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Activity
        fields = [
            "region", "objective", "service", "title", "description", "start_date", "end_date", "modality",
            "place_name", "district", "latitude", "longitude", "girls", "boys", "adolescent_girls",
            "adolescent_boys", "women", "men", "families", "institutions", "support_network",
        ]  # fmt: skip
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
            "latitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "longitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "institutions": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = self._author_regions(user)
        self.fields["region"].queryset = regions
        if len(regions) == 1 and not self.instance.pk:
            self.fields["region"].initial = regions.first()
        objective = self.fields["objective"]
        objective.empty_label = _("Choose an objective")
        # "OE1" alone means nothing to a new coordinator: the option says what the objective is.
        objective.label_from_instance = lambda found: found.display_name
        service = self.fields["service"]
        service.queryset = Service.objects.select_related("program")
        service.widget = ServiceSelect(objectives_of=objectives_by_service())
        service.widget.choices = service.choices
        service.empty_label = _("Choose a service")
        # Partners of the coordinator's own regions only; the model checks they match the activity's region.
        self.fields["institutions"].queryset = Institution.objects.filter(region__in=regions).order_by("name")
        self.fields["support_network"].queryset = SupportNetwork.objects.filter(region__in=regions)
        for name in ("girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men", "families"):
            self.fields[name].widget.attrs.update({"min": 0, "inputmode": "numeric"})
        # The phone's date picker offers the dates the model accepts (Activity.clean says why).
        for name in ("start_date", "end_date"):
            self.fields[name].widget.attrs.update(
                {"min": FIRST_ACTIVITY_DATE.isoformat(), "max": last_activity_date().isoformat()}
            )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    @staticmethod
    def _author_regions(user):
        if access.is_admin(user):
            return Region.objects.all()
        return Region.objects.filter(pk__in=access.member_region_ids(user))

    def clean(self):
        cleaned = super().clean()
        region, institutions = cleaned.get("region"), cleaned.get("institutions")
        if region and institutions:
            self.instance.region = region
            try:
                self.instance.validate_institutions(institutions)
            except forms.ValidationError as exc:
                self.add_error("institutions", exc.error_dict["institutions"])
        return cleaned


class ReviewForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("return", _("Return for changes")), ("reopen", _("Reopen"))]
    )
    comment = forms.CharField(
        label=_("Comment for the coordinator"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you return or reopen an activity: say what must change."),
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Photo or PDF"),
        help_text=_("JPEG, PNG, WebP or PDF, at most 10 MB. Never a photo in which a child can be recognised."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)
