import datetime
import hashlib
import json
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regions import access
from regions.models import Region


class ReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """National reports are staff's; a regional one is also its region's coordinators'."""
        if access.is_national(user):
            return self
        return self.filter(region_id__in=access.member_region_ids(user))

    def unfinished(self):
        return self.filter(status__in=Report.ACTIVE)


def report_path(instance, filename):
    # A random name in a private folder: never served by URL, only through the access check.
    return f"reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}-{filename}"


class Report(models.Model):
    """A requested export or progress report: the row is the truth, the Celery task only runs it."""

    class Kind(models.TextChoices):
        ACTIVITIES = "activities", _("Activities export")
        REGIONAL_PROGRESS = "regional_progress", _("Regional progress report")
        NATIONAL_SUMMARY = "national_summary", _("National summary")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FORMATS = {
        Kind.ACTIVITIES: (Format.CSV, Format.XLSX),
        Kind.REGIONAL_PROGRESS: (Format.PDF, Format.XLSX),
        Kind.NATIONAL_SUMMARY: (Format.PDF, Format.XLSX),
    }

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    # The one region the report covers; empty for a national report (staff only).
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="reports", verbose_name=_("region")
    )
    parameters = models.JSONField(_("filters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, default="es")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=report_path, blank=True)
    error = models.TextField(_("error"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Queued by the monthly schedule rather than by a person: its e-mail goes to the region's
    # coordinators and to staff.
    scheduled = models.BooleanField(_("scheduled"), default=False)
    # Same kind, format, region, filters and language: an identical request while one runs gets that one.
    fingerprint = models.CharField(max_length=64, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [models.Index(fields=["status", "started_at"], name="report_status_started")]
        constraints = [
            # The database, not a race between two clicks, guarantees one active job per request.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_report_per_request",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_format_display()}) #{self.pk}"

    def save(self, *args, **kwargs):
        self.fingerprint = self.fingerprint_of(
            kind=self.kind,
            format=self.format,
            region_id=self.region_id,
            parameters=self.parameters,
            language=self.language,
        )
        super().save(*args, **kwargs)

    @staticmethod
    def fingerprint_of(*, kind, format, region_id, parameters, language):
        key = json.dumps([kind, format, region_id, parameters, language], sort_keys=True, default=str)
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def retention_end(self):
        return timezone.now() + datetime.timedelta(days=settings.REPORT_RETENTION_DAYS)


# --- Tallies: the figures rolled up as the activities change (reports.tally) --------------------


def cell_key():
    """A cell's key as a unique index reads it: a missing objective or service as 0, since NULLs
    never conflict (PostgreSQL 15's NULLS NOT DISTINCT would do, but not on SQLite)."""
    return (F("region"), Coalesce("objective", 0), Coalesce("service", 0), F("month"), F("status"))


class TallyCell(models.Model):
    """A cell of the rollup: the activities of one region, objective, service, month of start and
    status. A draft or a returned activity may lack its objective or service: its cell has none.
    An activity without a start date is in no month, and in no tally."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey("programs.Objective", on_delete=models.CASCADE, null=True, related_name="+")
    service = models.ForeignKey("programs.Service", on_delete=models.CASCADE, null=True, related_name="+")
    month = models.DateField()  # its first day
    status = models.CharField(max_length=10)
    activities = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        cell = f"{self.region_id}/{self.objective_id}/{self.service_id}/{self.month:%Y-%m}/{self.status}"
        return f"{cell}: {self.activities}"


class Tally(TallyCell):
    """How many activities a cell holds, and their participants and families: the sums every staff
    figure adds up, kept exact in the transaction of each change (reports.tally)."""

    girls = models.BigIntegerField(default=0)
    boys = models.BigIntegerField(default=0)
    adolescent_girls = models.BigIntegerField(default=0)
    adolescent_boys = models.BigIntegerField(default=0)
    women = models.BigIntegerField(default=0)
    men = models.BigIntegerField(default=0)
    families = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        constraints = [
            # One row per cell, so that an increment is one upsert; a cell without objective or service
            # is one cell too (reports.tally.CONFLICT names the same expressions).
            models.UniqueConstraint(*cell_key(), name="tally_one_row_per_cell")
        ]
        # The figures read the approved cells of a range of months.
        indexes = [models.Index(fields=["status", "month"], name="tally_status_month")]


class NetworkTally(TallyCell):
    """How many activities of a cell name a support network: distinct networks are not additive,
    so a range of cells names a network when any of its rows counts more than 0."""

    support_network = models.ForeignKey(
        "activities.SupportNetwork", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("support network tally")
        verbose_name_plural = _("support network tallies")
        constraints = [models.UniqueConstraint(*cell_key(), F("support_network"), name="network_tally_one_row")]
        indexes = [
            models.Index(fields=["status", "month"], name="network_tally_status_month"),
            # The headline's count probes each network for one approved row of the period (and a
            # deleted network's rows are found by it).
            models.Index(fields=["support_network", "status", "month"], name="network_tally_network"),
        ]


class PartnerTally(TallyCell):
    """How many activities of a cell name a partner institution (see NetworkTally)."""

    institution = models.ForeignKey(
        "activities.Institution", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("partner institution tally")
        verbose_name_plural = _("partner institution tallies")
        constraints = [models.UniqueConstraint(*cell_key(), F("institution"), name="partner_tally_one_row")]
        indexes = [
            models.Index(fields=["status", "month"], name="partner_tally_status_month"),
            models.Index(fields=["institution", "status", "month"], name="partner_tally_institution"),
        ]


class TimingTally(models.Model):
    """How many of a region's activities starting in a month took each whole number of days to be
    submitted, or of hours to be decided: completeness reads its medians from these counts
    instead of from every activity (reports.tally, reports.completeness)."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", _("days to submit")
        DECIDE = "decide", _("hours to decide")

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    kind = models.CharField(max_length=6, choices=Kind.choices)
    value = models.IntegerField()
    activities = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("timing tally")
        verbose_name_plural = _("timing tallies")
        constraints = [
            models.UniqueConstraint(fields=["region", "month", "kind", "value"], name="timing_tally_one_row")
        ]

    def __str__(self):
        return f"{self.region_id}/{self.month:%Y-%m}/{self.kind}/{self.value}: {self.activities}"
