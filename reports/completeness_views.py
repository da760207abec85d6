"""The completeness page (/<lang>/panel/dashboard/completeness/) and its CSV and XLSX exports.

Staff only: the page compares every region with the others, which is the ministry's view; a
coordinator is refused (403), as on the review queue. The figures are live (reports.completeness).
"""

import datetime
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from regions import access

from . import completeness

TEMPLATE = "reports/completeness.html"
FIRST_YEAR, LAST_YEAR = 2024, 2100
MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MonthField(forms.CharField):
    """A month as YYYY-MM (what `<input type="month">` sends), cleaned to its first day."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a month as YYYY-MM, for example 2026-03."),
        "range": gettext_lazy("Give a month from %(first)s-01 to %(last)s-12."),
    }

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)
        self.widget = forms.TextInput(
            attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": "[0-9]{4}-[0-9]{2}", "maxlength": 7}
        )

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        found = MONTH.match(value)
        if not found or not 1 <= int(found[2]) <= 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month = int(found[1]), int(found[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise forms.ValidationError(
                self.error_messages["range"], code="range", params={"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return datetime.date(year, month, 1)


class CompletenessFilters(forms.Form):
    """From and to (months, both included; default: the last six months) and a region."""

    region = forms.TypedChoiceField(label=gettext_lazy("Region"), coerce=int, empty_value=None, required=False)

    def __init__(self, data, *, regions):
        super().__init__(data)
        # "from" is a Python keyword; the fields are named as the query string says them.
        self.fields = {
            "from": MonthField(label=gettext_lazy("From (month)")),
            "to": MonthField(label=gettext_lazy("To (month)")),
            "region": self.fields["region"],
        }
        self.fields["region"].choices = [("", _("All regions")), *((r.pk, r.name) for r in regions)]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        first, last = completeness.default_range()
        if data.get("to"):
            last = data["to"]
            first = data.get("from") or completeness.add_months(last, 1 - completeness.DEFAULT_MONTHS)
        elif data.get("from"):
            first = data["from"]
            last = max(first, completeness.month_start(timezone.localdate()))
            last = min(last, completeness.add_months(first, completeness.MAX_MONTHS - 1))
        if first > last:
            raise forms.ValidationError({"to": _("Give a month on or after the first month.")})
        if len(completeness.months_between(first, last)) > completeness.MAX_MONTHS:
            raise forms.ValidationError(
                {"to": _("Show at most %(count)s months at a time.") % {"count": completeness.MAX_MONTHS}}
            )
        data["first"], data["last"] = first, last
        return data


def _table_or_errors(request):
    """(form, table): table is None when the filters are refused. Staff only."""
    if not access.is_national(request.user):
        raise PermissionDenied
    regions = list(access.readable_regions(request.user).order_by("name"))
    form = CompletenessFilters(request.GET, regions=regions)
    if not form.is_valid():
        return form, None
    region = form.cleaned_data["region"]
    table = completeness.completeness(
        first=form.cleaned_data["first"], last=form.cleaned_data["last"], regions=None if region is None else [region]
    )
    return form, table


@login_required
@require_GET
@never_cache
def completeness_page(request):
    form, table = _table_or_errors(request)
    context = {
        "form": form,
        "table": table,
        "rules": [completeness.LOGGED_RULE, completeness.EXPECTATION_RULE, completeness.TIMING_RULE],
        "generated_at": timezone.localtime(),
        "query": request.GET.urlencode(),
    }
    return render(request, TEMPLATE, context, status=200 if table else 400)


def _export(request, extension, content_type, write):
    form, table = _table_or_errors(request)
    if table is None:
        labels = {name: field.label for name, field in form.fields.items()}
        messages = [f"{labels.get(name, '')}: {' '.join(errors)}".lstrip(": ") for name, errors in form.errors.items()]
        return HttpResponse("\n".join(messages), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(write(table), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{completeness.export_filename(table, extension)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
@never_cache
def completeness_csv(request):
    return _export(request, "csv", "text/csv; charset=utf-8", completeness.write_csv)


@login_required
@require_GET
@never_cache
def completeness_xlsx(request):
    return _export(request, "xlsx", XLSX_TYPE, completeness.write_xlsx)
