"""The panel: coordinators log and submit activities, staff review them.

Every view fetches through `visible_activity` (or the access module), so an
activity of another region is a 404 whatever URL is typed.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regions import access

from . import evidence as evidence_service
from . import services
from .filters import ActivityFilter
from .forms import ActivityForm, EvidenceForm, ReviewForm
from .models import Activity, Evidence

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
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "activities/list.html", {"filter": filterset, "page": page})


@reviewer_required
def review_queue(request):
    activities = Activity.objects.filter(status=Activity.Status.SUBMITTED).select_related(
        "region", "objective", "service__program", "created_by"
    )
    filterset = ActivityFilter(request.GET, queryset=activities.order_by("updated_at"), user=request.user)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "activities/review_queue.html", {"filter": filterset, "page": page})


@login_required
def activity_detail(request, pk):
    activity = visible_activity(request.user, pk)
    context = {
        "activity": activity,
        "institutions": activity.institutions.all(),
        "transitions": activity.transitions.select_related("by"),
        "history": activity.history.select_related("history_user")[:20],
        "evidence": activity.evidence.all(),
        "can_edit": access.can_edit_activity(request.user, activity),
        "can_review": access.can_review_activity(request.user, activity),
        "review_form": ReviewForm(),
        "evidence_form": EvidenceForm(),
    }
    return render(request, "activities/detail.html", context)


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
            messages.success(request, _("Draft saved. Add evidence, then submit it for review."))
            return redirect(activity)
    return form_page(request, form, status=400 if form.errors else 200)


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


@reviewer_required
@require_POST
def activity_review(request, pk):
    activity = visible_activity(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve, return or reopen."))
        return redirect(activity)
    return _transition(request, activity, form.cleaned_data["action"], form.cleaned_data["comment"])


DONE_MESSAGES = {
    "submit": _("Submitted for review. You will be told by email when it is reviewed."),
    "approve": _("Approved."),
    "return": _("Returned to the coordinator with your comment."),
    "reopen": _("Reopened: the coordinator can edit it again."),
}


def _transition(request, activity, action, comment):
    try:
        services.activity_transition(activity=activity, action=action, by=request.user, comment=comment)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(activity)
    messages.success(request, DONE_MESSAGES[action])
    return redirect("activities:review_queue" if action in ("approve", "return") else activity)


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
    response = FileResponse(
        handle, as_attachment=True, filename=f"evidencia-{evidence.pk}.{evidence.file.name.rsplit('.', 1)[-1]}"
    )
    response["Content-Type"] = evidence.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def evidence_delete(request, pk):
    evidence = get_object_or_404(Evidence.objects.select_related("activity"), pk=pk)
    if not access.can_view_evidence(request.user, evidence):
        raise Http404
    evidence_service.evidence_remove(evidence=evidence, by=request.user)
    messages.success(request, _("File removed."))
    return redirect(evidence.activity)
