"""Hostile evidence files, each refused with a message through both doors a coordinator uses (the
activity's evidence form on the panel and POST /api/v1/activities/<id>/evidence/), and nothing
stored: no Evidence row, no file in MEDIA_ROOT. A picture that announces more pixels than a phone
takes is refused from its header, before it is decoded; a PDF is read with a real parser, every
object of it (in the cross-reference table or not, packed in an object stream or not), and refused
for any script, action that reaches outside the document, attached file, form or encryption.
Every file is built here; each PDF is first shown to be one that pypdf reads as its author meant,
so that a refusal cannot come from a file broken by accident. A harmless PDF and a phone's photo
still go through."""

import functools
import io
import warnings
import zlib
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image, ImageFile
from pypdf.actions import JavaScript
from pypdf.annotations import Link
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject
from rest_framework.test import APIClient

from activities import evidence as evidence_checks
from activities import pdf_check
from activities.models import Evidence

from .factories import PDF_PAGES as PAGES
from .factories import ActivityFactory, handmade_pdf

A4 = (595, 842)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # The API's throttles count in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, created_by=coord_amazonas, status="draft")


# Pictures.


@functools.cache
def pixel_bomb_png():
    """The issue's file: 9,400 x 9,400 one-bit pixels, all black, in about 11 KB."""
    out = io.BytesIO()
    Image.new("1", (9_400, 9_400)).save(out, "PNG", optimize=True)
    return out.getvalue()


@functools.cache
def grey_jpeg(width, height):
    out = io.BytesIO()
    Image.new("L", (width, height), 128).save(out, "JPEG", quality=50)
    return out.getvalue()


def phone_photo():
    out = io.BytesIO()
    Image.effect_noise((1200, 900), 40).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


# PDFs written with pypdf.


def written(writer):
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def one_page():
    writer = pypdf.PdfWriter()
    writer.add_blank_page(*A4)
    return writer


def pdf_opening_with(action):
    writer = one_page()
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(action)
    return written(writer)


def pdf_with_link(action):
    writer = one_page()
    annotation = Link(rect=(50, 700, 250, 720), url="https://ejemplo.org/")
    annotation[NameObject("/A")] = DictionaryObject(action)
    writer.add_annotation(page_number=0, annotation=annotation)
    return written(writer)


def pdf_with_script_on_open():
    writer = one_page()
    writer.add_open_action(JavaScript("app.launchURL('https://ejemplo.org/?' + this.path)"))
    return written(writer)


def pdf_with_url_link():
    writer = one_page()
    writer.add_annotation(page_number=0, annotation=Link(rect=(50, 700, 250, 720), url="https://ejemplo.org/pixel"))
    return written(writer)


def pdf_with_attachment():
    writer = one_page()
    writer.add_attachment("lista.exe", b"MZ\x90\x00" + bytes(60))
    return written(writer)


def pdf_with_form():
    writer = one_page()
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject()})
    return written(writer)


def pdf_encrypted_with_an_empty_password():
    # Opens without asking for a password, yet its strings and streams are encrypted.
    writer = one_page()
    writer.encrypt(user_password="", owner_password="dueño")
    return written(writer)


def pdf_with_page_actions():
    writer = one_page()
    page_open = DictionaryObject({NameObject("/O"): DictionaryObject({NameObject("/S"): NameObject("/GoTo")})})
    writer.pages[0][NameObject("/AA")] = page_open
    return written(writer)


def harmless_pdf():
    """What a coordinator sends: a page, a bookmark to it, and a document that opens on it."""
    writer = one_page()
    writer.add_outline_item(title="Lista de asistencia", page_number=0)
    writer.open_destination = writer.pages[0]
    writer.add_metadata({"/Title": "Taller de crianza en Luya"})
    return written(writer)


def scanned_page_pdf():
    out = io.BytesIO()
    Image.effect_noise((620, 877), 40).convert("RGB").save(out, "PDF", resolution=75)
    return out.getvalue()


def name(value):
    return NameObject(value)


LAUNCH = {name("/S"): name("/Launch"), name("/F"): TextStringObject("cmd.exe")}
REMOTE_GO_TO = {
    name("/S"): name("/GoToR"),
    name("/F"): TextStringObject("//servidor/doc.pdf"),
    name("/D"): ArrayObject(),
}
SUBMIT_FORM = {name("/S"): name("/SubmitForm"), name("/F"): TextStringObject("https://ejemplo.org/recoger")}
GO_TO_ON_OPEN = {name("/S"): name("/GoTo"), name("/D"): ArrayObject([NumberObject(0), name("/Fit")])}


# PDFs written by hand, byte for byte: the bypasses, and an action packed in an object stream.


PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
SCRIPT = b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hola'\\)) >>"


def pdf_hiding_a_script_behind_stream_in_a_string():
    # "stream" and a newline in a string made the old scanner take everything up to the next
    # "endstream" (here in another string) for stream data, and skip the script object between.
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Lang (stream\n) /OpenAction 4 0 R >>"
    return handmade_pdf(catalog, PAGES, PAGE, SCRIPT, b"<< /Note (endstream) >>")


def pdf_hiding_a_script_behind_stream_in_a_comment():
    catalog = b"<< /Type /Catalog /Pages 2 0 R % stream\n/OpenAction 4 0 R >>"
    return handmade_pdf(catalog, PAGES, PAGE, SCRIPT, b"<< % endstream\n/Note (x) >>")


def pdf_hiding_a_launch_behind_stream():
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Lang (stream\n) /OpenAction 4 0 R >>"
    launch = b"<< /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >>"
    return handmade_pdf(catalog, PAGES, PAGE, launch, b"<< /Note (endstream) >>")


def pdf_with_an_action_in_an_object_stream():
    """PDF 1.5: the catalogue and its action packed, compressed, in an object stream, found through
    a cross-reference stream, the way most office programs write PDFs today."""
    packed_objects = [
        (1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
        (4, b"<< /S /URI /URI (https://ejemplo.org/abierto) >>"),
    ]
    header, bodies = b"", b""
    for number, body in packed_objects:
        header += b"%d %d " % (number, len(bodies))
        bodies += body + b"\n"
    packed = zlib.compress(header + bodies)
    object_stream = b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(header),
        len(packed),
        packed,
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in [(2, PAGES), (3, PAGE), (5, object_stream)]:
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[6] = len(out)
    entries = {0: (0, 0, 65535), 1: (2, 5, 0), 4: (2, 5, 1), 6: (1, offsets[6], 0)}
    entries |= {number: (1, offset, 0) for number, offset in offsets.items()}
    table = b"".join(
        bytes([kind]) + field.to_bytes(4, "big") + generation.to_bytes(2, "big")
        for kind, field, generation in (entries[number] for number in range(7))
    )
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        len(table),
        table,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def open_action(content):
    """The document's opening action as pypdf reads it: the proof that a file says what it means to."""
    return pypdf.PdfReader(io.BytesIO(content)).trailer["/Root"]["/OpenAction"]


# The two doors.


def through_the_panel(client, activity, content, filename):
    with translation.override("en"):
        target = reverse("activities:evidence_upload", args=[activity.pk])
    file = io.BytesIO(content)
    file.name = filename
    response = client.post(target, {"file": file, "caption": "Taller"})
    assert response.status_code == 302, response.status_code
    page = client.get(response.url)
    return [str(message) for message in page.context["messages"]]


def through_the_api(client, activity, content, filename):
    file = io.BytesIO(content)
    file.name = filename
    response = client.post(
        f"/api/v1/activities/{activity.pk}/evidence/",
        {"file": file, "caption": "Taller"},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return response


def files_stored():
    media = Path(settings.MEDIA_ROOT)
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@pytest.fixture
def panel(coord_amazonas):
    client = Client()
    client.force_login(coord_amazonas)
    return client


@pytest.fixture
def api(coord_amazonas):
    client = APIClient()
    client.force_login(coord_amazonas)
    return client


ACTIVE = "This PDF contains links, scripts, forms or attached files and cannot be accepted"
ENCRYPTED = "This PDF is password-protected or encrypted; save an unprotected copy and attach that."

HOSTILE = {
    "pixel-bomb-png-9400x9400": (pixel_bomb_png, "bomba.png", "too_many_pixels", "at most 16 megapixels"),
    "jpeg-over-52-megapixels": (
        lambda: grey_jpeg(9_000, 6_000),
        "foto.jpg",
        "too_many_pixels",
        "at most 52 megapixels",
    ),
    "javascript-on-open": (pdf_with_script_on_open, "acta.pdf", "active_pdf", ACTIVE),
    "stream-in-a-string-hides-a-script": (
        pdf_hiding_a_script_behind_stream_in_a_string,
        "acta.pdf",
        "active_pdf",
        ACTIVE,
    ),
    "stream-in-a-comment-hides-a-script": (
        pdf_hiding_a_script_behind_stream_in_a_comment,
        "acta.pdf",
        "active_pdf",
        ACTIVE,
    ),
    "stream-in-a-string-hides-a-launch": (pdf_hiding_a_launch_behind_stream, "acta.pdf", "active_pdf", ACTIVE),
    "launch-cmd-exe": (lambda: pdf_opening_with(LAUNCH), "acta.pdf", "active_pdf", ACTIVE),
    "uri-link-annotation": (pdf_with_url_link, "acta.pdf", "active_pdf", ACTIVE),
    "go-to-remote-link": (lambda: pdf_with_link(REMOTE_GO_TO), "acta.pdf", "active_pdf", ACTIVE),
    "submit-form-link": (lambda: pdf_with_link(SUBMIT_FORM), "acta.pdf", "active_pdf", ACTIVE),
    "go-to-action-on-open": (lambda: pdf_opening_with(GO_TO_ON_OPEN), "acta.pdf", "active_pdf", ACTIVE),
    "page-open-action": (pdf_with_page_actions, "acta.pdf", "active_pdf", ACTIVE),
    "embedded-file": (pdf_with_attachment, "acta.pdf", "active_pdf", ACTIVE),
    "acroform": (pdf_with_form, "acta.pdf", "active_pdf", ACTIVE),
    "uri-action-in-an-object-stream": (pdf_with_an_action_in_an_object_stream, "acta.pdf", "active_pdf", ACTIVE),
    "encrypted-empty-user-password": (pdf_encrypted_with_an_empty_password, "acta.pdf", "encrypted_pdf", ENCRYPTED),
}


class TestTheHostileFilesAreWhatTheySay:
    """Each file must carry its construct in a form a PDF reader acts on, or the refusals prove nothing."""

    def test_the_bomb_is_small_and_announces_88_megapixels(self):
        content = pixel_bomb_png()
        assert len(content) < 16 * 1024
        with Image.open(io.BytesIO(content)) as image:
            assert image.size == (9_400, 9_400)

    @pytest.mark.parametrize(
        ("make", "kind"),
        [
            (pdf_hiding_a_script_behind_stream_in_a_string, "/JavaScript"),
            (pdf_hiding_a_script_behind_stream_in_a_comment, "/JavaScript"),
            (pdf_hiding_a_launch_behind_stream, "/Launch"),
            (pdf_with_an_action_in_an_object_stream, "/URI"),
            (lambda: pdf_opening_with(LAUNCH), "/Launch"),
        ],
    )
    def test_pypdf_reads_the_opening_action(self, make, kind):
        assert open_action(make())["/S"] == kind

    def test_the_object_stream_is_where_the_action_lives(self):
        content = pdf_with_an_action_in_an_object_stream()
        assert b"/URI" not in content  # compressed: invisible to a search of the bytes
        assert pypdf.PdfReader(io.BytesIO(content)).xref_objStm[4] == (5, 1)

    def test_the_encrypted_pdf_opens_without_a_password(self):
        reader = pypdf.PdfReader(io.BytesIO(pdf_encrypted_with_an_empty_password()))
        assert reader.is_encrypted
        assert len(reader.pages) == 1


class TestHostileFilesAreRefused:
    @pytest.mark.parametrize(("make", "filename", "code", "message"), HOSTILE.values(), ids=HOSTILE)
    def test_through_the_panel_with_a_message_and_nothing_stored(self, panel, draft, make, filename, code, message):
        shown = through_the_panel(panel, draft, make(), filename)
        assert len(shown) == 1 and message in shown[0], shown
        assert not Evidence.objects.exists()
        assert files_stored() == []

    @pytest.mark.parametrize(("make", "filename", "code", "message"), HOSTILE.values(), ids=HOSTILE)
    def test_through_the_api_with_its_code_and_nothing_stored(self, api, draft, make, filename, code, message):
        response = through_the_api(api, draft, make(), filename)
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == code
        assert message in error["message"]
        assert not Evidence.objects.exists()
        assert files_stored() == []


HARMLESS = {
    "phone-photo": (phone_photo, "foto.jpg", "image/jpeg"),
    "50-megapixel-photo": (lambda: grey_jpeg(8_160, 6_120), "foto.jpg", "image/jpeg"),
    "pdf-with-a-bookmark-and-an-opening-page": (harmless_pdf, "acta.pdf", "application/pdf"),
    "scanned-page-pdf": (scanned_page_pdf, "acta.pdf", "application/pdf"),
}


class TestHarmlessFilesStillGoThrough:
    @pytest.mark.parametrize(("make", "filename", "kind"), HARMLESS.values(), ids=HARMLESS)
    def test_through_the_panel(self, panel, draft, make, filename, kind):
        assert through_the_panel(panel, draft, make(), filename) == ["File attached."]
        assert Evidence.objects.get().content_type == kind
        assert len(files_stored()) == 1

    @pytest.mark.parametrize(("make", "filename", "kind"), HARMLESS.values(), ids=HARMLESS)
    def test_through_the_api(self, api, draft, make, filename, kind):
        response = through_the_api(api, draft, make(), filename)
        assert response.status_code == 201, response.content
        assert response.json()["content_type"] == kind
        assert len(files_stored()) == 1

    def test_a_50_megapixel_photo_is_stored_at_4000_pixels(self, api, draft):
        through_the_api(api, draft, grey_jpeg(8_160, 6_120), "foto.jpg")
        with Image.open(Evidence.objects.get().file.path) as image:
            assert image.size == (4_000, 3_000)

    def test_the_harmless_pdf_is_stored_as_it_came(self, api, draft):
        content = harmless_pdf()
        assert isinstance(open_action(content), ArrayObject)  # opens on a page: a destination, not an action
        through_the_api(api, draft, content, "acta.pdf")
        assert Evidence.objects.get().file.read() == content


class TestTheWorkIsBounded:
    """A PDF that would cost the parser minutes or gigabytes is refused on counts, not parsed to the end."""

    def test_a_pdf_with_more_objects_than_the_limit_is_refused(self, api, draft):
        many = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE, *[b"null"] * 20_000)
        response = through_the_api(api, draft, many, "acta.pdf")
        assert response.json()["error"]["code"] == "complex_pdf"
        assert not Evidence.objects.exists()

    def test_a_pdf_with_one_vast_array_is_refused(self, api, draft):
        vast = b"<< /Type /Catalog /Pages 2 0 R /Lista [%s] >>" % (b"0 " * 300_000)
        response = through_the_api(api, draft, handmade_pdf(vast, PAGES, PAGE), "acta.pdf")
        assert response.json()["error"]["code"] == "complex_pdf"

    def test_an_object_stream_that_inflates_past_the_limit_is_refused(self, api, draft):
        inflater = zlib.compressobj(9)
        bomb = inflater.compress(b"7 0 ") + inflater.compress(b" " * (pdf_check.MAX_PDF_INFLATED + 1))
        bomb += inflater.flush()
        object_stream = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        content = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE, object_stream % (len(bomb), bomb))
        response = through_the_api(api, draft, content, "acta.pdf")
        assert response.json()["error"]["code"] == "complex_pdf"

    def test_nesting_thousands_deep_is_refused_as_damaged(self, api, draft):
        deep = b"<< /Type /Catalog /Pages 2 0 R /X %s >>" % (b"[" * 50_000 + b"]" * 50_000)
        response = through_the_api(api, draft, handmade_pdf(deep, PAGES, PAGE), "acta.pdf")
        assert response.json()["error"]["code"] in ("damaged_pdf", "complex_pdf")
        assert not Evidence.objects.exists()

    def test_an_object_left_out_of_the_table_is_still_read(self, api, draft):
        # A reader that repairs the file finds object 4; the table does not list it.
        content = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE)
        hidden = b"4 0 obj\n" + SCRIPT + b"\nendobj\n"
        marker = content.index(b"xref\n")
        content = content[:marker] + hidden + content[marker:]
        content = content.replace(b"startxref\n%d" % marker, b"startxref\n%d" % (marker + len(hidden)))
        assert pypdf.PdfReader(io.BytesIO(content)).trailer["/Root"]["/Type"] == "/Catalog"
        response = through_the_api(api, draft, content, "acta.pdf")
        assert response.json()["error"]["code"] == "active_pdf"


