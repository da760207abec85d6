"""The panel's spreadsheet import: download a region's template, upload for a dry run, confirm.

The uploaded bytes wait for the confirmation in the cache, under a random token and the user's
id, never in a public place; confirming runs every check again before anything is stored.
"""

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from regions.models import Region

from . import importing

PENDING_SECONDS = 60 * 60
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def importer_required(view):
    def wrapped(request, *args, **kwargs):
        if not importing.can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def pending_key(user, token):
    return f"activity-import:{user.pk}:{token}"


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
    response = HttpResponse(importing.build_template(region), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="activities-{region.slug}.xlsx"'
    return response


@importer_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request):
    regions = importing.author_regions(request.user)
    context = {"regions": regions}
    if request.method == "POST" and request.POST.get("token"):
        return confirm(request, context)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    context["form"] = form
    if request.method != "POST" or not form.is_valid():
        return render(request, "activities/import.html", context, status=400 if form.errors else 200)
    upload = form.cleaned_data["file"]
    region = form.cleaned_data["region"]
    try:
        if upload.size > importing.MAX_FILE_BYTES:
            raise importing.FileRefused(
                _("The file is larger than %(size)s MB.") % {"size": importing.MAX_FILE_BYTES // (1024 * 1024)}
            )
        data = upload.read()
        result, _checked = importing.check_rows(data, user=request.user, default_region=region)
    except importing.FileRefused as exc:
        form.add_error("file", str(exc))
        return render(request, "activities/import.html", context, status=400)
    context["result"] = result
    if result.is_valid and result.new:
        token = secrets.token_urlsafe(24)
        cache.set(pending_key(request.user, token), {"data": data, "region": region and region.pk}, PENDING_SECONDS)
        context["token"] = token
    return render(request, "activities/import.html", context)


def confirm(request, context):
    key = pending_key(request.user, request.POST["token"])
    pending = cache.get(key)
    if pending is None:
        messages.error(request, _("That upload has expired. Upload the file again."))
        return redirect("activities:import")
    region = Region.objects.filter(pk=pending["region"]).first() if pending["region"] else None
    try:
        result = importing.activities_import(pending["data"], user=request.user, default_region=region)
    except importing.ImportConflict:
        messages.error(request, _("These rows were imported meanwhile by another upload. Upload the file again."))
        return redirect("activities:import")
    cache.delete(key)
    if not result.is_valid:
        # Something changed since the dry run (a partner removed, a membership ended): nothing was saved.
        context.update(form=UploadForm(user=request.user), result=result)
        return render(request, "activities/import.html", context, status=400)
    messages.success(
        request,
        _("%(created)s activities imported as drafts; %(already)s were already imported.")
        % {"created": result.created, "already": result.already},
    )
    return redirect("activities:list")
