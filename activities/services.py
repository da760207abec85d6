"""Writes that touch an activity and what hangs from it."""

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from regions import access

from .models import ACTION_PAST, STALE_MESSAGE, Activity, EditConflict

__all__ = ["EditConflict", "activity_create", "activity_save", "activity_transition"]
User = get_user_model()


@transaction.atomic
def activity_save(*, activity, expected_version, institutions=None):
    """Save an edited activity unless another save came first.

    The compare-and-increment on `version` is one UPDATE, so of two people who
    loaded version 3, exactly one saves version 4 and the other is told.
    """
    if not activity.is_open_for_editing:
        # Submitted is with the reviewer; approved is locked until staff reopen it.
        status = activity.get_status_display().lower()
        raise ValidationError(
            _("This activity cannot be edited now: it is %(status)s.") % {"status": status}, code="locked"
        )
    activity.full_clean()
    if institutions is not None:
        activity.validate_institutions(institutions)
    bumped = Activity.objects.filter(pk=activity.pk, version=expected_version).update(version=F("version") + 1)
    if not bumped:
        raise EditConflict(STALE_MESSAGE, code="edit_conflict")
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


REVIEW_ACTIONS = ("approve", "return", "reopen")


@transaction.atomic
def activity_transition(*, activity, action, by, comment=""):
    """Move an activity through the review workflow, if `by` may, and tell the coordinators.

    `Activity.transition` locks the row and refuses a stale copy, so two reviewers
    clicking at once get one transition and one clear refusal.
    """
    if action in REVIEW_ACTIONS:
        allowed = access.can_review_activity(by, activity)
    else:
        allowed = access.can_edit_activity(by, activity)
    if not allowed:
        raise PermissionDenied
    step = activity.transition(action, by=by, comment=comment)
    log_transition(activity=activity, action=action, by=by, comment=step.comment)
    if action in REVIEW_ACTIONS:
        transaction.on_commit(lambda: notify_coordinators(activity, step, action))
    return step


def log_transition(*, activity, action, by, comment):
    """Record the step in the admin's log as well, so that staff, who start their day in the admin,
    see reviews done in the panel or through the API among its recent actions."""
    # The log stores text, not a message id: it is written in the portal's language.
    with translation.override(settings.LANGUAGE_CODE):
        message = _("Activity %(action)s.") % {"action": ACTION_PAST[action]}
        if comment:
            message = _("%(message)s Comment: %(comment)s") % {"message": message, "comment": comment}
    LogEntry.objects.log_actions(by.pk, [activity], CHANGE, change_message=message, single_object=True)


def notify_coordinators(activity, step, action):
    recipients = list(
        User.objects.filter(memberships__region=activity.region_id, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"activity": activity, "step": step, "url": settings.SITE_URL + activity.get_absolute_url()}
        subject = _("Your activity “%(title)s” was %(action)s") % {
            "title": activity.title,
            "action": ACTION_PAST[action],
        }
        body = render_to_string("activities/email/reviewed.txt", context)
    send_mail(subject, body, None, recipients)
