"""What the activity form shows beside its fields: the participants' running total and the map's region."""

from django import template

from activities.models import PARTICIPANT_FIELDS

register = template.Library()


def _count(value):
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


@register.simple_tag
def participants_total(form):
    """The total of the six counts as the form holds them, so the page shows it even without script."""
    return sum(_count(form[name].value()) for name in PARTICIPANT_FIELDS)


@register.simple_tag
def point_map_data(form):
    """Where the point picker opens: every region the person may choose (centroid), and the boundary of the
    region the form holds, so that the map is useful with no tiles at all."""
    regions = form.fields["region"].queryset.defer("boundary")
    chosen = form["region"].value()
    data = {
        "regions": {str(region.pk): [float(region.latitude), float(region.longitude)] for region in regions},
        "region": str(chosen) if chosen not in (None, "") else "",
        "boundary": None,
    }
    if data["region"] in data["regions"]:
        data["boundary"] = regions.model.objects.filter(pk=data["region"]).values_list("boundary", flat=True).first()
    return data
