"""Writes to the campaign's reference content that touch many rows at once."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.utils.translation import gettext as _

from regions import access

from .models import Target

# Above Peru's population (about 34 million): a bigger target is a typing error, and it would
# also overflow the database's integer column before it reached any page.
MAX_TARGET = 40_000_000


def targets_save(*, year, quarter, values, by):
    """Set the targets of one period from a grid: `values` maps (region_id, indicator_id) to a
    whole number, or to None for no target (the cell's target is deleted).

    Cells not in `values` are left alone, so a grid narrowed to one objective never touches the
    others. All or nothing, in one transaction, and the same few queries whatever the size of
    the grid: one read, one upsert, and a delete (which reads the rows it deletes first, to
    send their post_delete). Returns {"created", "updated", "deleted"}.
    """
    if not access.can_edit_content(by):
        raise PermissionDenied
    _validate(year, quarter, values)
    with transaction.atomic():
        stored = _stored(year, quarter, values)
        changed = {
            cell: value
            for cell, value in values.items()
            if value is not None and stored.get(cell, (None, None))[1] != value
        }
        cleared = [pk for cell, (pk, _value) in stored.items() if values[cell] is None]
        if changed:
            saved = [
                Target(region_id=region, indicator_id=indicator, year=year, quarter=quarter, value=value)
                for (region, indicator), value in changed.items()
            ]
            # An upsert: a colleague who saved the same period a moment ago created the row this read did
            # not see; updating it beats failing on the one-target-per-cell constraint.
            Target.objects.bulk_create(
                saved,
                update_conflicts=True,
                unique_fields=["indicator", "region", "year", "quarter"],
                update_fields=["value"],
            )
            _tell_receivers(saved, stored)
        if cleared:
            Target.objects.filter(pk__in=cleared).delete()
    created = sum(1 for cell in changed if cell not in stored)
    return {"created": created, "updated": len(changed) - created, "deleted": len(cleared)}


def _validate(year, quarter, values):
    if not 2024 <= year <= 2100 or not 0 <= quarter <= 4:
        raise ValidationError(_("Choose a year from 2024 on and a quarter from 0 (the whole year) to 4."))
    for value in values.values():
        if value is not None and not _whole_number(value):
            raise ValidationError(_("Every target must be a whole number from 0 to %(max)s.") % {"max": MAX_TARGET})


def _stored(year, quarter, values):
    """{(region_id, indicator_id): (target id, value)} of the period's targets in the grid's cells."""
    regions = {region for region, _indicator in values}
    indicators = {indicator for _region, indicator in values}
    rows = Target.objects.filter(
        year=year, quarter=quarter, region_id__in=regions, indicator_id__in=indicators
    ).values_list("region_id", "indicator_id", "pk", "value")
    return {(region, indicator): (pk, value) for region, indicator, pk, value in rows if (region, indicator) in values}


def _whole_number(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TARGET


def _tell_receivers(saved, stored):
    # bulk_create sends no post_save, and the public pages' cache (campaign.signals) is refreshed
    # by it: each saved target is announced as save() would. The receivers run no query.
    for target in saved:
        created = (target.region_id, target.indicator_id) not in stored
        post_save.send(
            sender=Target, instance=target, created=created, update_fields=None, raw=False, using=Target.objects.db
        )
