import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from simple_history.models import HistoricalRecords

from programs.models import Objective, Service
from regions import access, geo
from regions.models import LAT_IN_PERU, LON_IN_PERU, Region

# A community activity gathers tens or hundreds of people; anything above this
# in one count is a typing error, not a workshop.
MAX_COUNT = 100_000
# The campaign began in 2024: no activity is older. A date after next year is a slip of the keyboard
# (0025 for 2025, 2205 for 2025), and one such date once made the public statistics an error page.
FIRST_ACTIVITY_DATE = datetime.date(2024, 1, 1)
# What the database accepts whatever the clock; the model holds dates to next year (last_activity_date).
STORABLE_DATES = (FIRST_ACTIVITY_DATE, datetime.date(2100, 12, 31))


def last_activity_date():
    """The latest date an activity may have: the end of next year (a planned draft, never later)."""
    return datetime.date(timezone.localdate().year + 1, 12, 31)


# Sent, with `ids`, by a loader that writes activities in bulk (bulk_create sends no post_save), once
# their partner links are written too, in the same transaction: what keeps a rollup exact listens.
activities_loaded = Signal()

PARTICIPANT_FIELDS = ("girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men")


class Institution(models.Model):
    """A public or private institution that partners with the campaign in a region."""

    class Sector(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private")

    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=10, choices=Sector.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="institutions", verbose_name=_("region"))
    actuemos_ya_since = models.DateField(_("implements ¡Actuemos Ya! since"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="institution_name_unique_in_region")]

    def __str__(self):
        return self.name


class SupportNetwork(models.Model):
    """A community network of leaders formed to prevent sexual violence (OE3)."""

    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="support_networks", verbose_name=_("region")
    )
    formed_on = models.DateField(_("formed on"), null=True, blank=True)
    leaders = models.PositiveIntegerField(_("number of leaders"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("support network")
        verbose_name_plural = _("support networks")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="network_name_unique_in_region"),
            models.CheckConstraint(condition=Q(leaders__gte=0, leaders__lte=MAX_COUNT), name="network_leaders_range"),
        ]

    def __str__(self):
        return self.name


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every activity the user may open, in any status (see regions.access)."""
        if access.is_national(user):
            return self
        return self.filter(region_id__in=access.member_region_ids(user))

    def approved(self):
        return self.filter(status=ActivityStatus.APPROVED)

    def released(self, cut_off):
        """The approved activities a public release cut off at `cut_off` counts: approved by then,
        and still approved (a reopened one leaves the public list at once)."""
        return self.approved().filter(approved_at__lte=cut_off)

    def in_region(self, region):
        return self.filter(region=region)

    def times_from_steps(self):
        """Set submitted_at and decided_at from the recorded steps, for rows written without
        `transition` (a bulk load, steps added by hand); returns how many. An UPDATE: no signal
        fires, so the caller rebuilds the tallies (reports.tally.rebuild)."""
        steps = ActivityTransition.objects.filter(activity=models.OuterRef("pk")).order_by("-at", "-id")
        submitted = steps.filter(to_status=ActivityStatus.SUBMITTED)
        decided = steps.filter(from_status=ActivityStatus.SUBMITTED, to_status__in=DECISIONS)
        return self.update(
            submitted_at=models.Subquery(submitted.values("at")[:1]),
            decided_at=models.Subquery(decided.values("at")[:1]),
        )


class MonthStart(models.Func):
    """The first day of a date's month. On PostgreSQL it is date_trunc of a timestamp without time
    zone, which depends on no setting, so an index can hold it (the public list's, migration
    0009); TruncMonth of a date goes through a timestamptz, which no index can."""

    template = "(DATE_TRUNC('month', %(expressions)s::timestamp))::date"
    output_field = models.DateField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'start of month')", **extra)


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


# A decision answers a submission; reopening an approved activity is not one.
DECISIONS = (ActivityStatus.APPROVED, ActivityStatus.RETURNED)
# What a step of the workflow writes on the activity.
WORKFLOW_FIELDS = ("status", "approved_at", "submitted_at", "decided_at")


def count_field(label):
    return models.PositiveIntegerField(label, default=0)


class KnownReferences:
    """What a bulk loader (the spreadsheet import) reads once for thousands of activities, so that
    checking each one asks the database nothing: which services serve each objective. The loader
    resolves the foreign keys among rows it has read, and the INSERT's foreign keys check them again."""

    RESOLVED = ("region", "objective", "service", "support_network")

    def __init__(self):
        self.services_of = {}
        for objective_id, service_id in Objective.services.through.objects.values_list("objective_id", "service_id"):
            self.services_of.setdefault(objective_id, set()).add(service_id)

    def serves(self, objective_id, service_id):
        return service_id in self.services_of.get(objective_id, ())


