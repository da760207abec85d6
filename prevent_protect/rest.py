"""What every API endpoint shares: how callers authenticate, one error shape, the refusals
every app raises, pagination and absolute links.

DRF and drf-spectacular load the first ones by dotted path from settings.REST_FRAMEWORK; the
apps' api modules import the rest. This module imports no app (it is loaded while DRF itself
is being imported), and no app imports prevent_protect.api, which imports them all.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import HTTP_HEADER_ENCODING, exceptions, pagination, serializers
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .counting import EstimatingPaginator, exact_up_to

# Any id-shaped path segment reaches the view, so `/activities/1.5/` is answered 404 in the API's
# shape rather than by Django's HTML page for an unmatched URL. The schema still says "integer"
# (prevent_protect.schema): that is what a client should send.
ANY_ID = r"[^/]+"


# Authentication -------------------------------------------------------------------


class TokenOrBearerAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, or `Bearer <key>` as generated clients send it.

    Any other use of the header (another scheme, a malformed value) is refused with 401: a
    client that believes it signed in must not be answered as an anonymous caller would be
    (an empty list of drafts, a 404 for its own activity).
    """

    schemes = (b"token", b"bearer")

    def authenticate(self, request):
        header = get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() not in self.schemes:
            raise exceptions.AuthenticationFailed(
                _("Send the token as `Authorization: Token <token>` or `Authorization: Bearer <token>`."),
                code="unsupported_authorization",
            )
        if len(parts) == 1:
            raise exceptions.AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header. Token string should not contain spaces."))
        try:
            key = parts[1].decode(HTTP_HEADER_ENCODING)
        except UnicodeError:
            message = _("Invalid token header. Token string should not contain invalid characters.")
            raise exceptions.AuthenticationFailed(message) from None
        return self.authenticate_credentials(key)


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
    # Imported here: rest_framework.views reads DEFAULT_AUTHENTICATION_CLASSES while it loads,
    # which names this module; at the top it would fail whenever this module is loaded first
    # (a Celery worker's system checks reach DEFAULT_PAGINATION_CLASS before any view).
    from rest_framework import views

    response = views.exception_handler(_as_drf(exc), context)
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


# Refusals --------------------------------------------------------------------------


class Refused(exceptions.APIException):
    """A service's refusal that is about the request as a whole; its code says which rule."""

    status_code = 400
    default_code = "invalid"


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_code = "edit_conflict"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"


class RefuseUnknownFields:
    """A serializer mixin: a write naming a field the resource lacks is refused with that field's
    name, so a typo ("valeu") is not silently dropped while the client believes it was saved.
    """

    # The browsable API's upload form posts Django's CSRF token with the file.
    ignored = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields) - self.ignored)
            if unknown:
                raise serializers.ValidationError({name: [_("This field is not accepted here.")] for name in unknown})
        return super().to_internal_value(data)


class WhitelistOrdering(OrderingFilter):
    """An unknown ordering is refused rather than ignored; the id breaks ties, so pages never overlap."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        terms = [term.strip() for term in raw.split(",") if term.strip()]
        if not terms or any(term.lstrip("-") not in view.ordering_fields for term in terms):
            message = _("Order by one or more of: %(fields)s.") % {"fields": ", ".join(view.ordering_fields)}
            raise serializers.ValidationError({self.ordering_param: [message]})
        return terms if {"id", "-id"} & set(terms) else [*terms, "-id"]


class IgnoreAccept(BaseContentNegotiation):
    """Files are files whatever the client accepts; refusals are still JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# Links and pages ----------------------------------------------------------------------


def absolute_url(name, *args):
    """The address of a named API route, on SITE_URL: what the request's Host header says is
    not trusted to build links (behind the proxy it is an internal name, or anything a caller
    typed)."""
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


class PagePagination(pagination.PageNumberPagination):
    """Pages of `page_size` rows. `count` is exact up to settings.LIST_COUNT_EXACT_UP_TO rows
    and PostgreSQL's estimate past it (`count_exact` says which; prevent_protect.counting): a
    COUNT(*) of a million rows on every page is what made staff's list of every activity slow.
    `next` never depends on the estimate: it is there when a row follows the page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = EstimatingPaginator

    def get_page_number(self, request, paginator):
        # `page=last` names the real last page, which an estimate cannot place: it alone pays
        # for an exact count.
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            paginator.count_exactly()
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        envelope = super().get_paginated_response_schema(schema)
        properties = envelope["properties"]
        properties["count"] = {
            "type": "integer",
            "minimum": 0,
            "example": 123,
            "description": "How many results the list has: exact when `count_exact` is true, PostgreSQL's "
            f"estimate otherwise (a list longer than {exact_up_to():,} rows; its last page gives the exact number).",
        }
        count_exact = {
            "type": "boolean",
            "description": "Whether `count` is exact. Pages are followed by `next`, which is there exactly when "
            "a row follows this page, whatever the count says.",
        }
        envelope["properties"] = {"count": properties.pop("count"), "count_exact": count_exact, **properties}
        envelope["required"] = ["count", "count_exact", "results"]
        return envelope

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

    def get_next_link(self):
        if not self.page.has_next():
            return None
        return replace_query_param(self._here(), self.page_query_param, self.page.next_page_number())

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        if self.page.previous_page_number() == 1:
            return remove_query_param(self._here(), self.page_query_param)
        return replace_query_param(self._here(), self.page_query_param, self.page.previous_page_number())

    def _here(self):
        return settings.SITE_URL.rstrip("/") + self.request.get_full_path()
