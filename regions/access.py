"""Who may see and do what: the one rule every view, API endpoint, admin page,
export and report calls. Nothing else re-derives it.

Ministry staff and administrators are national: they read every region.
A coordinator reads and reports for the regions of their memberships only.
Anonymous visitors read public, approved figures only, which is not decided
here but by the public selectors' `approved()` filter.
"""

from .models import Region


def _active(user):
    return user is not None and user.is_authenticated and user.is_active


def is_national(user):
    return _active(user) and user.is_national


def is_admin(user):
    return _active(user) and user.is_portal_admin


def member_region_ids(user):
    """Ids of the regions the user is a member of, cached on the user object."""
    if not _active(user):
        return frozenset()
    if not hasattr(user, "_member_region_ids"):
        user._member_region_ids = frozenset(user.memberships.values_list("region_id", flat=True))
    return user._member_region_ids


def readable_regions(user):
    if is_national(user):
        return Region.objects.all()
    return Region.objects.filter(pk__in=member_region_ids(user))


def can_read_region(user, region):
    return is_national(user) or _region_id(region) in member_region_ids(user)


def can_author_in_region(user, region):
    """Logging activities is the coordinators' work; administrators may step in."""
    return is_admin(user) or _region_id(region) in member_region_ids(user)


def can_view_activity(user, activity):
    return can_read_region(user, activity.region_id)


def can_edit_activity(user, activity):
    return activity.is_open_for_editing and can_author_in_region(user, activity.region_id)


def can_review_activity(user, activity):
    return is_national(user)


def can_view_evidence(user, evidence):
    return can_view_activity(user, evidence.activity)


def can_add_evidence(user, activity):
    return can_edit_activity(user, activity)


def can_request_report(user, region=None):
    """A report for one region, or national (region None), which only staff may request."""
    if region is None:
        return is_national(user)
    return can_read_region(user, region)


def can_edit_content(user):
    """Targets, indicators, reference data and news are the ministry's."""
    return is_national(user)


def can_manage_users(user):
    return is_admin(user)


def _region_id(region):
    return region.pk if isinstance(region, Region) else region
