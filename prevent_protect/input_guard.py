"""A request whose address or form carries a NUL character or bytes that are not UTF-8 is
answered 400 here, before any view, filter or form sees it.

No person types either. PostgreSQL cannot hold NUL in text and refuses it even as a filter
value, so such a value used to come back as a 500 from whichever query met it first; and Django
quietly replaces bytes that are not UTF-8 with U+FFFD, so a value sent in another encoding would
be saved as different text from what was sent. One check at the door covers every page, panel
form and API endpoint, those written later included.

What is read: the path, the raw query string (percent-decoded, as bytes), an urlencoded body,
the text fields of a multipart form on the site's pages, and the strings of a JSON body. Files
are binary and are not read; Django already drops control characters from their names. A cookie
with a NUL is dropped, not refused (see _drop_unreadable_cookies).
"""

import json
import re
from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

NUL = "\x00"
SUSPECT_JSON_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _readable_request(request):
            return _refused(request)
        _drop_unreadable_cookies(request)
        return self.get_response(request)


def _drop_unreadable_cookies(request):
    """A cookie holding a NUL (sent raw, or as the octal escape a quoted cookie may carry) was not
    set by the portal: it is dropped rather than refused, so that a browser holding one is not shut
    out. The session lookup would have sent it to PostgreSQL (a 500); the visitor is signed out."""
    cookies = request.COOKIES
    if any(NUL in name or NUL in value for name, value in cookies.items()):
        request.COOKIES = {name: value for name, value in cookies.items() if NUL not in name and NUL not in value}


def _readable_request(request):
    if NUL in request.path_info:
        return False
    if not _readable_pairs(_raw_query(request)):
        return False
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        return _readable_pairs(request.body)
    if content_type == "multipart/form-data" and request.method == "POST" and not _is_api(request):
        # Parsed by Django as the CSRF check would parse it a step later (a broken body is Django's
        # 400, as before). Under /api/ DRF parses
        # the body with the view's own parsers (a multipart body sent to a JSON endpoint is a
        # 415 there, which reading request.POST here would turn into an empty body), and its
        # text fields refuse NUL themselves. Bytes that are not UTF-8 are already U+FFFD here.
        return all(_readable_text(text) for name, values in request.POST.lists() for text in (name, *values))
    if content_type == "application/json" or content_type.endswith("+json"):
        return _readable_json(request.body)
    return True


def _raw_query(request):
    """The query string as the bytes the client sent: WSGI hands them over as latin-1 text."""
    query = request.META.get("QUERY_STRING", "")
    try:
        return query.encode("iso-8859-1")
    except UnicodeEncodeError:  # a server that decoded it as UTF-8 already (ASGI)
        return query.encode()


def _readable_pairs(raw):
    """Whether every name and value of a query string or urlencoded body, percent-decoded as
    Django will decode it, is UTF-8 without NUL."""
    for field in raw.split(b"&"):
        for part in field.split(b"=", 1):
            if not _readable_bytes(unquote_to_bytes(part.replace(b"+", b" "))):
                return False
    return True


def _readable_bytes(data):
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _readable_text(text):
    if NUL in text:
        return False
    try:
        # A lone surrogate (a JSON "\ud800") is text no encoder can write to the database.
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _readable_json(body):
    # A raw NUL or bytes that are not UTF-8 make the body invalid JSON, which the parser refuses
    # with its own message. Only a \u0000 or a surrogate escape decodes to text the database
    # refuses, and a body without one is not parsed twice.
    if not SUSPECT_JSON_ESCAPE.search(body):
        return True
    try:
        document = json.loads(body)
    except ValueError:
        return True
    return _readable_document(document)


def _readable_document(value):
    if isinstance(value, str):
        return _readable_text(value)
    if isinstance(value, dict):
        return all(_readable_text(key) and _readable_document(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_readable_document(item) for item in value)
    return True


def _is_api(request):
    return request.path_info.startswith("/api/")


def _refused(request):
    """400 in the request's language: the API's error shape under /api/, a page elsewhere."""
    # This runs before LocaleMiddleware: the language comes from the path, then the browser.
    with translation.override(translation.get_language_from_request(request, check_path=True)):
        message = _(
            "The address or the form contains a null character or text that is not UTF-8, which the "
            "portal cannot read. Check what was typed or pasted, and try again."
        )
        if _is_api(request):
            # The documented shape of every API 4xx (prevent_protect.rest.Error).
            body = {"error": {"status": 400, "code": "invalid_characters", "message": message}}
            return JsonResponse(body, status=400)
        response = HttpResponseBadRequest(render_to_string("400.html", {"message": message}))
    # The middleware after this one (CSP, frame options) do not see this answer; the page has no
    # script, style or image, so it needs nothing.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    response["X-Frame-Options"] = "DENY"
    return response
