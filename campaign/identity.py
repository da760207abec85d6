"""The state's voice: the site's icon, and the legal and privacy notices every ministry site carries.

The header and footer (templates/_gov_identity.html, templates/base.html) say in text whose site
this is and link to the ministry's official page; no mark of the Government of Peru is copied.
"""

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from publication.cache import public_page

from .views import page


@require_safe
@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request):
    """/favicon.ico, which browsers and crawlers ask for whatever the page links to."""
    found = finders.find("icons/favicon.ico")
    if not found:
        raise Http404
    return FileResponse(open(found, "rb"), content_type="image/x-icon")


@require_safe
@public_page
def legal_notice(request):
    return page(
        request, "campaign/legal.html", _("Legal notice"), _("Who publishes this site, and the terms of its use.")
    )


@require_safe
@public_page
def privacy_notice(request):
    return page(
        request,
        "campaign/privacy.html",
        _("Privacy"),
        _(
            "What this site keeps about its visitors (nothing that identifies them) "
            "and about the campaign's activities."
        ),
    )
