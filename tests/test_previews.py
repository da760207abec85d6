"""Evidence previews on the review page: a photo as a small JPEG rebuilt from its pixels (no EXIF,
even when the stored file kept some), a PDF's first page drawn server-side, but only after the PDF
passed the upload's checks (a hostile one is never handed to the renderer) and its first page was
weighed (no page too heavy to draw, no picture over the photo limit, no absurd scale); as private as
a download (another region's coordinator: 404)."""

import io
import time
import zlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from PIL import Image, ImageFile

from activities import previews
from activities.models import Evidence

from .factories import PDF_CATALOG, PDF_PAGES, ActivityFactory, EvidenceFactory, handmade_pdf
from .test_review_queue import sign_in

GPS_IFD = 0x8825
MAKE, MODEL = 0x010F, 0x0110


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def jpeg_with_exif(size=(1200, 900)):
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Model X"
    exif.get_ifd(GPS_IFD)[2] = (6.0, 13.0, 45.0)  # a latitude: where the photo was taken
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def pdf_page(colour=(200, 30, 30)):
    """A one-page PDF (A4-ish, one colour), as a scanner might make one."""
    out = io.BytesIO()
    Image.new("RGB", (595, 842), colour).save(out, "PDF", resolution=72)
    return out.getvalue()


# A script run when the PDF opens: the upload refuses it, and so must the preview.
HOSTILE_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
4 0 obj << /S /JavaScript /JS (app.alert('hi')) >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def stored(activity, content, kind):
    """Evidence put in storage as it is, without the upload's cleaning (an old file, or a restore)."""
    return EvidenceFactory(
        activity=activity, file=ContentFile(content, name="file.bin"), content_type=kind, size=len(content)
    )


@pytest.fixture
def activity(amazonas):
    return ActivityFactory(region=amazonas, status="submitted")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


def preview(client, evidence):
    return client.get(reverse("activities:evidence_preview", args=[evidence.pk]))


