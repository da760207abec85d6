"""Requesting, fetching and opening reports, and telling people when one is ready.

Every view, API endpoint and command goes through these: `report_request` checks who may ask
for what and queues the job after the commit; `report_for_user` and `report_open` are the one
fetch-and-check for reading a report (another region's report is a 404, not a 403, so that its
existence is not revealed).
"""

import datetime
import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from activities.models import Activity
from programs.models import Objective, Service
from regions import access
from regions.models import Region

from . import tasks
from .models import Report

__all__ = [
    "FILTERS",
    "report_build",
    "report_for_user",
    "report_notify",
    "report_open",
    "report_request",
    "report_schedule",
    "report_url",
]

logger = logging.getLogger(__name__)
User = get_user_model()

# The filters each kind of report takes; progress reports count approved activities only.
FILTERS = {
    Report.Kind.ACTIVITIES: ("objective", "service", "status", "date_from", "date_to"),
    Report.Kind.REGIONAL_PROGRESS: ("objective", "service", "date_from", "date_to"),
    Report.Kind.NATIONAL_SUMMARY: ("objective", "service", "date_from", "date_to"),
}
# Above PostgreSQL's integer: such an "id" can only be a code or slug that looks like a number.
MAX_ID = 2**31 - 1


# --- Requesting --------------------------------------------------------------------------------


def report_request(*, user, kind, format, region=None, parameters=None, language="es"):
    """Ask for a report on the user's behalf; returns (report, created).

    See `report_build` for the arguments and the ValidationErrors. Raises PermissionDenied when
    the user may not report on that region, or nationally (views answer 404). While an identical
    report is queued or running, that one is returned instead of starting a second job.
    """
    report = report_build(kind=kind, format=format, region=region, parameters=parameters, language=language)
    if not access.can_request_report(user, report.region):
        raise PermissionDenied
    report.requested_by = user
    return _queue(report)


def report_schedule(*, kind, format, region=None, parameters=None, language=None):
    """Queue a report on the portal's own behalf (the monthly schedule); returns (report, created).

    No permission check: nobody asked. Its e-mail goes to the region's coordinators and to staff.
    A rerun for the same period finds the report it queued before instead of a second one; an
    identical report someone asked for is marked scheduled, so that its e-mail reaches them too."""
    report = report_build(
        kind=kind, format=format, region=region, parameters=parameters, language=language or settings.LANGUAGE_CODE
    )
    report.scheduled = True
    earlier = Report.objects.filter(fingerprint=_fingerprint(report), scheduled=True).exclude(
        status=Report.Status.FAILED
    )
    if (found := earlier.first()) is not None:
        return found, False
    report, created = _queue(report)
    if not created and not report.scheduled:
        Report.objects.filter(pk=report.pk).update(scheduled=True)
        report.scheduled = True
    return report, created


def report_build(*, kind, format, region=None, parameters=None, language="es"):
    """An unsaved Report whose kind, format, region, filters and language are checked and normalised.

    `region` is a Region, its id or slug, or None for a national report. `parameters` holds the
    filters (see FILTERS): objective (id or code), service (id or slug), status (activities only),
    date_from and date_to (ISO dates or dates); empty values are ignored. Raises ValidationError,
    keyed by the argument or filter at fault, with a message for the person who asked."""
    kind, format, language = _checked_kind(kind, format, language)
    region = _region(region)
    _check_scope(kind, region)
    return Report(
        kind=kind, format=format, region=region, parameters=_normalised(kind, parameters or {}), language=language
    )


def _queue(report):
    """The active report identical to this unsaved one, or this one saved as queued, its job sent
    after the commit. Two identical requests at once both miss the first lookup; the partial unique
    constraint on the fingerprint lets one insert win and sends the other back for the winner."""
    active = Report.objects.unfinished().filter(fingerprint=_fingerprint(report))
    existing = active.first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        existing = active.first()
        if existing is None:
            raise
        return existing, False
    transaction.on_commit(partial(tasks.report_enqueue, report.pk))
    return report, True


def _fingerprint(report):
    return Report.fingerprint_of(
        kind=report.kind,
        format=report.format,
        region_id=report.region_id,
        parameters=report.parameters,
        language=report.language,
    )


def _checked_kind(kind, format, language):
    if kind not in Report.Kind.values:
        raise ValidationError({"kind": _("Choose one of the kinds of report offered.")}, code="invalid")
    if format not in Report.FORMATS[kind]:
        offered = ", ".join(str(Report.Format(each).label) for each in Report.FORMATS[kind])
        raise ValidationError(
            {"format": _("This report is made in %(formats)s only.") % {"formats": offered}}, code="invalid"
        )
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose Spanish or English.")}, code="invalid")
    return kind, format, language


def _region(value):
    if value in (None, ""):
        return None
    try:
        return _reference(Region.objects.all(), value, "slug__iexact", _("No region has this id or slug."))
    except ValidationError as error:
        raise ValidationError({"region": error.messages}, code="invalid") from None


