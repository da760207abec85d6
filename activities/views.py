"""The panel: coordinators log and submit activities, staff review them.

Every view fetches through `visible_activity` (or the access module), so an
activity of another region is a 404 whatever URL is typed.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from prevent_protect.counting import EstimatingPaginator
from prevent_protect.query import query_int
from prevent_protect.search import contains_folded
from prevent_protect.typography import unbroken_ranges
from regions import access

from . import evidence as evidence_service
from . import previews, services
from .filters import ActivityFilter
from .forms import ActivityForm, EvidenceForm, ReviewForm
from .models import PARTICIPANT_FIELDS, Activity, Evidence, Institution

PAGE_SIZE = 50


def visible_activity(user, pk):
    """The activity if the user may see it; 404 otherwise, so its existence is not revealed."""
    activities = Activity.objects.visible_to(user).select_related("region", "objective", "service__program")
    return get_object_or_404(activities, pk=pk)


def reviewer_required(view):
    def wrapped(request, *args, **kwargs):
        if not access.is_national(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


@login_required
def panel(request):
    activities = Activity.objects.visible_to(request.user)
    by_status = dict(activities.values_list("status").annotate(n=Count("id")).order_by())
    returned = activities.filter(status=Activity.Status.RETURNED).select_related("region")[:20]
    context = {
        "regions": access.readable_regions(request.user) if not access.is_national(request.user) else None,
        "by_status": [(status, label, by_status.get(status, 0)) for status, label in Activity.Status.choices],
        "returned": returned,
        "is_reviewer": access.is_national(request.user),
        "can_log": access.is_admin(request.user) or bool(access.member_region_ids(request.user)),
    }
    return render(request, "activities/panel.html", context)


@login_required
def activity_list(request):
    activities = Activity.objects.visible_to(request.user).select_related("region", "objective", "service__program")
    filterset = ActivityFilter(request.GET, queryset=activities, user=request.user)
    # Staff's unfiltered list holds every activity: its count is estimated past a threshold.
    page = EstimatingPaginator(filterset.qs, PAGE_SIZE).get_page(query_int(request, "page", default=1))
    return render(request, "activities/list.html", {"filter": filterset, "page": page})


@reviewer_required
@require_safe
def review_queue(request):
    filterset, activities = queue_activities(request.user, request.GET)
    page = EstimatingPaginator(activities, PAGE_SIZE).get_page(query_int(request, "page", default=1))
    context = {
        "filter": filterset,
        "page": page,
        "q": request.GET.get("q", "").strip(),
        "queue_query": queue_query(request.GET),
    }
    return render(request, "activities/review_queue.html", context)


# The queue's filters: what travels from the queue to a review page and back after Approve or Return.
QUEUE_PARAMS = ("q", "region", "objective", "service", "start_date_from", "start_date_to")
MAX_SEARCH_LENGTH = 100


def queue_query(data):
    """The queue's filters found in `data` (a QueryDict or a query string), as a query string."""
    if isinstance(data, str):
        data = QueryDict(data)
    kept = QueryDict(mutable=True)
    for key in QUEUE_PARAMS:
        value = data.get(key, "").strip()[:MAX_SEARCH_LENGTH]
        if value:
            kept[key] = value
    return kept.urlencode()


def queue_activities(user, params):
    """The filterset and the submitted activities it keeps, longest waiting first.

    Waiting since the latest submission (a returned activity sent again queues anew), which the
    activity keeps (submitted_at): a page is read from the queue's index, not sorted.
    """
    activities = (
        Activity.objects.filter(status=Activity.Status.SUBMITTED)
        .select_related("region", "objective", "service__program")
        # Submitted with no recorded step (loaded by hand, or before steps were recorded): first.
        .order_by(F("submitted_at").asc(nulls_first=True), "pk")
    )
    filterset = ActivityFilter(params, queryset=activities, user=user)
    # Everything in the queue is submitted: a status filter could only empty it.
    del filterset.filters["status"]
    activities = filterset.qs
    search = params.get("q", "").strip()[:MAX_SEARCH_LENGTH]
    if search:
        activities = activities.filter(matches_search(search))
    return filterset, activities


def matches_search(text):
    # EXISTS rather than a join on the institutions: an activity with two matching partners is one row.
    partners = Institution.objects.filter(contains_folded("name", text), activities=OuterRef("pk"))
    return Q(contains_folded("title", text)) | Q(contains_folded("place_name", text)) | Q(Exists(partners))