def picture(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "image/jpeg"
    return Image.open(io.BytesIO(response.content))


class TestPhotos:
    def test_the_thumbnail_has_no_exif_even_when_the_stored_file_had(self, staff_client, activity):
        evidence = stored(activity, jpeg_with_exif(), Evidence.Kind.JPEG)
        with evidence.file.open("rb") as handle:
            assert Image.open(handle).getexif()[MAKE] == "PhoneMaker"  # the test can fail
        image = picture(preview(staff_client, evidence))
        assert "exif" not in image.info
        assert len(image.getexif()) == 0

    def test_no_exif_bytes_at_all(self, staff_client, activity):
        evidence = stored(activity, jpeg_with_exif(), Evidence.Kind.JPEG)
        content = preview(staff_client, evidence).content
        assert b"Exif" not in content
        assert b"PhoneMaker" not in content

    def test_the_thumbnail_fits_320_pixels_and_keeps_the_shape(self, staff_client, activity):
        image = picture(preview(staff_client, stored(activity, jpeg_with_exif((1200, 900)), Evidence.Kind.JPEG)))
        assert image.size == (320, 240)

    def test_a_small_photo_is_not_enlarged(self, staff_client, activity):
        image = picture(preview(staff_client, EvidenceFactory(activity=activity)))  # 4 x 4 PNG
        assert image.size == (4, 4)

    def test_a_transparent_png_is_laid_on_white(self, staff_client, activity):
        out = io.BytesIO()
        Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(out, "PNG")
        image = picture(preview(staff_client, stored(activity, out.getvalue(), Evidence.Kind.PNG)))
        assert image.convert("RGB").getpixel((20, 20)) == (255, 255, 255)

    def test_the_browser_may_keep_it_privately_for_a_while(self, staff_client, activity):
        response = preview(staff_client, EvidenceFactory(activity=activity))
        assert response["Cache-Control"] == "private, max-age=3600"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_a_damaged_photo_has_no_preview(self, staff_client, activity):
        evidence = stored(activity, jpeg_with_exif()[:200], Evidence.Kind.JPEG)
        assert preview(staff_client, evidence).status_code == 404


class TestPdfs:
    def test_the_first_page_is_drawn(self, staff_client, activity):
        image = picture(preview(staff_client, stored(activity, pdf_page(), Evidence.Kind.PDF)))
        assert max(image.size) == 320
        assert image.size[1] > image.size[0]  # portrait, like the page
        red, green, blue = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
        assert red > 150 and green < 80 and blue < 80

    def test_a_pdf_with_a_script_is_refused_before_it_reaches_the_renderer(
        self, staff_client, activity, renderer_calls
    ):
        evidence = stored(activity, HOSTILE_PDF, Evidence.Kind.PDF)
        assert preview(staff_client, evidence).status_code == 404
        assert renderer_calls == []

    def test_the_renderer_is_what_draws_a_sound_pdf(self, staff_client, activity, renderer_calls):
        # The counterpart of the test above, so that it cannot pass by never calling the renderer.
        assert preview(staff_client, stored(activity, pdf_page(), Evidence.Kind.PDF)).status_code == 200
        assert len(renderer_calls) == 1

    def test_an_encrypted_or_damaged_pdf_has_no_preview(self, staff_client, activity):
        assert preview(staff_client, stored(activity, pdf_page()[:-40], Evidence.Kind.PDF)).status_code == 404
        encrypted = pdf_page().replace(b"/Root", b"/Encrypt 9 0 R /Root", 1)
        assert preview(staff_client, stored(activity, encrypted, Evidence.Kind.PDF)).status_code == 404

    def test_a_pdf_the_checks_pass_but_pdfium_cannot_read_has_no_preview(self, staff_client, activity):
        garbage = b"%PDF-1.4\nnot a document at all\n%%EOF\n"
        assert preview(staff_client, stored(activity, garbage, Evidence.Kind.PDF)).status_code == 404


class TestTheReviewPage:
    def test_shows_a_thumbnail_of_each_file_and_no_preview_for_a_hostile_pdf(self, staff_client, activity):
        photo = EvidenceFactory(activity=activity)
        sound = stored(activity, pdf_page(), Evidence.Kind.PDF)
        hostile = stored(activity, HOSTILE_PDF, Evidence.Kind.PDF)
        html = staff_client.get(activity.get_absolute_url()).content.decode()
        assert reverse("activities:evidence_preview", args=[photo.pk]) in html
        assert reverse("activities:evidence_preview", args=[sound.pk]) in html
        assert reverse("activities:evidence_preview", args=[hostile.pk]) not in html
        assert html.count("No preview") == 1
        # The file itself can still be downloaded, as before.
        assert reverse("activities:evidence_download", args=[hostile.pk]) in html

    def test_the_pdf_checks_are_not_repeated_on_every_visit(self, staff_client, activity, monkeypatch):
        stored(activity, pdf_page(), Evidence.Kind.PDF)
        staff_client.get(activity.get_absolute_url())
        monkeypatch.setattr(previews, "check_pdf", lambda content: pytest.fail("checked again"))
        assert staff_client.get(activity.get_absolute_url()).status_code == 200

    def test_the_point_map_has_the_point_and_the_regions_outline(self, staff_client, amazonas):
        amazonas.boundary = {
            "type": "Polygon",
            "coordinates": [[[-78.5, -6.5], [-77.5, -6.5], [-77.5, -5.5], [-78.5, -5.5], [-78.5, -6.5]]],
        }
        amazonas.save(update_fields=["boundary"])
        located = ActivityFactory(region=amazonas, status="submitted", latitude="-6.2294", longitude="-77.8728")
        response = staff_client.get(located.get_absolute_url())
        assert response.context["point_map"] == {"point": [-6.2294, -77.8728], "boundary": amazonas.boundary}
        html = response.content.decode()
        assert 'id="review-map-data"' in html and "review-map.js" in html

    def test_no_point_no_map(self, staff_client, activity):
        html = staff_client.get(activity.get_absolute_url()).content.decode()
        assert "review-map" not in html


class TestAccess:
    @pytest.fixture
    def evidence(self, activity):
        return EvidenceFactory(activity=activity)

    def test_the_regions_coordinator_sees_it(self, client, coord_amazonas, evidence):
        client.force_login(coord_amazonas)
        assert preview(client, evidence).status_code == 200

    def test_another_regions_coordinator_gets_not_found(self, client, coord_puno, evidence):
        client.force_login(coord_puno)
        response = preview(client, evidence)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")

    def test_an_unknown_file_is_not_found(self, staff_client, evidence):
        assert staff_client.get(reverse("activities:evidence_preview", args=[evidence.pk + 1000])).status_code == 404

    def test_a_file_gone_from_storage_is_not_found(self, staff_client, evidence):
        evidence.file.storage.delete(evidence.file.name)
        assert preview(staff_client, evidence).status_code == 404

    def test_a_visitor_is_sent_to_log_in(self, client, evidence):
        response = preview(client, evidence)
        assert response.status_code == 302
        assert "/accounts/login/" in response.url

    def test_only_get(self, staff_client, evidence):
        url = reverse("activities:evidence_preview", args=[evidence.pk])
        assert staff_client.post(url).status_code == 405
        assert staff_client.delete(url).status_code == 405


def stream(dictionary, data):
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


@pytest.fixture
def renderer_calls(monkeypatch):
    """The files handed to the renderer's process."""
    real, opened = previews.render_first_page, []

    def spy(content):
        opened.append(content)
        return real(content)

    monkeypatch.setattr(previews, "render_first_page", spy)
    return opened


class TestTheRendererRunsApart:
    """PDFium draws in a process of its own, within a memory and a time limit, with no environment:
    what the checks before it miss costs that process, not the web worker."""

    def test_a_page_that_needs_more_memory_than_allowed_has_no_preview(self, staff_client, activity, settings):
        # 3.8 MB of drawing operators: under the checks' cap, about 120 MB to draw.
        operators = zlib.compress(b"1 1 m 2 2 l S\n" * (int(3.8 * 1024 * 1024) // 14), 9)
        page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
        heavy = stored(activity, handmade_pdf(PDF_CATALOG, PDF_PAGES, page, stream(b"/Filter /FlateDecode", operators)),
                       Evidence.Kind.PDF)  # fmt: skip
        light = stored(activity, pdf_page(), Evidence.Kind.PDF)
        settings.PDF_RENDER_MEMORY_BYTES = 80 * 1024 * 1024
        assert preview(staff_client, heavy).status_code == 404
        # The limit is what stopped it: a light page draws within it, and the heavy one within the usual one.
        assert preview(staff_client, light).status_code == 200
        settings.PDF_RENDER_MEMORY_BYTES = 512 * 1024 * 1024
        assert preview(staff_client, heavy).status_code == 200

    def test_a_renderer_that_never_answers_is_stopped(self, settings, monkeypatch, tmp_path):
        hung = tmp_path / "hung.py"
        hung.write_text("import time\ntime.sleep(60)\n")
        monkeypatch.setattr(previews, "RENDERER", str(hung))
        settings.PDF_RENDER_SECONDS = 1
        started = time.monotonic()
        assert previews.render_first_page(pdf_page()) is None
        assert time.monotonic() - started < 15

    def test_the_renderer_sees_none_of_the_portals_environment(self, monkeypatch, tmp_path):
        # A one-pixel answer that says whether the renderer could read a secret of the web process.
        spy = tmp_path / "spy.py"
        spy.write_text(
            "import os, sys\n"
            "sys.stdout.buffer.write(b'1 1 L\\n' + (b'\\xff' if 'DJANGO_SECRET_KEY' in os.environ else b'\\x00'))\n"
        )
        monkeypatch.setattr(previews, "RENDERER", str(spy))
        monkeypatch.setenv("DJANGO_SECRET_KEY", "a secret")
        assert previews.render_first_page(pdf_page()).getpixel((0, 0)) == 0

    @pytest.mark.parametrize(
        "output",
        [b"", b"320 320 RGB", b"2 2 RGB\n" + bytes(11), b"2 2 CMYK\n" + bytes(16), b"400 1 L\n" + bytes(400),
         b"0 5 L\n", b"two 2 L\n" + bytes(4), b"1 1 L 9\n" + bytes(1)],
        ids=["nothing", "no pixels", "short", "mode", "too wide", "empty", "not a number", "extra"],
    )  # fmt: skip
    def test_an_answer_that_is_not_what_the_renderer_writes_is_no_picture(self, output):
        assert previews._pixels(output) is None

    def test_the_renderers_answer_is_read_as_pixels(self):
        image = previews._pixels(b"2 1 RGB\n" + bytes([255, 0, 0, 0, 0, 255]))
        assert (image.size, image.getpixel((0, 0)), image.getpixel((1, 0))) == ((2, 1), (255, 0, 0), (0, 0, 255))


class TestPreviewsAreBounded:
    """What the server draws is weighed first: PDFium never gets a page that would take hundreds of
    megabytes (16 MB of drawing operators took 330 MB), a picture over the photo limit, or a scale
    thousands of times a page's size."""

    def test_a_page_with_too_much_to_draw_has_no_preview_and_never_reaches_the_renderer(
        self, staff_client, activity, renderer_calls
    ):
        # 8 MB of drawing operators in 40 KB: a zip bomb for the renderer, harmless to a reader.
        operators = zlib.compress(b"1 1 m 2 2 l S\n" * (8 * 1024 * 1024 // 14), 9)
        page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
        content = handmade_pdf(PDF_CATALOG, PDF_PAGES, page, stream(b"/Filter /FlateDecode", operators))
        assert len(content) < 100_000
        assert preview(staff_client, stored(activity, content, Evidence.Kind.PDF)).status_code == 404
        assert renderer_calls == []

    def test_a_page_with_the_same_drawing_at_a_normal_size_is_drawn(self, staff_client, activity, renderer_calls):
        operators = zlib.compress(b"1 1 m 2 2 l S\n" * 1000)
        page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
        content = handmade_pdf(PDF_CATALOG, PDF_PAGES, page, stream(b"/Filter /FlateDecode", operators))
        assert picture(preview(staff_client, stored(activity, content, Evidence.Kind.PDF))).size == (227, 320)
        assert len(renderer_calls) == 1

    def test_a_picture_over_the_photo_limit_has_no_preview(self, staff_client, activity, renderer_calls):
        resources = b"/Resources << /XObject << /Im0 5 0 R >> >>"
        page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R %s >>" % resources
        image = stream(b"/Type /XObject /Subtype /Image /Width 9000 /Height 6000 /BitsPerComponent 8", b"\0")
        content = handmade_pdf(PDF_CATALOG, PDF_PAGES, page, stream(b"", b"q 595 0 0 842 0 0 cm /Im0 Do Q"), image)
        assert preview(staff_client, stored(activity, content, Evidence.Kind.PDF)).status_code == 404
        assert renderer_calls == []

    def test_a_speck_of_a_page_is_drawn_at_a_capped_scale(self, staff_client, activity):
        # A page of 9 x 9 points would otherwise be drawn at 35 pixels a point.
        speck = handmade_pdf(PDF_CATALOG, PDF_PAGES, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] >>")
        assert picture(preview(staff_client, stored(activity, speck, Evidence.Kind.PDF))).size == (40, 40)

    def test_a_stored_photo_over_the_limit_has_no_preview(self, staff_client, activity, monkeypatch):
        out = io.BytesIO()
        Image.new("L", (9000, 6000)).save(out, "JPEG")
        evidence = stored(activity, out.getvalue(), Evidence.Kind.JPEG)
        monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: pytest.fail("a pixel was decoded"))
        assert preview(staff_client, evidence).status_code == 404
