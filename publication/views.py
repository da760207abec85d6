"""Staff's page of the public releases: when the next one is due, every one so far, and "publish now"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from activities.models import Activity
from regions import access

from .selectors import current_release, releases
from .services import release_publish

RELEASES_SHOWN = 30


@login_required
@require_http_methods(["GET", "POST"])
def release_list(request):
    if not access.can_edit_content(request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            release = release_publish(by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Release %(number)s published.") % {"number": release.number})
        # Back by GET, so that reloading the page does not publish again.
        return redirect("publication:releases")
    latest = current_release()
    waiting = Activity.objects.approved()
    if latest:
        waiting = waiting.exclude(approved_at__lte=latest.cut_off)
    context = {
        "latest": latest,
        "waiting": waiting.count(),
        "releases": releases().select_related("published_by")[:RELEASES_SHOWN],
    }
    return render(request, "publication/releases.html", context)
