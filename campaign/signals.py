"""What changes the public site: each of these bumps the public data version (publication.cache)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from activities.models import Activity, ActivityTransition, Institution, SupportNetwork
from programs.models import Indicator, Objective, Program, Service, Target
from publication.cache import bump_after_commit
from regions.models import Region

from .models import EmergencyCentre, News

APPROVED = Activity.Status.APPROVED
# Reference content the pages show: a renamed program or a new boundary must show at once too, and a
# CEM's new address before anyone is sent to the old one.
SHOWN_MODELS = (
    News,
    Region,
    Objective,
    Program,
    Service,
    Indicator,
    Target,
    Institution,
    SupportNetwork,
    EmergencyCentre,
)


def transition_saved(sender, instance, created, **kwargs):
    # Out of approved (staff reopened one): it leaves the public list at once. An approval shows
    # only at the next release, which bumps the version itself.
    if created and instance.from_status == APPROVED:
        bump_after_commit()


def activity_changed(sender, instance, **kwargs):
    # An approved activity edited or deleted in the admin changes what the public sees.
    if instance.status == APPROVED:
        bump_after_commit()


def connect():
    post_save.connect(transition_saved, sender=ActivityTransition, dispatch_uid="campaign-transition")
    post_save.connect(activity_changed, sender=Activity, dispatch_uid="campaign-activity-saved")
    post_delete.connect(activity_changed, sender=Activity, dispatch_uid="campaign-activity-deleted")
    for model in SHOWN_MODELS:
        post_save.connect(bump_after_commit, sender=model, dispatch_uid=f"campaign-save-{model.__name__}")
        post_delete.connect(bump_after_commit, sender=model, dispatch_uid=f"campaign-delete-{model.__name__}")
    for through in (Objective.services.through, Activity.institutions.through):
        m2m_changed.connect(bump_after_commit, sender=through, dispatch_uid=f"campaign-m2m-{through.__name__}")
