"""The installable panel: its manifest, its service worker and the outbox page.

A coordinator in a school without signal opens the panel from the phone's home screen, logs the
activity and its photos, and the outbox (static/js/outbox.js) sends them through the API when the
connection returns. The service worker keeps what that needs on the phone: the panel's pages that
work offline, the form with the coordinator's own reference data (objectives, services, regions,
partners), and the static files. Each language has its own worker, scoped to its panel.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from regions import access

from .views import DONE_MESSAGES

# What the panel's pages load; the worker keeps them so that a page it serves offline is whole.
SHELL_STATIC = (
    "css/portal.css",
    "css/public.css",
    "js/quick-exit.js",
    "js/activity-form.js",
    "js/point-map.js",
    "js/outbox-form.js",
    "js/outbox-page.js",
    "js/outbox.js",
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "icons/favicon.svg",
    "icons/panel-192.png",
    "icons/panel-512.png",
)
# The pages that work without a connection: the panel's home, the new-activity form and the outbox.
SHELL_PAGES = ("activities:panel", "activities:create", "activities:outbox")


@require_safe
def service_worker(request):
    """The worker's script, with this release's file list and a version that changes with them.

    A new version installs beside the running one and takes over once no page of the old one is
    open, so a form being filled in is never swapped under the coordinator's fingers.
    """
    pages = [reverse(name) for name in SHELL_PAGES]
    assets = [static(path) for path in SHELL_STATIC]
    context = {
        "version": shell_version(tuple(assets), settings.PANEL_APP_VERSION),
        "pages": json.dumps(pages),
        "assets": json.dumps(assets),
        "fallback": json.dumps(reverse("activities:outbox")),
    }
    response = render(request, "activities/sw.js", context, content_type="text/javascript; charset=utf-8")
    # The browser checks the worker at each navigation; it must ask the server, not a cache.
    response["Cache-Control"] = "no-cache"
    return response


def shell_version(assets, release):
    """A digest of the shell's files: any change of a script or style makes a new worker.

    Read at each request (a millisecond): an edited file shows without a restart.
    """
    digest = hashlib.sha256(release.encode())
    for path in SHELL_STATIC:
        found = finders.find(path)
        if found:
            with open(found, "rb") as source:
                digest.update(source.read())
    digest.update("".join(assets).encode())
    return digest.hexdigest()[:12]


@require_safe
def manifest(request):
    """The Web App Manifest that lets a coordinator install the panel on the phone's home screen."""
    body = {
        "name": _("Prevent to Protect: regional panel"),
        "short_name": _("PP panel"),
        "description": _("Log the campaign's community activities, with or without a connection."),
        "lang": get_language(),
        "start_url": reverse("activities:panel"),
        "scope": reverse("activities:panel"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#7a1f5c",
        "icons": [
            {"src": static("icons/panel-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/panel-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")


@login_required
@require_safe
def outbox(request):
    """Activities saved on this phone and not yet sent; the list itself is drawn by outbox.js."""
    can_log = access.is_admin(request.user) or bool(access.member_region_ids(request.user))
    return render(request, "activities/outbox.html", {"can_log": can_log})


# What the outbox's scripts say; they read it from the page (panel_app_config), in its language.
OUTBOX_TEXT = {
    "saved": gettext_lazy("Saved on this phone"),
    "sending": gettext_lazy("Sending…"),
    "attention": gettext_lazy("Needs your attention"),
    "draft": gettext_lazy("Draft"),
    "submit": gettext_lazy("To submit for review"),
    "waitingConnection": gettext_lazy("Waiting for a connection; it is sent as soon as there is one."),
    "serverBusy": gettext_lazy("The server did not answer; it will be sent again in a moment."),
    "refused": gettext_lazy("The server refused it; see the message on each field."),
    "signIn": gettext_lazy("Your session has ended: sign in again, then send it."),
    "queuedOffline": gettext_lazy(
        "No connection: the activity is saved on this phone and will be sent when the connection returns. "
        "You can log the next one."
    ),
    "queuedRetry": gettext_lazy(
        "The server did not answer: the activity is saved on this phone and will be sent again."
    ),
    "sendingNow": gettext_lazy("Saved on this phone. Sending…"),
    "refusedForm": gettext_lazy(
        "The server refused the activity: it stays saved on this phone. Correct what is marked and save again."
    ),
    "untitled": gettext_lazy("Untitled activity"),
    "regionRequired": gettext_lazy("Choose the region the activity belongs to."),
    "leaveWarning": gettext_lazy("Some activities have not been sent yet."),
    "discardConfirm": gettext_lazy("Discard this activity and its photos from this phone? This cannot be undone."),
    "onServer": gettext_lazy("Already saved as a draft on the server, where it stays if you discard it here."),
    "photos": gettext_lazy("Photos and files"),
    "remove": gettext_lazy("Remove"),
    "edit": gettext_lazy("Edit"),
    "change": gettext_lazy("Change"),
    "discard": gettext_lazy("Discard"),
    "open": gettext_lazy("Open the activity"),
    "sentDraft": gettext_lazy("Sent as a draft"),
    "savedDraft": gettext_lazy("Draft saved. Add evidence, then submit it for review."),
    "savedWithFiles": gettext_lazy("Draft saved with its files."),
    "submitted": DONE_MESSAGES["submit"],
    "sentSubmitted": gettext_lazy("Sent for review"),
    "preparing": gettext_lazy("Preparing the photos…"),
    "tooBig": gettext_lazy("%(name)s is over 10 MB: choose a smaller file."),
    "wrongType": gettext_lazy("%(name)s is not a photo (JPEG, PNG, WebP) or a PDF."),
    "notFound": gettext_lazy("This activity is no longer on this phone: it was sent or discarded."),
    "outdated": gettext_lazy("A newer version of the panel is open in another tab: reload this page before saving."),
    "noAnswer": gettext_lazy("No answer"),
    "none": gettext_lazy("None"),
}
