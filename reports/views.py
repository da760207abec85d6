"""The panel's Reports page: request a report, follow its progress, download it.

Every report is fetched through `services.report_for_user` and every file opened through
`services.report_open`, so another region's report is a 404 whatever URL is typed.
"""

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from activities.models import Activity
from prevent_protect.query import query_int
from programs.models import Objective, Service

from . import services
from .forms import ReportForm
from .models import Report
from .progress import report_period

PAGE_SIZE = 25
CONTENT_TYPES = {
    Report.Format.CSV: "text/csv; charset=utf-8",
    Report.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Report.Format.PDF: "application/pdf",
}


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request):
    form = ReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report, created = services.report_request(
                user=request.user, language=_language(), **form.request_arguments()
            )
        except PermissionDenied:
            form.add_error("region", _("You may not request reports for this region."))
        except ValidationError as exc:
            # The service's own refusal (the form already checked what it could): shown above the form.
            for message in exc.messages:
                form.add_error(None, message)
        else:
            _tell(request, report, created)
            return redirect("reports:list")
    reports = Report.objects.visible_to(request.user).select_related("region")
    page = Paginator(reports, PAGE_SIZE).get_page(query_int(request, "page", default=1))
    describe = Describer()
    context = {
        "form": form,
        "page": page,
        "rows": [(report, describe(report)) for report in page.object_list],
        "any_active": any(report.status in Report.ACTIVE for report in page.object_list),
    }
    return render(request, "reports/list.html", context, status=400 if form.errors else 200)


class Describer:
    """Says in words what a report covers. The objectives and services are read once for the page
    (a few dozen rows), not once per report."""

    def __init__(self):
        self.objectives = dict(Objective.objects.values_list("pk", "code"))
        self.services = {service.pk: service.localized("name") for service in Service.objects.only("name", "name_en")}
        self.statuses = dict(Activity.Status.choices)

    def __call__(self, report):
        parameters = report.parameters or {}
        parts = []
        if report.kind != Report.Kind.ACTIVITIES:
            with contextlib.suppress(ValueError):  # an old row's odd parameters must not break the page
                parts.append(report_period(parameters).label)
            # The period says the dates; what follows adds the objective or service only.
            parameters = {key: value for key, value in parameters.items() if key in ("objective", "service")}
        if "objective" in parameters:
            parts.append(self.objectives.get(parameters["objective"], "?"))
        if "service" in parameters:
            parts.append(self.services.get(parameters["service"], "?"))
        if "status" in parameters:
            parts.append(str(self.statuses.get(parameters["status"], parameters["status"])))
        if "date_from" in parameters or "date_to" in parameters:
            parts.append(f"{parameters.get('date_from', '…')} – {parameters.get('date_to', '…')}")
        return " · ".join(parts) or _("All activities")


def _language():
    return (get_language() or "es").split("-")[0]


def _tell(request, report, created):
    if created:
        messages.success(request, _("Your report is being prepared. You may leave this page and come back later."))
    else:
        messages.info(request, _("The same report is already being prepared: follow it in the list below."))


@login_required
@require_GET
def report_detail(request, pk):
    """One report, the page the "report ready" e-mail links to."""
    report = services.report_for_user(request.user, pk)
    context = {"report": report, "covers": Describer()(report), "any_active": report.status in Report.ACTIVE}
    return render(request, "reports/detail.html", context)


@login_required
@require_GET
@never_cache
def report_status(request, pk):
    report = services.report_for_user(request.user, pk)
    return JsonResponse(status_body(report))


def status_body(report):
    """What the page's script needs to update a row."""
    done = report.status == Report.Status.DONE
    return {
        "id": report.pk,
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "progress": report.progress,
        "error": report.error if report.status == Report.Status.FAILED else "",
        "download_url": reverse("reports:download", args=[report.pk]) if done else None,
    }


@login_required
@require_GET
def report_download(request, pk):
    report = services.report_for_user(request.user, pk)
    if report.status != Report.Status.DONE:
        raise Http404
    response = FileResponse(services.report_open(report, request.user), as_attachment=True, filename=filename(report))
    response["Content-Type"] = CONTENT_TYPES[report.format]
    response["X-Content-Type-Options"] = "nosniff"
    # A report is private figures: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response


# The words of a file's name, in the language of the request that downloads it.
KIND_FILE_NAMES = {
    Report.Kind.ACTIVITIES: pgettext_lazy("file name", "activities"),
    Report.Kind.REGIONAL_PROGRESS: pgettext_lazy("file name", "regional-progress"),
    Report.Kind.NATIONAL_SUMMARY: pgettext_lazy("file name", "national-summary"),
}


def filename(report):
    """A name that says what the file is, in the reader's language, with no person's name in it."""
    parts = [str(KIND_FILE_NAMES[report.kind])]
    if report.region_id:
        parts.append(report.region.slug)
    elif report.kind != Report.Kind.NATIONAL_SUMMARY:  # which says "national" already
        parts.append(pgettext("file name", "national"))
    return f"{'-'.join(parts)}-{report.pk}.{report.format}"
