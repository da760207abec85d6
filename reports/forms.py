"""The request form of the panel's Reports page.

The form refuses what the service would refuse (a pair of kind and format that does not exist,
a region the person may not read, a national report asked by a coordinator), so that a
refusal is a message beside the field rather than an error page. The service checks again.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import Activity
from programs.models import Objective, Service
from regions import access

from .models import Report

FIRST_YEAR = 2024  # the campaign began in 2024; no activity or target is older
PROGRESS_KINDS = (Report.Kind.REGIONAL_PROGRESS, Report.Kind.NATIONAL_SUMMARY)
ACTIVITY_FILTERS = ("objective", "service", "status", "date_from", "date_to")


def report_parameters(kind, data):
    """A report's parameters from cleaned values, as services.report_request takes them: ids and
    ISO dates. A progress report covers a period (date_from, date_to): the dates given, or else
    the year given, or else the current year."""
    names = ACTIVITY_FILTERS if kind not in PROGRESS_KINDS else ("objective", "service", "date_from", "date_to")
    parameters = {}
    for name in names:
        value = data.get(name)
        if value in (None, ""):
            continue
        parameters[name] = value.isoformat() if hasattr(value, "isoformat") else getattr(value, "pk", value)
    if kind in PROGRESS_KINDS and not ("date_from" in parameters or "date_to" in parameters):
        year = data.get("year") or timezone.localdate().year
        parameters.update(date_from=f"{year}-01-01", date_to=f"{year}-12-31")
    return parameters


def pair_error(kind, format):
    """Why this kind cannot be had in this format, or None."""
    offered = Report.FORMATS.get(kind, ())
    if format in offered:
        return None
    names = ", ".join(Report.Format(f).label for f in offered)
    return _("%(kind)s is offered as %(formats)s only.") % {"kind": Report.Kind(kind).label, "formats": names}


def region_error(user, kind, region):
    """Why this person cannot ask for this kind of report over this region (None: national), or None."""
    if kind == Report.Kind.NATIONAL_SUMMARY:
        if not access.is_national(user):
            return _("Only ministry staff may request the national summary.")
        if region is not None:
            return _("The national summary covers every region: leave the region empty.")
        return None
    if region is None:
        if kind == Report.Kind.REGIONAL_PROGRESS:
            return _("Choose the region of the report.")
        if not access.is_national(user):
            return _("Choose one of your regions.")
    return None


class KindSelect(forms.Select):
    """Each kind names its formats, so the page can offer only those (reports.js); the form checks."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in Report.FORMATS:
            option["attrs"]["data-formats"] = " ".join(Report.FORMATS[value])
        return option


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=Report.Kind.choices, widget=KindSelect)
    format = forms.ChoiceField(label=_("Format"), choices=Report.Format.choices)
    region = forms.ModelChoiceField(label=_("Region"), queryset=None, required=False)
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        help_text=_("For progress reports and the national summary; the current year when empty."),
    )
    objective = forms.ModelChoiceField(label=_("Objective"), queryset=Objective.objects.all(), required=False)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.select_related("program"), required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", "---------"), *Activity.Status.choices], required=False)
    date_from = forms.DateField(
        label=_("Started on or after"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Started on or before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        this_year = timezone.localdate().year
        year = self.fields["year"]
        year.widget.attrs.update({"min": FIRST_YEAR, "max": this_year + 1, "inputmode": "numeric"})
        year.initial = this_year
        region = self.fields["region"]
        region.queryset = access.readable_regions(user).order_by("name")
        if access.is_national(user):
            region.empty_label = _("National (all regions)")
            region.help_text = _("Leave empty for a national report.")
        else:
            region.required = True
            region.empty_label = _("Choose a region")
            regions = list(region.queryset[:2])
            if len(regions) == 1:
                region.initial = regions[0].pk
        self.fields["objective"].label_from_instance = lambda o: f"{o.code} · {o.localized('title')[:60]}"

    def clean_year(self):
        year = self.cleaned_data.get("year")
        this_year = timezone.localdate().year
        if year is not None and not FIRST_YEAR <= year <= this_year + 1:
            raise forms.ValidationError(
                _("Give a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": this_year + 1}
            )
        return year

    def clean(self):
        data = super().clean()
        kind, format = data.get("kind"), data.get("format")
        if kind and format and (message := pair_error(kind, format)):
            self.add_error("format", message)
        if kind and "region" not in self.errors and (message := region_error(self.user, kind, data.get("region"))):
            self.add_error("region", message)
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("Give a date on or after the first one."))
        return data

    def request_arguments(self):
        """The keyword arguments of services.report_request, less the user and language."""
        data = self.cleaned_data
        if data["kind"] in PROGRESS_KINDS:
            # On this page a progress report is asked for by year; the activity filters are the export's.
            data = {"year": data.get("year")}
        return {
            "kind": self.cleaned_data["kind"],
            "format": self.cleaned_data["format"],
            "region": self.cleaned_data.get("region"),
            "parameters": report_parameters(self.cleaned_data["kind"], data),
        }
