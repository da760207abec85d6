import django_filters
from django.utils.translation import gettext_lazy as _

from programs.models import Objective, Service
from regions import access

from .models import Activity


class ActivityFilter(django_filters.FilterSet):
    """The filters of the panel's lists and the review queue (and, later, the API)."""

    region = django_filters.ModelChoiceFilter(queryset=None, label=_("Region"))
    objective = django_filters.ModelChoiceFilter(queryset=Objective.objects.all(), label=_("Objective"))
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.select_related("program"), label=_("Service"))
    status = django_filters.ChoiceFilter(choices=Activity.Status.choices, label=_("Status"))
    start_date_from = django_filters.DateFilter(
        field_name="start_date",
        lookup_expr="gte",
        label=_("From"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    start_date_to = django_filters.DateFilter(
        field_name="start_date",
        lookup_expr="lte",
        label=_("To"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Activity
        fields = ["region", "objective", "service", "status", "start_date_from", "start_date_to"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the regions the person may read are offered (and accepted).
        self.filters["region"].queryset = access.readable_regions(user)
