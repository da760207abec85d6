"""What every API endpoint shares: one error shape and pagination.

DRF and drf-spectacular load these by dotted path from settings.REST_FRAMEWORK,
so the apps never import this module.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ErrorBody(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="What went wrong, in the request's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For `invalid`: the messages of each field that was refused.",
    )


class Error(serializers.Serializer):
    """Every 4xx answer of the API has this shape."""

    error = ErrorBody()


def _as_drf(exc):
    # Rules enforced by models and services raise Django's exceptions; answer them like DRF's.
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail=detail, code=getattr(exc, "code", None) or "invalid")
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _flatten(detail, prefix=""):
    """{"field": ["message", ...]} from DRF's nested error detail."""
    if isinstance(detail, dict):
        fields = {}
        for key, value in detail.items():
            fields.update(_flatten(value, f"{prefix}{key}." if prefix or key else ""))
        return fields
    if isinstance(detail, list) and detail and isinstance(detail[0], dict | list):
        fields = {}
        for index, value in enumerate(detail):
            fields.update(_flatten(value, f"{prefix}{index}."))
        return fields
    messages = [str(item) for item in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix.rstrip(".") or "non_field_errors": messages}


def error_handler(exc, context):
    response = exception_handler(_as_drf(exc), context)
    if response is None:
        return None
    exc = _as_drf(exc)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid"
        first = next(iter(fields.values()))[0]
        body = {"status": response.status_code, "code": code, "message": first, "fields": fields}
    else:
        detail = getattr(exc, "detail", str(exc))
        code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
        body = {"status": response.status_code, "code": code, "message": str(detail)}
    response.data = {"error": body}
    return response


def error_response(status_code, code, message):
    """The documented error shape, for views that refuse without raising."""
    return Response({"error": {"status": status_code, "code": code, "message": message}}, status=status_code)


class PagePagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # A page size above the maximum is refused, not silently cut: the client asked for something else.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            message = _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
            try:
                size = int(raw)
            except ValueError:
                raise exceptions.ValidationError({"page_size": [message]}) from None
            if not 1 <= size <= self.max_page_size:
                raise exceptions.ValidationError({"page_size": [message]})
        return super().get_page_size(request)