class TestPixelsAreCountedBeforeDecoding:
    def test_pillows_guard_is_the_documented_limit(self):
        assert Image.MAX_IMAGE_PIXELS == evidence_checks.MAX_PHOTO_PIXELS == 52_000_000

    @pytest.mark.parametrize(
        ("make", "filename"),
        [(pixel_bomb_png, "bomba.png"), (lambda: grey_jpeg(9_000, 6_000), "foto.jpg")],
        ids=["png", "jpeg"],
    )
    def test_a_picture_over_the_limit_is_refused_without_decoding_a_pixel(
        self, api, draft, monkeypatch, make, filename
    ):
        content = make()
        monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: pytest.fail("a pixel was decoded"))
        response = through_the_api(api, draft, content, filename)
        assert response.json()["error"]["code"] == "too_many_pixels"

    def test_pillows_warning_is_an_error_in_the_photo_check(self, monkeypatch):
        # Pillow warns past its limit and only raises past twice that: the check makes the warning
        # a refusal, whatever warning filters the process runs with, even without its own count.
        monkeypatch.setattr(evidence_checks, "_refuse_too_many_pixels", lambda image, kind: None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(ValidationError) as refused:
                evidence_checks._decode_image(grey_jpeg(9_000, 6_000), "image/jpeg")
        assert refused.value.code == "too_many_pixels"
