import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .models import Objective, Target
from .services import MAX_TARGET

FIRST_YEAR, LAST_YEAR = 2024, 2100
# Digits only: "1.000" is a thousand to a Spanish reader and 1 to Python, so neither guess is made.
WHOLE_NUMBER = re.compile(r"^[0-9]+$")


def current_year():
    return min(max(timezone.localdate().year, FIRST_YEAR), LAST_YEAR)


class TargetPeriodForm(forms.Form):
    """Which period (and which objective's indicators) the grid shows; read from the query string."""

    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    quarter = forms.TypedChoiceField(
        label=_("Period"),
        choices=Target._meta.get_field("quarter").choices,
        coerce=int,
        empty_value=Target.WHOLE_YEAR,
        required=False,
    )
    objective = forms.ModelChoiceField(
        label=_("Objective"), queryset=Objective.objects.all(), required=False, empty_label=_("All objectives")
    )

    def __init__(self, data=None, **kwargs):
        # An address without a period (the link from the panel) shows the current year.
        if not data or not any(key in data for key in self.base_fields):
            data = {"year": current_year(), "quarter": Target.WHOLE_YEAR}
        super().__init__(data, **kwargs)
        self.fields["year"].widget.attrs.update({"inputmode": "numeric"})


class TargetField(forms.CharField):
    """A grid cell: empty for no target, or a whole number from 0 to MAX_TARGET."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8, "class": "cell"})

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value).replace(" ", "")
        if value == "":
            return None
        if value.startswith("-") and WHOLE_NUMBER.match(value[1:]):
            raise ValidationError(_("A target cannot be negative."), code="negative")
        if not WHOLE_NUMBER.match(value):
            raise ValidationError(
                _("Enter a whole number, with no points or commas (for example 1500)."), code="invalid"
            )
        # Compared as text first: int() of thousands of digits is refused, or slow.
        if len(value) > len(str(MAX_TARGET)) or int(value) > MAX_TARGET:
            raise ValidationError(
                _("At most %(max)s: a bigger target is more than the population of Peru."),
                code="too_big",
                params={"max": number_format(MAX_TARGET, force_grouping=True)},
            )
        return int(value)


class TargetGridForm(forms.Form):
    """One field per region × indicator, named after the cell, for one period."""

    def __init__(self, data=None, *, regions, indicators, targets):
        super().__init__(data)
        self.cells = {}
        for region in regions:
            for indicator in indicators:
                name = f"cell-{region.pk}-{indicator.pk}"
                label = _("%(indicator)s – %(region)s") % {
                    "indicator": indicator.localized("name"),
                    "region": region.name,
                }
                self.fields[name] = TargetField(label=label, initial=targets.get((region.pk, indicator.pk)))
                self.cells[name] = (region.pk, indicator.pk)

    def values(self):
        """{(region_id, indicator_id): number or None}, for programs.services.targets_save."""
        return {cell: self.cleaned_data[name] for name, cell in self.cells.items()}

    def rows(self, regions):
        """[(region, [bound field, ...]), ...] in the order of the table's columns."""
        fields = iter(self)
        width = len(self.fields) // len(regions) if regions else 0
        return [(region, [next(fields) for _column in range(width)]) for region in regions]
