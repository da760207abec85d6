"""The panel's spreadsheet import: download a region's template, upload for a dry run, follow it,
confirm, follow the import.

Every upload gets the file-wide checks in the request (its size before it is stored, the package,
formulas, empty rows, the columns), so a refused file is refused at once and nothing is kept. A file
of up to INLINE_ROWS rows is then checked in the request as well; a larger one becomes an ImportJob
that a Celery task checks while its page shows the progress. A dry run with rows to import is kept as
a job, privately, until it is confirmed or expires; confirming imports the rows the dry run checked.
"""

import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from regions import access
from regions.models import Region

from . import importing, tasks
from .import_template import build_template
from .models import ImportJob

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Files up to this many rows are checked, and imported, while the person waits (about a second).
INLINE_ROWS = 2_000
# What a multipart body holds besides the file: the boundaries, the token, the region.
FORM_OVERHEAD_BYTES = 64 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx)"),
        help_text=gettext_lazy(
            "The template filled in: at most 10,000 rows and 5 MB. Nothing is saved before you confirm."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_TYPE}),
    )
    region = forms.ModelChoiceField(
        label=gettext_lazy("Region for rows that leave it empty"),
        queryset=Region.objects.none(),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = importing.author_regions(user)
        self.fields["region"].queryset = regions
        if len(regions) == 1:
            self.fields["region"].initial = regions.first()


class ImportUploadCap(FileUploadHandler):
    """The first of FILE_UPLOAD_HANDLERS (settings). On the import page's upload only, it takes the
    file into memory up to MAX_FILE_BYTES and refuses it past that, before anything is stored: a body
    that announces more is not even read, and a file that turns out larger is dropped at the first
    byte over. Whoever reads the body first (a middleware, the CSRF check, the view) reads it through
    this. Any other upload passes through untouched."""

    def __init__(self, request=None):
        super().__init__(request)
        self.active = request is not None and request.method == "POST" and request.path_info in upload_paths()
        self.content = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if self.active and content_length > importing.MAX_FILE_BYTES + FORM_OVERHEAD_BYTES:
            self._refuse()
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.active:
            self.content = io.BytesIO()
            raise StopFutureHandlers  # no other handler opens a file (a temporary one) for it

    def receive_data_chunk(self, raw_data, start):
        if not self.active:
            return raw_data
        if start + len(raw_data) > importing.MAX_FILE_BYTES:
            self._refuse()
            # What remains of the body is a few kilobytes at most (see handle_raw_input).
            raise StopUpload(connection_reset=False)
        self.content.write(raw_data)
        return None

    def file_complete(self, file_size):
        if not self.active:
            return None
        self.content.seek(0)
        return InMemoryUploadedFile(
            self.content, self.field_name, self.file_name, self.content_type, file_size, self.charset
        )

    def _refuse(self):
        self.request.import_upload_refused = True


def upload_paths():
    paths = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            paths.add(reverse("activities:import"))
    return paths


def too_large_message():
    return _("The file is larger than %(size)s MB.") % {"size": importing.MAX_FILE_BYTES // (1024 * 1024)}


def importer_required(view):
    def wrapped(request, *args, **kwargs):
        if not importing.can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def job_for_user(user, pk, *, owner_only=False):
    """The job, for its owner (and, to read, national staff); anyone else finds nothing."""
    job = get_object_or_404(ImportJob.objects.defer("checked_rows").select_related("region"), pk=pk)
    if job.user_id != user.pk and (owner_only or not access.is_national(user)):
        raise Http404
    return job


@importer_required
@require_safe
def import_template(request):
    regions = importing.author_regions(request.user)
    region_id = request.GET.get("region", "")
    if region_id:
        # Another region's template is not found: coordinators author in their own regions only.
        if not region_id.isdigit():
            raise Http404
        region = get_object_or_404(regions, pk=region_id)
    elif len(regions) == 1:
        region = regions.first()
    else:
        return redirect("activities:import")
    response = HttpResponse(build_template(region), content_type=XLSX_TYPE)
    name = pgettext("file name", "activities")
    response["Content-Disposition"] = f'attachment; filename="{name}-{region.slug}.xlsx"'
    return response


# A file over the cap is refused before the CSRF check, which would otherwise answer the body
# ImportUploadCap left unread with its own 403; the token is checked below for everything else.
@csrf_exempt
@importer_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request):
    if request.method == "POST":
        request.POST  # noqa: B018 - the body is read through ImportUploadCap, if no middleware has read it yet
        if getattr(request, "import_upload_refused", False):
            # Refused unread and unstored: nothing changes, so there is no forgery to guard against.
            form = UploadForm(request.POST, request.FILES, user=request.user)
            form.errors["file"] = form.error_class([too_large_message()])
            return render_upload(request, form, status=413)
    return upload(request)


@csrf_protect
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method != "POST" or not form.is_valid():
        return render_upload(request, form, status=400 if form.errors else 200)
    data = form.cleaned_data["file"].read()
    job_fields = {
        "user": request.user,
        "region": form.cleaned_data["region"],
        "data": data,
        "file_name": form.cleaned_data["file"].name,
        "language": (get_language() or "es").split("-")[0],
    }
    try:
        references = importing.References(request.user)
        sheet = importing.read_sheet(data, references)
    except importing.FileRefused as exc:
        form.add_error("file", str(exc))
        return render_upload(request, form, status=400)
    if len(sheet.rows) > INLINE_ROWS:
        job = tasks.import_job_queue(**job_fields)
        return redirect("activities:import_job", job.pk)
    result, checked = importing.check_sheet(
        sheet, references, user=request.user, default_region=form.cleaned_data["region"]
    )
    job = tasks.import_job_ready(**job_fields, result=result, checked=checked) if result.is_valid and checked else None
    return render_upload(request, form, result=result, job=job)


def render_upload(request, form, status=200, **context):
    context.update(form=form, regions=importing.author_regions(request.user))
    return render(request, "activities/import.html", context, status=status)


@login_required
@require_safe
def import_job(request, pk):
    job = job_for_user(request.user, pk)
    context = {
        "job": job,
        "result": job if job.status in (ImportJob.Status.READY, ImportJob.Status.CHECKED) else None,
        "is_owner": job.user_id == request.user.pk,
        "checking": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.CHECKING),
    }
    return render(request, "activities/import_job.html", context)


