"""Errors under /api/ are JSON in the API's error shape, whichever URL pattern failed to match or
whatever broke; elsewhere a page in the visitor's language that still gives the help lines."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def _api_error(status, code, message):
    return JsonResponse({"error": {"status": status, "code": code, "message": message}}, status=status)


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return _api_error(404, "not_found", _("Not found."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Nothing here may need the database: it is often what failed (templates/500.html neither).
    if request.path.startswith("/api/"):
        return _api_error(500, "server_error", _("Something went wrong on our side. Try again in a moment."))
    return defaults.server_error(request)
