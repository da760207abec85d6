"""A 404 under /api/ is JSON in the API's error shape, whichever URL pattern failed to match."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def not_found(request, exception):
    if request.path.startswith("/api/"):
        body = {"error": {"status": 404, "code": "not_found", "message": _("Not found.")}}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)