@login_required
@require_safe
@never_cache
def import_job_status(request, pk):
    """What the page's script needs to move the progress bar; once the job is no longer active the
    page is loaded again, and says the outcome."""
    job = job_for_user(request.user, pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": str(job.get_status_display()),
            "progress": job.progress,
            "active": job.is_active,
            "rows": job.rows,
            "error_count": job.error_count,
            "new": job.new,
            "already": job.already,
            "created": job.created,
        }
    )


@importer_required
@require_POST
def import_confirm(request, pk):
    job = job_for_user(request.user, pk, owner_only=True)
    if job.status != ImportJob.Status.READY:
        return redirect("activities:import_job", job.pk)
    if not tasks.import_job_confirm(job):
        messages.error(request, _("That upload has expired. Upload the file again."))
        return redirect("activities:import")
    if job.new > INLINE_ROWS:
        transaction.on_commit(lambda: tasks.enqueue(tasks.run_import, job.pk))
        return redirect("activities:import_job", job.pk)
    claimed = tasks.claim(job.pk, ImportJob.Status.CONFIRMED, ImportJob.Status.IMPORTING)
    if claimed is not None:
        tasks.import_job_import(claimed)
    job.refresh_from_db()
    if job.status != ImportJob.Status.DONE:
        # Something changed since the dry run, or the import failed: nothing was saved, the page says why.
        return redirect("activities:import_job", job.pk)
    messages.success(
        request,
        _("%(created)s activities imported as drafts; %(already)s were already imported.")
        % {"created": job.created, "already": job.already},
    )
    return redirect("activities:list")