def next_in_queue(request, done, query):
    """Where staff go after approving or returning `done`: the next activity of the same filtered
    queue (after it, else from the start), or back to that queue when nothing is left in it."""
    activities = queue_activities(request.user, QueryDict(query))[1]
    activities = activities.exclude(pk=done.pk)
    if done.submitted_at is None:
        later = Q(submitted_at__isnull=False) | Q(pk__gt=done.pk)
    else:
        later = Q(submitted_at__gt=done.submitted_at) | Q(submitted_at=done.submitted_at, pk__gt=done.pk)
    following = activities.filter(later).first() or activities.first()
    if following is None:
        # The queue's own page says it is empty (for these filters): no second message on top of "Approved.".
        return reverse("activities:review_queue") + (f"?{query}" if query else "")
    return with_queue(following.get_absolute_url(), query)


def with_queue(url, query):
    return f"{url}?{urlencode({'queue': query})}" if query else url


@login_required
def activity_detail(request, pk):
    activity = visible_activity(request.user, pk)
    evidence = list(activity.evidence.all())
    can_review = access.can_review_activity(request.user, activity)
    transitions = activity.transitions.select_related("by")
    # What the queue sorts by: the latest submission, shown while the activity waits for review.
    submitted_at = activity.submitted_at if activity.status == Activity.Status.SUBMITTED else None
    context = {
        "activity": activity,
        "institutions": activity.institutions.all(),
        "transitions": transitions,
        "submitted_at": submitted_at,
        "history": history_entries(activity),
        "evidence": evidence,
        "previews": [(file, previews.has_preview(file)) for file in evidence],
        "age_groups": age_groups(activity),
        "point_map": point_map(activity),
        "tiles_url": settings.LEAFLET_CONFIG["TILES"],
        "can_edit": access.can_edit_activity(request.user, activity),
        "can_review": can_review,
        "queue_query": queue_query(request.GET.get("queue", "")) if can_review else "",
        "review_form": ReviewForm(),
        "evidence_form": EvidenceForm(),
    }
    return render(request, "activities/detail.html", context)


def age_groups(activity):
    """The participants' rows: each group's name, female and male counts."""
    rows = [
        (_("Children (0–11)"), activity.girls, activity.boys),
        (_("Adolescents (12–17)"), activity.adolescent_girls, activity.adolescent_boys),
        (_("Adults (18+)"), activity.women, activity.men),
    ]
    return [(unbroken_ranges(label), female, male) for label, female, male in rows]


def point_map(activity):
    """What review-map.js draws: the point and the region's outline (enough with no tiles); None without a point."""
    if activity.latitude is None or activity.longitude is None:
        return None
    return {"point": [float(activity.latitude), float(activity.longitude)], "boundary": activity.region.boundary}


# With a context: Django's own catalogue translates a bare "Created" as "creation date".
HISTORY_TYPES = {
    "+": pgettext_lazy("history of an activity", "Created"),
    "~": pgettext_lazy("history of an activity", "Changed"),
    "-": pgettext_lazy("history of an activity", "Deleted"),
}
# Bookkeeping, not something a person changed: the history would only repeat it on every line.
HISTORY_HIDDEN = ["version", "updated_at", "client_uuid", "approved_at"]


FIELD_ORDER = {field.name: index for index, field in enumerate(Activity._meta.fields)}


def history_entries(activity, limit=20):
    """The newest changes: who, when, and each field's label with its value before and after."""
    records = list(activity.history.select_related("history_user")[: limit + 1])
    entries = []
    for record, previous in zip(records[:limit], records[1:] + [None], strict=False):
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HISTORY_HIDDEN)
            # In the form's order, not the order the diff happens to find them in.
            for change in sorted(delta.changes, key=lambda c: FIELD_ORDER.get(c.field, 0)):
                field = Activity._meta.get_field(change.field)
                changes.append(
                    {"label": field.verbose_name, "old": shown(field, change.old), "new": shown(field, change.new)}
                )
        entries.append({"record": record, "type": HISTORY_TYPES.get(record.history_type, ""), "changes": changes})
    return entries


def shown(field, value):
    """A stored value as the page shows it: choices by label, related rows by name, dates the language's way."""
    if value is None or value == "":
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        if related is None:
            return "—"
        return getattr(related, "display_name", related)
    return value


