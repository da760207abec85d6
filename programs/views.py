"""The targets grid: staff set every region's target for every indicator of a period on one page.

A fixed number of queries whatever the number of regions and indicators: the regions, the
indicators, the period's targets, the objectives of the filter, and on saving the three of
programs.services.targets_save.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from regions import access
from regions.models import Region

from . import services
from .forms import TargetGridForm, TargetPeriodForm
from .models import Indicator, Target


@login_required
@require_http_methods(["GET", "POST"])
def targets_grid(request):
    if not access.can_edit_content(request.user):
        raise PermissionDenied
    period = TargetPeriodForm(request.GET)
    if not period.is_valid():
        return render(request, "programs/targets.html", {"period": period}, status=400)
    year, quarter, objective = (period.cleaned_data[k] for k in ("year", "quarter", "objective"))
    regions = list(Region.objects.order_by("name").only("pk", "name"))
    indicators = _indicators(objective)
    grid = TargetGridForm(
        request.POST if request.method == "POST" else None,
        regions=regions,
        indicators=indicators,
        targets=_targets(year, quarter, regions, indicators),
    )
    if request.method == "POST" and grid.is_valid():
        counts = services.targets_save(year=year, quarter=quarter, values=grid.values(), by=request.user)
        messages.success(request, _saved_message(counts))
        # Back to the same period, by GET, so reloading the page does not post the grid again.
        return redirect(request.get_full_path())
    context = {
        "period": period,
        "period_label": _period_label(year, quarter),
        "grid": grid,
        "groups": _groups(indicators),
        "rows": grid.rows(regions),
    }
    return render(request, "programs/targets.html", context, status=400 if grid.errors else 200)


def _indicators(objective):
    indicators = Indicator.objects.select_related("objective").order_by("objective__order", "order", "code")
    if objective is not None:
        indicators = indicators.filter(objective=objective)
    return list(indicators)


def _targets(year, quarter, regions, indicators):
    rows = Target.objects.filter(
        year=year, quarter=quarter, indicator__in=[i.pk for i in indicators], region__in=[r.pk for r in regions]
    ).values_list("region_id", "indicator_id", "value")
    return {(region, indicator): value for region, indicator, value in rows}


def _groups(indicators):
    """[(objective, [indicator, ...]), ...]: the table's first header row spans each objective's columns."""
    groups = []
    for indicator in indicators:
        if not groups or groups[-1][0] != indicator.objective:
            groups.append((indicator.objective, []))
        groups[-1][1].append(indicator)
    return groups


def _period_label(year, quarter):
    if quarter == Target.WHOLE_YEAR:
        return str(year)
    return _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}


def _saved_message(counts):
    if not any(counts.values()):
        return _("Nothing changed: the targets were already these.")
    return _("Targets saved: %(created)s new, %(updated)s changed, %(deleted)s removed.") % counts