def _check_scope(kind, region):
    if kind == Report.Kind.REGIONAL_PROGRESS and region is None:
        raise ValidationError({"region": _("Choose the region of the progress report.")}, code="required")
    if kind == Report.Kind.NATIONAL_SUMMARY and region is not None:
        raise ValidationError({"region": _("The national summary covers every region: choose none.")}, code="invalid")


def _normalised(kind, parameters):
    """The filters as stored (ids and ISO dates, nothing empty), so that identical requests share
    one fingerprint however they were written."""
    given = {key: value for key, value in parameters.items() if value not in (None, "")}
    unknown = sorted(set(given) - set(FILTERS[kind]))
    if unknown:
        raise ValidationError({key: _("This report has no such filter.") for key in unknown}, code="invalid")
    readers = {
        "objective": _objective,
        "service": _service,
        "status": _status,
        "date_from": _iso_date,
        "date_to": _iso_date,
    }
    normalised, errors = {}, {}
    for key, value in given.items():
        try:
            normalised[key] = readers[key](value)
        except ValidationError as error:
            errors[key] = error.messages
    start, end = normalised.get("date_from"), normalised.get("date_to")
    if start and end and start > end:
        errors["date_to"] = [_("Give an end date on or after the start date.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    return dict(sorted(normalised.items()))


def _objective(value):
    return _reference(Objective.objects.all(), value, "code__iexact", _("No objective has this id or code.")).pk


def _service(value):
    return _reference(Service.objects.all(), value, "slug__iexact", _("No service has this id or slug.")).pk


def _reference(queryset, value, field, message):
    """The object whose id, or `field`, is the value (an object passes as it is); ValidationError
    with the message when there is none."""
    if isinstance(value, queryset.model):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        found = queryset.filter(pk=int(text)).first() if int(text) <= MAX_ID else None
    else:
        found = queryset.filter(**{field: text}).first()
    if found is None:
        raise ValidationError(message)
    return found


def _status(value):
    if value not in Activity.Status.values:
        raise ValidationError(_("Choose draft, submitted, approved or returned."))
    return value


def _iso_date(value):
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValidationError(_("Give a date as YYYY-MM-DD.")) from None


# --- Reading -----------------------------------------------------------------------------------


def report_for_user(user, pk):
    """The report, if the user may see it; Http404 otherwise, whether it exists or not."""
    try:
        report = Report.objects.visible_to(user).select_related("region").filter(pk=pk).first()
    except (TypeError, ValueError):
        report = None  # not an id at all
    if report is None:
        raise Http404
    return report


def report_open(report, user):
    """An open binary handle on the report's file, for the download view to stream.

    Http404 unless the user may see the report and its file is ready and not expired."""
    report = report_for_user(user, report.pk)
    expired = report.expires_at is not None and report.expires_at <= timezone.now()
    if report.status != Report.Status.DONE or not report.file or expired:
        raise Http404
    try:
        return report.file.storage.open(report.file.name, "rb")
    except FileNotFoundError as missing:
        raise Http404 from missing


def report_url(report):
    """The report's row on the panel's Reports page (a path, in the report's language)."""
    with translation.override(report.language):
        return f"{reverse('reports:list')}#report-{report.pk}"


# --- Telling people ----------------------------------------------------------------------------


def report_notify(report):
    """E-mail that the report is ready, or that it failed: to whoever asked, and for a scheduled
    report to the region's coordinators and to staff. One message each, so that nobody sees
    another person's address."""
    recipients = _recipients(report)
    if not recipients:
        return 0
    with translation.override(report.language):
        subject, body = _message(report)
    messages = [EmailMessage(subject, body, None, [address]) for address in recipients]
    return get_connection().send_messages(messages)


def _recipients(report):
    people = Q(pk=report.requested_by_id) if report.requested_by_id else Q(pk__in=[])
    if report.scheduled:
        people |= Q(role__in=(User.Role.MINISTRY, User.Role.ADMIN))
        if report.region_id:
            people |= Q(memberships__region=report.region_id)
    users = User.objects.filter(people, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _message(report):
    title = _report_title(report)
    link = settings.SITE_URL + report_url(report)
    if report.status == Report.Status.DONE:
        subject = _("Your report is ready: %(title)s") % {"title": title}
        lines = [
            _("The report “%(title)s” is ready.") % {"title": title},
            _("Download it from the panel (you will be asked to log in): %(link)s") % {"link": link},
            _("It will be deleted on %(date)s.") % {"date": formats.date_format(timezone.localdate(report.expires_at))},
        ]
    else:
        subject = _("Your report could not be produced: %(title)s") % {"title": title}
        lines = [
            _("The report “%(title)s” could not be produced.") % {"title": title},
            report.error,
            _("See it in the panel: %(link)s") % {"link": link},
        ]
    return subject, "\n\n".join([*lines, _("Prevent to Protect, MIMP")]) + "\n"


def _report_title(report):
    parts = [str(report.get_kind_display()), report.region.name if report.region_id else _("all regions")]
    dates = [report.parameters.get("date_from"), report.parameters.get("date_to")]
    if any(dates):
        parts.append(" – ".join(date or "…" for date in dates))
    return f"{' · '.join(parts)} ({report.get_format_display()})"
