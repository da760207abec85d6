"""Writes that touch an activity and what hangs from it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from .models import Activity


class EditConflict(ValidationError):
    """Someone else saved the activity since this edit began."""


@transaction.atomic
def activity_save(*, activity, expected_version, institutions=None):
    """Save an edited activity unless another save came first.

    The compare-and-increment on `version` is one UPDATE, so of two people who
    loaded version 3, exactly one saves version 4 and the other is told.
    """
    activity.full_clean()
    if institutions is not None:
        activity.validate_institutions(institutions)
    bumped = Activity.objects.filter(pk=activity.pk, version=expected_version).update(version=F("version") + 1)
    if not bumped:
        raise EditConflict(
            _("Someone else saved this activity while you were editing it. Your changes were not saved: reload it, then apply them again."),
            code="edit_conflict",
        )
    activity.version = expected_version + 1
    activity.save()
    if institutions is not None:
        activity.institutions.set(institutions)
    return activity


@transaction.atomic
def activity_create(*, data, region, created_by, institutions=()):
    activity = Activity(region=region, created_by=created_by, **data)
    activity.full_clean()
    activity.validate_institutions(institutions)
    activity.save()
    activity.institutions.set(institutions)
    return activity
