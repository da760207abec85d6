"""Find the nearest Centro Emergencia Mujer y Familia: a region chosen in a plain GET form (no script,
no location asked of the visitor), then that region's active centres with their address, hours and a
call link. Línea 100 stays above it all: whoever does not know where to go calls 100 and is referred.

Cached whole like every public page; campaign.signals bumps the cache when staff edit a centre.
"""

from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from publication.cache import public_page
from regions.models import Region

from .models import EmergencyCentre
from .views import page


class RegionChoiceForm(forms.Form):
    """?region=<slug>: readable, so that a region's list of centres is a link one can pass on."""

    region = forms.ModelChoiceField(
        Region.objects.defer("boundary"), to_field_name="slug", required=False, label=gettext_lazy("Your region"),
        empty_label=gettext_lazy("Choose a region"),
    )  # fmt: skip


@require_safe
@public_page
def emergency_centres(request):
    form = RegionChoiceForm(request.GET or None)
    valid = form.is_valid()
    region = form.cleaned_data["region"] if valid else None
    if region:
        return _region_page(request, form, region)
    # An address that names no region (a typo, a region renamed since the link was shared) is a 404,
    # so that crawlers drop it and the page cache keeps no copy of made-up values; the visitor still
    # gets the whole page: Línea 100, the choice of region and every region's count.
    unknown = form.is_bound and not valid
    response = page(
        request,
        "campaign/emergency_centres.html",
        _("Find the nearest CEM"),
        _("The Centros Emergencia Mujer y Familia by region, with their address, hours and phone."),
        form=form,
        unknown_region=unknown,
        regions=_regions_with_counts(),
    )
    if unknown:
        response.status_code = 404
    return response


def _region_page(request, form, region):
    return page(
        request,
        "campaign/emergency_centres.html",
        _("CEMs in %(region)s") % {"region": region.name},
        _("The Centros Emergencia Mujer y Familia of %(region)s, with their address, hours and phone.")
        % {"region": region.name},
        form=form,
        region=region,
        centres=EmergencyCentre.objects.active().in_region(region),
    )


def _regions_with_counts():
    active = Count("emergency_centres", filter=Q(emergency_centres__active=True))
    return Region.objects.defer("boundary").annotate(centre_count=active).order_by("name")