class Activity(models.Model):
    """A community activity a region reports: a workshop, a campaign fair, a network meeting."""

    Status = ActivityStatus

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIRTUAL = "virtual", _("Virtual")

    # Which statuses each action moves from, and to.
    TRANSITIONS = {
        "submit": ((Status.DRAFT, Status.RETURNED), Status.SUBMITTED),
        "approve": ((Status.SUBMITTED,), Status.APPROVED),
        "return": ((Status.SUBMITTED,), Status.RETURNED),
        "reopen": ((Status.APPROVED,), Status.RETURNED),
    }
    EDITABLE = (Status.DRAFT, Status.RETURNED)

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="activities", verbose_name=_("region"))
    # Coordinators in the field save what they have: a draft may lack its objective, service, title
    # and dates. Submitting requires them (submission_problems), and once an activity is with the
    # ministry the database does too (activity_complete_unless_open).
    objective = models.ForeignKey(
        Objective,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("objective"),
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="activities", verbose_name=_("service")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("What was done and with whom, in general terms. Never write a child's or victim's name or story."),
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    modality = models.CharField(_("modality"), max_length=10, choices=Modality.choices, default=Modality.IN_PERSON)
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    girls = count_field(_("girls (0–11)"))
    boys = count_field(_("boys (0–11)"))
    adolescent_girls = count_field(_("adolescent girls (12–17)"))
    adolescent_boys = count_field(_("adolescent boys (12–17)"))
    women = count_field(_("women (18+)"))
    men = count_field(_("men (18+)"))
    families = count_field(_("families reached"))
    institutions = models.ManyToManyField(
        Institution, related_name="activities", blank=True, verbose_name=_("partner institutions")
    )
    support_network = models.ForeignKey(
        SupportNetwork,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("support network"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_comment = models.TextField(_("review comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When the activity was last approved; empty unless it is approved. A public release counts the
    # activities approved by its cut-off, so an approval shows in public at the next release only.
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    # The workflow's latest submission, and the latest approval or return that answered one: the
    # review queue waits since the first, completeness times both (reports.tally). Set with the
    # step that records them (transition); a return keeps submitted_at, a new submission keeps
    # decided_at, which is then older than it: the activity is waiting again.
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic locking: an edit based on an older version is refused, not merged.
    version = models.PositiveIntegerField(_("version"), default=1)
    # Set by the client that first submitted the activity, so that a retried
    # submission from a phone on a weak connection finds it instead of duplicating it.
    client_uuid = models.UUIDField(_("client UUID"), default=uuid.uuid4, unique=True, editable=False)

    objects = ActivityQuerySet.as_manager()
    # The workflow's times are the steps' facts: reverting an edit must not move them.
    history = HistoricalRecords(excluded_fields=["updated_at", "submitted_at", "decided_at"])
    # A KnownReferences set by a bulk loader on each activity it checks; None asks the database.
    known_references = None

    class Meta:
        # Undated drafts first, on every database: they are the work still to finish. This is also
        # PostgreSQL's own place for NULLs in a descending order, so the date indexes below still serve it.
        ordering = [F("start_date").desc(nulls_first=True), "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # The dashboard and public figures filter on status first, then region,
            # objective or a date range.
            models.Index(fields=["status", "region", "start_date"], name="activity_status_region_date"),
            models.Index(fields=["status", "objective", "start_date"], name="activity_status_obj_date"),
            # Lists read newest first, ties by id: the public's (approved) and staff's (every region)
            # then take a page from the index instead of sorting a million rows.
            models.Index(fields=["status", "start_date", "id"], name="activity_status_date_id"),
            models.Index(fields=["start_date", "id"], name="activity_date_id"),
            # The coordinator's panel lists a region's activities, newest first.
            models.Index(fields=["region", "-start_date"], name="activity_region_date"),
            models.Index(fields=["updated_at"], name="activity_updated_at"),
            # A release reads the activities approved by its cut-off.
            models.Index(fields=["status", "approved_at"], name="activity_status_approved_at"),
            # The review queue's, on (status, submitted_at NULLS FIRST, id), is made by migration
            # 0008 on PostgreSQL only: SQLite does not accept NULLS FIRST in an index.
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="activity_end_not_before_start"),
            models.CheckConstraint(
                condition=(Q(start_date__isnull=True) | Q(start_date__range=STORABLE_DATES))
                & (Q(end_date__isnull=True) | Q(end_date__range=STORABLE_DATES)),
                name="activity_dates_plausible",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | (Q(latitude__isnull=False, longitude__isnull=False) & LAT_IN_PERU & LON_IN_PERU),
                name="activity_point_in_peru",
            ),
            models.CheckConstraint(
                condition=Q(**{f"{f}__lte": MAX_COUNT for f in (*PARTICIPANT_FIELDS, "families")}),
                name="activity_counts_plausible",
            ),
            models.CheckConstraint(condition=Q(status__in=ActivityStatus.values), name="activity_status_known"),
            models.CheckConstraint(condition=Q(version__gte=1), name="activity_version_positive"),
            # What reviewers, figures and the public release read is whole: only a draft, or an
            # activity returned to its region, may lack these.
            models.CheckConstraint(
                condition=Q(status__in=[ActivityStatus.DRAFT, ActivityStatus.RETURNED])
                | (
                    Q(objective__isnull=False, service__isnull=False)
                    & Q(start_date__isnull=False, end_date__isnull=False)
                    & ~Q(title="")
                ),
                name="activity_complete_unless_open",
            ),
        ]

    def __str__(self):
        return self.title or str(_("Untitled activity"))

    def save(self, *args, **kwargs):
        if self.status != self.Status.APPROVED:
            self.approved_at = None
        elif self.approved_at is None:
            self.approved_at = timezone.now()
        # One transaction with what listens to the write: the staff figures' tallies (reports.tally)
        # read the stored row under its lock before it and move its counts after it.
        with transaction.atomic():
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("activities:detail", args=[self.pk])

    @property
    def participants_total(self):
        return sum(getattr(self, f) or 0 for f in PARTICIPANT_FIELDS)

    @property
    def is_open_for_editing(self):
        return self.status in self.EDITABLE

    def clean(self):
        errors = self._date_errors()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", _("The end date cannot be before the start date."))
        for field in (*PARTICIPANT_FIELDS, "families"):
            value = getattr(self, field)
            if value is not None and value > MAX_COUNT:
                errors[field] = _("%(value)s is too many for one activity; check the number.") % {"value": value}
        if self.objective_id and self.service_id and not self._service_serves_objective():
            errors["service"] = _("This service does not serve the chosen objective; choose one of its services.")
        errors.update(self._point_errors())
        errors.update(self._partner_errors())
        if not self.is_open_for_editing:
            # activity_complete_unless_open, said on each field: the admin edits activities in any status.
            errors.update(self.missing_fields())
        if errors:
            raise ValidationError(errors)

    def _date_errors(self):
        first, last = FIRST_ACTIVITY_DATE, last_activity_date()
        message = _("Give a date from %(first)s to %(last)s.") % {
            "first": date_format(first, "DATE_FORMAT"),
            "last": date_format(last, "DATE_FORMAT"),
        }
        return {
            field: message
            for field in ("start_date", "end_date")
            if getattr(self, field) is not None and not first <= getattr(self, field) <= last
        }

    def clean_fields(self, exclude=None):
        if self.known_references is not None:
            # Resolved by the loader among the rows that exist: ForeignKey.validate would ask again, a query each.
            exclude = {*(exclude or ()), *KnownReferences.RESOLVED}
        super().clean_fields(exclude=exclude)

    def validate_constraints(self, exclude=None):
        # For a bulk loader, each check constraint is restated by clean() with a message on its field,
        # or concerns the status and version the loader sets; the INSERT enforces them all again.
        if self.known_references is None:
            super().validate_constraints(exclude=exclude)

    def _service_serves_objective(self):
        if self.known_references is not None:
            return self.known_references.serves(self.objective_id, self.service_id)
        return self.objective.services.filter(pk=self.service_id).exists()

    def _point_errors(self):
        if (self.latitude is None) != (self.longitude is None):
            return {
                "longitude" if self.longitude is None else "latitude": _(
                    "Give both latitude and longitude, or neither."
                )
            }
        if self.latitude is None:
            return {}
        try:
            geo.validate_point_in_peru(self.latitude, self.longitude)
        except ValidationError as exc:
            return {"latitude": exc.messages}
        if self.region_id and not self.region.contains(self.latitude, self.longitude):
            return {"latitude": _("The point is outside %(region)s.") % {"region": self.region}}
        return {}

    def _partner_errors(self):
        if self.support_network_id and self.region_id and self.support_network.region_id != self.region_id:
            return {"support_network": _("The support network must belong to the activity's region.")}
        return {}

    def validate_institutions(self, institutions):
        """M2M values arrive after save(); forms and services call this before setting them."""
        foreign = [i.name for i in institutions if i.region_id != self.region_id]
        if foreign:
            raise ValidationError(
                {
                    "institutions": _("These institutions belong to another region: %(names)s.")
                    % {"names": ", ".join(foreign)}
                }
            )

    def missing_fields(self):
        """What a draft may lack but a submitted activity may not, by field (see Activity.objective)."""
        return {
            field: message
            for field, message in MISSING_MESSAGES.items()
            if self.serializable_value(field) in (None, "")
        }

    def submission_problems(self):
        """What a reviewer would return the activity for, by field: empty when it is ready to send.

        Each return costs a round trip that may take days in the field, so these basics are checked
        before the activity leaves the region (and shown on the summary page before sending).
        """
        problems = self.missing_fields()
        if self.participants_total < 1:
            problems["participants"] = _("Add at least one participant.")
        has_point = self.latitude is not None and self.longitude is not None
        if self.modality != self.Modality.VIRTUAL and not self.place_name.strip() and not has_point:
            problems["place_name"] = _("Say where it took place: write the place or mark the point on the map.")
        if not self.description.strip():
            problems["description"] = _("Describe what was done and with whom.")
        if self.pk is None or not self.evidence.exists():
            problems["evidence"] = _("Attach at least one photo or PDF that shows the activity took place.")
        if (self.families or 0) > (self.women or 0) + (self.men or 0):
            problems["families"] = _("There cannot be more families than adults (women and men); check the numbers.")
        today = timezone.localdate()
        if self.start_date and self.start_date > today:
            problems["start_date"] = _("The start date is in the future: submit the activity once it has taken place.")
        if self.end_date and self.end_date > today:
            problems["end_date"] = _("The end date is in the future: submit the activity once it has ended.")
        return problems

    def transition(self, action, *, by, comment=""):
        """Move the activity through the review workflow and record who did it.

        Returns the ActivityTransition. Raises ValidationError when the action is
        not allowed from the current status, a required comment is missing, or (to submit)
        the activity lacks a basic a reviewer would return it for: then by field, see
        `submission_problems`.
        """
        sources, target = self.TRANSITIONS[action]
        if self.status not in sources:
            raise ValidationError(
                _("An activity that is %(status)s cannot be %(action)s.")
                % {"status": self.get_status_display().lower(), "action": ACTION_PAST[action]},
                code="bad_transition",
            )
        comment = comment.strip()
        if action in ("return", "reopen") and not comment:
            raise ValidationError(_("Write a comment that says what must change."), code="comment_required")
        with transaction.atomic():
            # The check above read this copy, which may be stale: of two reviewers who opened the
            # same submitted activity, the second must not return what the first just approved.
            stored = Activity.objects.select_for_update().filter(pk=self.pk).values_list("status", "version").first()
            if stored != (self.status, self.version):
                raise EditConflict(STALE_MESSAGE, code="edit_conflict")
            if action == "submit":
                # Checked under the lock, so that evidence removed meanwhile is seen.
                problems = self.submission_problems()
                if problems:
                    raise ValidationError(
                        {field: ValidationError(message, code="incomplete") for field, message in problems.items()}
                    )
            previous = self.status
            self.status = target
            if action in ("approve", "return", "reopen"):
                self.review_comment = comment
            self.version += 1
            step = self.transitions.create(from_status=previous, to_status=target, by=by, comment=comment)
            self.approved_at = step.at if target == self.Status.APPROVED else None
            if action == "submit":
                self.submitted_at = step.at
            elif action in ("approve", "return"):
                self.decided_at = step.at
            self.save(update_fields=[*WORKFLOW_FIELDS, "review_comment", "version", "updated_at"])
            return step


class EditConflict(ValidationError):
    """Someone else saved or moved the activity since this copy was loaded."""


STALE_MESSAGE = _(
    "Someone else saved this activity while you were editing it. Your changes were not saved: "
    "reload it, then apply them again."
)

# In the form's order, as the check page lists them.
MISSING_MESSAGES = {
    "objective": _("Choose the objective the activity served."),
    "service": _("Choose the service that carried it out."),
    "title": _("Give the activity a title."),
    "start_date": _("Give the date it started."),
    "end_date": _("Give the date it ended."),
}

ACTION_PAST = {
    "submit": _("submitted"),
    "approve": _("approved"),
    "return": _("returned"),
    "reopen": _("reopened"),
}


class ActivityTransition(models.Model):
    """One step of the review workflow: who moved the activity, when, from where to where, and why."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from"), max_length=10, choices=Activity.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=Activity.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.activity_id}: {self.from_status} → {self.to_status}"


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_PER_ACTIVITY = 10


def evidence_path(instance, filename):
    # A random name: the original file name may carry a person's name.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{instance.activity.region_id}/{uuid.uuid4().hex}.{extension}"


class EvidenceKind(models.TextChoices):
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"
    WEBP = "image/webp", "WebP"
    PDF = "application/pdf", "PDF"


class Evidence(models.Model):
    """A photo or PDF that shows an activity took place. Private to staff and the region."""

    Kind = EvidenceKind

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("activity")
    )
    file = models.FileField(_("file"), upload_to=evidence_path)
    content_type = models.CharField(_("type"), max_length=40, choices=Kind.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Set by the phone before its first attempt, so that a retried upload on a weak connection finds
    # the file it stored instead of storing it again. Empty for files attached through the panel's
    # form, where a person sees at once whether the file got in.
    client_uuid = models.UUIDField(_("client UUID"), null=True, blank=True, editable=False, unique=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0, size__lte=MAX_EVIDENCE_BYTES), name="evidence_size_capped"),
            models.CheckConstraint(condition=Q(content_type__in=EvidenceKind.values), name="evidence_type_allowed"),
        ]

    def __str__(self):
        return self.caption or self.file.name.rsplit("/", 1)[-1]

    def download_name(self):
        """The file's name when downloaded: what it is, in the reader's language, and its number;
        never the name it was uploaded with, which may carry a person's name."""
        what = pgettext("file name", "evidence")
        return f"{what}-{self.pk}.{self.file.name.rsplit('.', 1)[-1]}"


def import_path(instance, filename):
    # A random name in a private folder: never served by URL, and the person's own file name stays out of it.
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportJob(models.Model):
    """One uploaded spreadsheet on its way in: the dry run, the confirmation, the import.

    The row is the truth the page follows; a Celery task only runs a step of it. The upload is kept,
    privately, until the job finishes; the rows that passed the dry run wait in `checked_rows` for
    the confirmation, so that it need not read and check the file again."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Checking the rows")
        READY = "ready", _("Ready to import")
        CONFIRMED = "confirmed", _("Waiting to be imported")
        IMPORTING = "importing", _("Importing")
        # The dry run found errors, or nothing new: there is nothing to confirm.
        CHECKED = "checked", _("Checked")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")

    # A worker is (or will be) on it: the page follows its progress.
    ACTIVE = (Status.QUEUED, Status.CHECKING, Status.CONFIRMED, Status.IMPORTING)
    FINISHED = (Status.CHECKED, Status.DONE, Status.FAILED)
    # A dry run waits this long for its confirmation; a finished job's counts and errors are kept
    # this long for the person to come back to; a step that runs longer has lost its worker.
    PENDING = datetime.timedelta(hours=1)
    RETENTION = datetime.timedelta(days=7)
    TIME_LIMIT = datetime.timedelta(minutes=15)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("uploaded by")
    )
    # Where rows that leave the region empty go.
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("region")
    )
    language = models.CharField(_("language"), max_length=8, default="es")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=import_path, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    error_count = models.PositiveIntegerField(_("errors found"), default=0)
    new = models.PositiveIntegerField(_("new activities"), default=0)
    already = models.PositiveIntegerField(_("already imported"), default=0)
    created = models.PositiveIntegerField(_("activities imported"), default=0)
    # The first errors by row and column ({row, column, value, message}), as the page lists them.
    errors = models.JSONField(_("error list"), default=list, blank=True)
    checked_rows = models.JSONField(null=True, blank=True, editable=False)
    # Why the file was refused or the job stopped, in the job's language.
    failure = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # When its check or its import was last handed to the workers.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # A dry run ready to import may be confirmed until then.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        # The sweep reads jobs by status and age.
        indexes = [models.Index(fields=["status", "created_at"], name="importjob_status_created")]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="importjob_progress_percent")]

    def __str__(self):
        return f"{self.file_name or _('Spreadsheet')} #{self.pk}"

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def hidden_errors(self):
        return self.error_count - len(self.errors)

    def is_expired(self, now=None):
        return (
            self.status == self.Status.READY
            and self.expires_at is not None
            and self.expires_at <= (now or timezone.now())
        )
