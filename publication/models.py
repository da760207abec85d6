from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseQuerySet(models.QuerySet):
    def public(self):
        # The private columns stay in the database: only the next release's protection reads them.
        return self.defer("atoms", "members")

    def latest_first(self):
        return self.order_by("-number")


class Release(models.Model):
    """One dated publication of the public figures: built from the activities approved by its
    cut-off, protected as one and against the release before it, and never changed afterwards."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    cut_off = models.DateTimeField(_("cut-off"), help_text=_("Activities approved by this time are counted."))
    built_at = models.DateTimeField(_("built at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
        help_text=_("Empty when the schedule published it."),
    )
    activities = models.PositiveIntegerField(_("activities"), default=0)
    # The protected tables, as the public sees them: [[region, objective, service, period,
    # activities, girls, boys, adolescent_girls, adolescent_boys, women, men, participants,
    # families], ...], a hidden count written "<5" or "x".
    cells = models.JSONField(_("tables"), default=list)
    # Distinct support networks, institutions and network leaders, by objective and period.
    organisations = models.JSONField(_("organisations"), default=list)
    # Private, for the next release's protection: the atoms and their true counts, and what was hidden.
    atoms = models.JSONField(default=dict)
    # Private: (activity id, version, atom) of each activity counted; kept on the latest release only.
    members = models.BinaryField(null=True, editable=False)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("public release")
        verbose_name_plural = _("public releases")
        constraints = [models.CheckConstraint(condition=models.Q(number__gte=1), name="release_number_positive")]

    def __str__(self):
        return _("Release %(number)s") % {"number": self.number}