@login_required
def activity_create(request):
    if not (access.is_admin(request.user) or access.member_region_ids(request.user)):
        raise PermissionDenied
    form = ActivityForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("region", "institutions", "version")}
        try:
            activity = services.activity_create(
                data=data,
                region=form.cleaned_data["region"],
                created_by=request.user,
                institutions=form.cleaned_data["institutions"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            attached = attach_photos(request, activity, request.FILES.getlist("photos"))
            if attached and request.POST.get("intent") == "submit":
                return redirect("activities:submit_check", activity.pk)
            if attached:
                messages.success(request, _("Draft saved. Add evidence, then submit it for review."))
            return redirect(activity)
    return form_page(request, form, status=400 if form.errors else 200)


def attach_photos(request, activity, files):
    """Attach the photos sent with a new activity (the form without script); False if one was refused.

    The draft is kept either way: a refused file is named, to be added again from the activity's page.
    """
    refused = False
    for uploaded in files:
        try:
            evidence_service.evidence_attach(activity=activity, uploaded_file=uploaded, caption="", by=request.user)
        except ValidationError as exc:
            refused = True
            for message in exc.messages:
                messages.error(request, _("Draft saved, but a file was not attached: %(reason)s") % {"reason": message})
    return not refused


@login_required
def activity_edit(request, pk):
    activity = visible_activity(request.user, pk)
    if not access.can_author_in_region(request.user, activity.region_id):
        # Staff read every region but do not write its reports: no status would let them edit.
        raise PermissionDenied
    if not access.can_edit_activity(request.user, activity):
        status = activity.get_status_display().lower()
        messages.error(request, _("This activity cannot be edited now: it is %(status)s.") % {"status": status})
        return redirect(activity)
    form = ActivityForm(request.POST if request.method == "POST" else None, instance=activity, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.activity_save(
                    activity=form.instance,
                    expected_version=form.cleaned_data["version"] or 0,
                    institutions=form.cleaned_data["institutions"],
                )
            except services.EditConflict as exc:
                # Keep what the person typed on the page; nothing is saved over the other edit.
                form.add_error(None, exc)
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(activity)
    return form_page(request, form, activity, status=status)


def form_page(request, form, activity=None, status=200):
    context = {"form": form, "activity": activity, "tiles_url": settings.LEAFLET_CONFIG["TILES"]}
    return render(request, "activities/form.html", context, status=status)


@login_required
@require_POST
def activity_submit(request, pk):
    activity = visible_activity(request.user, pk)
    if activity.status == Activity.Status.SUBMITTED and access.can_author_in_region(request.user, activity.region_id):
        # A second tap, or a retry on a weak connection, after the first went through: not an error.
        messages.info(request, DONE_MESSAGES["submit"])
        return redirect(activity)
    return _transition(request, activity, "submit", "")


@login_required
@require_safe
def activity_submit_check(request, pk):
    """Check your answers: what will be sent, with a way to change each, and what is still missing.

    The send button shows only when nothing is missing; the rule itself is the model's, so the
    POST may still be refused (evidence removed in another tab) and says why.
    """
    activity = visible_activity(request.user, pk)
    if not access.can_author_in_region(request.user, activity.region_id):
        raise PermissionDenied
    if activity.status == Activity.Status.SUBMITTED:
        messages.info(request, DONE_MESSAGES["submit"])
        return redirect(activity)
    if not activity.is_open_for_editing:
        status = activity.get_status_display().lower()
        messages.error(request, _("This activity cannot be edited now: it is %(status)s.") % {"status": status})
        return redirect(activity)
    problems = activity.submission_problems()
    context = {
        "activity": activity,
        "answers": answers(activity),
        "problems": [(message, problem_link(activity, field)) for field, message in problems.items()],
    }
    return render(request, "activities/submit_check.html", context)


# Where each problem is put right: the form field, or the evidence section of the detail page.
PROBLEM_ANCHORS = {"participants": "id_girls", "start_date": "id_start_date", "end_date": "id_end_date"}


def problem_link(activity, field):
    if field == "evidence":
        return activity.get_absolute_url() + "#evidence"
    return f"{reverse('activities:edit', args=[activity.pk])}#{PROBLEM_ANCHORS.get(field, f'id_{field}')}"


def field_label(name):
    """The model's label for a field, which the form shows too."""
    return Activity._meta.get_field(name).verbose_name


def answers(activity):
    """The rows of the summary: label, value, and where to change it."""
    edit = reverse("activities:edit", args=[activity.pk])
    place = ", ".join(part for part in (activity.place_name, activity.district) if part)
    if activity.latitude is not None:
        place = f"{place} ({activity.latitude}, {activity.longitude})".strip()
    dates = short_date(activity.start_date)
    if activity.end_date != activity.start_date:
        dates += " – " + short_date(activity.end_date)
    rows = [
        (field_label("objective"), activity.objective.display_name if activity.objective else "", "id_objective"),
        (field_label("service"), activity.service or "", "id_service"),
        (field_label("title"), activity.title, "id_title"),
        (_("Dates"), dates, "id_start_date"),
        (field_label("modality"), activity.get_modality_display(), "id_modality"),
        (field_label("place_name"), place, "id_place_name"),
        *[(field_label(name), getattr(activity, name), f"id_{name}") for name in PARTICIPANT_FIELDS],
        (_("Total participants"), activity.participants_total, "id_girls"),
        (field_label("families"), activity.families, "id_families"),
        (field_label("description"), activity.description, "id_description"),
    ]
    result = [
        {"label": label, "value": value if value != "" else "—", "change": f"{edit}#{anchor}"}
        for label, value, anchor in rows
    ]
    result.append(
        {
            "label": Evidence._meta.verbose_name_plural,
            "value": activity.evidence.count(),
            "change": activity.get_absolute_url() + "#evidence",
        }
    )
    return result


def short_date(value):
    # A draft may not have its dates yet.
    return date_format(value, "SHORT_DATE_FORMAT") if value else "—"


@reviewer_required
@require_POST
def activity_review(request, pk):
    activity = visible_activity(request.user, pk)
    # The filtered queue the reviewer came from, posted along by the review form.
    query = queue_query(request.POST.get("queue", ""))
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve, return or reopen."))
        return redirect(with_queue(activity.get_absolute_url(), query))
    return _transition(request, activity, form.cleaned_data["action"], form.cleaned_data["comment"], query)


# Lazy: translated when shown, in the language of the request, not of whoever imported this first.
DONE_MESSAGES = {
    "submit": gettext_lazy("Submitted for review. You will be told by email when it is reviewed."),
    "approve": gettext_lazy("Approved."),
    "return": gettext_lazy("Returned to the coordinator with your comment."),
    "reopen": gettext_lazy("Reopened: the coordinator can edit it again."),
}


def _transition(request, activity, action, comment, query=""):
    try:
        services.activity_transition(activity=activity, action=action, by=request.user, comment=comment)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(with_queue(activity.get_absolute_url(), query))
    messages.success(request, DONE_MESSAGES[action])
    if action in ("approve", "return"):
        return redirect(next_in_queue(request, activity, query))
    return redirect(activity)


@login_required
@require_POST
def evidence_upload(request, pk):
    activity = visible_activity(request.user, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence_service.evidence_attach(
                activity=activity,
                uploaded_file=form.cleaned_data["file"],
                caption=form.cleaned_data["caption"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("File attached."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(activity)


@login_required
def evidence_download(request, pk):
    evidence = get_object_or_404(Evidence.objects.select_related("activity"), pk=pk)
    handle = evidence_service.evidence_open(evidence=evidence, by=request.user)
    response = FileResponse(handle, as_attachment=True, filename=evidence.download_name())
    response["Content-Type"] = evidence.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def evidence_preview(request, pk):
    """A small JPEG of the evidence for the activity's page; 404 where the file may not be seen or shown."""
    evidence = get_object_or_404(Evidence.objects.select_related("activity"), pk=pk)
    content = previews.thumbnail(evidence=evidence, by=request.user)
    if content is None:
        raise Http404(_("No preview of this file."))
    response = HttpResponse(content, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    # Stored files never change: the browser may keep the thumbnail, but no shared cache may.
    response["Cache-Control"] = f"private, max-age={PREVIEW_MAX_AGE}"
    return response


PREVIEW_MAX_AGE = 60 * 60


@login_required
@require_POST
def evidence_delete(request, pk):
    evidence = get_object_or_404(Evidence.objects.select_related("activity"), pk=pk)
    if not access.can_view_evidence(request.user, evidence):
        raise Http404
    evidence_service.evidence_remove(evidence=evidence, by=request.user)
    messages.success(request, _("File removed."))
    return redirect(evidence.activity)
