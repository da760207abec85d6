"""Evidence files: a coordinator attaches photos and PDFs to their region's open activity.
The type is read from the content, photos are stored without any metadata, dangerous or broken
files are refused with a message that says what to do, and a refusal leaves nothing behind:
no row, no file. Only those who may see the activity may download its evidence."""

import io
import re
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import DatabaseError, connection
from django.forms.models import model_to_dict
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from PIL import ExifTags, Image, ImageCms, ImageFile
from PIL.PngImagePlugin import PngInfo

from activities.evidence import evidence_attach, evidence_open, evidence_remove
from activities.models import MAX_EVIDENCE_BYTES, Evidence

from .factories import PDF_CATALOG as CATALOG
from .factories import PDF_PAGES as PAGES
from .factories import ActivityFactory, handmade_pdf

MB = 1024 * 1024
PERSON = "Rosa Quispe"  # a name that must not survive anywhere: file name, EXIF, XMP, text chunks
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{PERSON}</dc:creator></x:xmpmeta>'.encode()
STORED_NAME = re.compile(r"evidence/\d+/[0-9a-f]{32}\.(jpg|png|webp|pdf)")


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever the Spanish catalogue says.
    with translation.override("en"):
        yield


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, status="draft", created_by=coord_amazonas)


# Files, made here rather than kept as fixtures on disk.


def camera_exif():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R6"
    exif[ExifTags.Base.DateTime] = "2025:03:10 10:15:00"
    exif[ExifTags.Base.Artist] = PERSON
    # Rotated 90° clockwise: the pixels lie on their side and the reader must turn them.
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 13.0, 45.8)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (77.0, 52.0, 22.1)
    return exif


def encoded(image, image_format, **options):
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def jpeg_with_gps(size=(60, 30)):
    metadata = {"exif": camera_exif(), "icc_profile": SRGB, "xmp": XMP, "comment": PERSON.encode()}
    return encoded(Image.new("RGB", size, "red"), "JPEG", **metadata)


def png_with_text():
    text = PngInfo()
    text.add_text("Author", PERSON)
    text.add_itxt("Description", f"Taller con {PERSON}")
    return encoded(Image.new("RGBA", (40, 30), (0, 0, 255, 128)), "PNG", pnginfo=text, exif=camera_exif())


def webp_with_exif():
    return encoded(Image.new("RGB", (40, 30), "green"), "WEBP", exif=camera_exif(), xmp=XMP, icc_profile=SRGB)


def noisy_jpeg(size=(200, 200)):
    # Noise does not compress, so half the bytes is half the picture.
    return encoded(Image.effect_noise(size, 64).convert("RGB"), "JPEG", quality=90)


def png_header(width, height):
    """A PNG that announces width × height greyscale pixels and holds almost none of them."""

    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
ALERT = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"


def valid_pdf():
    return handmade_pdf(CATALOG, PAGES, PAGE)


def pdf_opening_with(action):
    return handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction %s >>" % action, PAGES, PAGE)


def pdf_with_script_in_object_stream():
    """PDF 1.5+ keeps dictionaries compressed in object streams, out of sight of a plain search."""
    header = b"5 0 "
    packed = zlib.compress(header + ALERT)
    object_stream = b"<< /Type /ObjStm /N 1 /First %d /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
        len(header),
        len(packed),
        packed,
    )
    return handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE, object_stream)


def pdf_with_attachment():
    names = b"/Names << /EmbeddedFiles << /Names [(lista.exe) 4 0 R] >> >>"
    return handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % names, PAGES, PAGE, b"<< /Type /Filespec /F (lista.exe) >>"
    )


def pdf_with_scanned_page():
    # A scanned page's picture is arbitrary bytes; here they happen to spell "/JS ".
    picture = b"\xff\xd8\xff\xe0/JS (x) /Launch \x00\x01\x02\xff\xd9"
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
    )
    return handmade_pdf(CATALOG, PAGES, PAGE, image % (len(picture), picture))


def zip_archive():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("fotos/taller.jpg", jpeg_with_gps())
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 52 + b"\x40\x00\x00\x00" + b"PE\x00\x00" + b"\x00" * 100
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/api/v1/")</script><circle r="4"/></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


# Helpers.


def upload(content, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def attach(activity, by, content, name="photo.jpg", content_type="image/jpeg", caption=""):
    evidence, _ = evidence_attach(
        activity=activity, uploaded_file=upload(content, name, content_type), caption=caption, by=by
    )
    return evidence


def stored_files():
    media = Path(settings.MEDIA_ROOT)
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def stored_bytes(evidence):
    with evidence.file.open("rb") as stored:
        return stored.read()


def refusal(activity, by, content, *, code, **upload_fields):
    """Attach, expect the refusal with this code, check nothing was stored, and return the message."""
    with pytest.raises(ValidationError) as caught:
        attach(activity, by, content, **upload_fields)
    assert caught.value.code == code
    assert not Evidence.objects.exists()
    assert stored_files() == []
    return caught.value.messages[0]


class ReadCounter:
    """Wraps an upload's file and counts the bytes read from it."""

    def __init__(self, file):
        self.file, self.bytes_read = file, 0

    def read(self, size=-1):
        data = self.file.read(size)
        self.bytes_read += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.file, name)


@pytest.fixture
def sparse_upload():
    """An upload of any size that costs no memory: a sparse temporary file, closed (and deleted) after."""
    opened = []

    def make(actual_size, reported_size=None):
        file = TemporaryUploadedFile("video del taller.jpg", "image/jpeg", reported_size or actual_size, None)
        file.write(b"\xff\xd8\xff\xe0")
        file.seek(actual_size - 1)
        file.write(b"\0")
        file.seek(0)
        opened.append(file)
        return file

    yield make
    for file in opened:
        file.close()


class TestPhotosAreStoredWithoutMetadata:
    @pytest.mark.parametrize(
        ("make", "content_type", "pillow_format"),
        [
            (jpeg_with_gps, "image/jpeg", "JPEG"),
            (png_with_text, "image/png", "PNG"),
            (webp_with_exif, "image/webp", "WEBP"),
        ],
    )
    def test_a_photo_is_stored_without_exif_gps_xmp_icc_or_text(
        self, draft, coord_amazonas, make, content_type, pillow_format
    ):
        evidence = attach(draft, coord_amazonas, make(), name=f"{PERSON}.jpg", content_type=content_type)
        content = stored_bytes(evidence)
        assert evidence.content_type == content_type
        assert evidence.size == len(content)
        for trace in (PERSON.encode(), b"Canon", b"EOS R6", b"xmpmeta"):
            assert trace not in content
        with Image.open(io.BytesIO(content)) as image:
            assert image.format == pillow_format
            assert len(image.getexif()) == 0
            assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
            assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Author", "Description"} & set(
                image.info
            )

    def test_the_original_file_name_is_kept_nowhere(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, jpeg_with_gps(), name=f"{PERSON} taller.jpg")
        assert STORED_NAME.fullmatch(evidence.file.name), evidence.file.name
        assert evidence.file.name.startswith(f"evidence/{draft.region_id}/")
        assert "Rosa" not in repr(model_to_dict(Evidence.objects.get(pk=evidence.pk)))
        assert [path.name for path in stored_files()] == [Path(evidence.file.name).name]

    def test_a_photo_is_turned_upright_as_its_exif_orientation_says(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, jpeg_with_gps(size=(60, 30)))
        with Image.open(evidence.file.path) as image:
            assert image.size == (30, 60)

    def test_a_very_large_photo_is_scaled_down_to_4000_pixels_on_its_longest_side(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, encoded(Image.new("RGB", (4100, 200), "white"), "JPEG"))
        with Image.open(evidence.file.path) as image:
            assert image.size == (4000, 195)

    @pytest.mark.parametrize(
        ("original", "image_format", "stored_mode", "pixel"),
        [
            (Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG", "RGB", (255, 0, 0)),
            (Image.new("P", (8, 8), 0), "PNG", "RGBA", (0, 0, 0, 0)),
            (Image.new("I;16", (8, 8), 25600), "PNG", "L", 100),
        ],
        ids=["cmyk-jpeg", "transparent-palette-png", "16-bit-greyscale-png"],
    )
    def test_a_photo_in_an_unusual_colour_mode_keeps_its_colours(
        self, draft, coord_amazonas, original, image_format, stored_mode, pixel
    ):
        options = {"transparency": 0} if original.mode == "P" else {}
        evidence = attach(draft, coord_amazonas, encoded(original, image_format, **options))
        with Image.open(evidence.file.path) as image:
            assert image.mode == stored_mode
            assert image.getpixel((4, 4)) == pytest.approx(pixel, abs=3)

    def test_the_caption_and_uploader_are_recorded(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, webp_with_exif(), caption="  Taller en Chachapoyas  ")
        stored = Evidence.objects.get(pk=evidence.pk)
        assert (stored.caption, stored.uploaded_by, stored.activity) == ("Taller en Chachapoyas", coord_amazonas, draft)


class TestTheContentDecidesTheType:
    def test_a_jpeg_named_pdf_is_stored_as_a_jpeg(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, jpeg_with_gps(), name="acta.pdf", content_type="application/pdf")
        assert evidence.content_type == "image/jpeg"
        assert evidence.file.name.endswith(".jpg")

    def test_a_pdf_named_jpg_is_stored_as_a_pdf(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, valid_pdf(), name="foto.jpg", content_type="image/jpeg")
        assert evidence.content_type == "application/pdf"
        assert evidence.file.name.endswith(".pdf")


class TestPdfs:
    def test_a_plain_pdf_is_stored_as_it_came(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, valid_pdf(), name="lista de asistencia.pdf")
        assert evidence.content_type == "application/pdf"
        assert stored_bytes(evidence) == valid_pdf()
        assert evidence.size == len(valid_pdf())

    def test_a_scanned_page_whose_picture_bytes_spell_a_script_name_is_accepted(self, draft, coord_amazonas):
        evidence = attach(draft, coord_amazonas, pdf_with_scanned_page(), name="acta.pdf")
        assert evidence.content_type == "application/pdf"

    @pytest.mark.parametrize(
        "content",
        [
            pdf_opening_with(ALERT),
            pdf_opening_with(b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"),
            pdf_opening_with(b"<< /S /Launch /F (cmd.exe) >>"),
            pdf_with_attachment(),
            pdf_with_script_in_object_stream(),
        ],
        ids=["javascript", "javascript-spelled-in-hex", "launch", "embedded-file", "script-in-object-stream"],
    )
    def test_a_pdf_that_could_run_code_on_a_reviewers_machine_is_refused(self, draft, coord_amazonas, content):
        message = refusal(draft, coord_amazonas, content, code="active_pdf", name="acta.pdf")
        assert message == (
            "This PDF contains links, scripts, forms or attached files and cannot be accepted; "
            "print it to a new PDF, which keeps only the pages, and attach that."
        )

    def test_an_encrypted_pdf_is_refused_because_it_cannot_be_checked(self, draft, coord_amazonas):
        encryption = b"<< /Filter /Standard /V 1 /R 2 /O (owner) /U (user) /P -4 >>"
        content = handmade_pdf(CATALOG, PAGES, PAGE, encryption, trailer=b"/Encrypt 4 0 R ")
        message = refusal(draft, coord_amazonas, content, code="encrypted_pdf", name="acta.pdf")
        assert "save an unprotected copy" in message

    def test_a_pdf_cut_short_is_refused(self, draft, coord_amazonas):
        message = refusal(draft, coord_amazonas, valid_pdf()[:-60], code="damaged_pdf", name="acta.pdf")
        assert message == "This PDF is damaged or incomplete; save or export it again."


NOT_PHOTOS_OR_PDFS = {
    "elf-executable-named-jpg": (ELF, "photo.jpg", "image/jpeg"),
    "windows-executable-named-jpg": (PE, "photo.jpg", "image/jpeg"),
    "svg-with-script": (SVG, "dibujo.svg", "image/svg+xml"),
    "html": (HTML, "foto.jpg", "text/html"),
    "gif": (encoded(Image.new("P", (10, 10)), "GIF"), "animacion.gif", "image/gif"),
    "zip": (zip_archive(), "fotos.zip", "application/zip"),
}


class TestRefusals:
    @pytest.mark.parametrize(("content", "name", "content_type"), NOT_PHOTOS_OR_PDFS.values(), ids=NOT_PHOTOS_OR_PDFS)
    def test_a_file_that_is_neither_photo_nor_pdf_is_refused(self, draft, coord_amazonas, content, name, content_type):
        message = refusal(draft, coord_amazonas, content, code="unsupported_type", name=name, content_type=content_type)
        assert message == (
            "Only photos (JPEG, PNG, WebP) and PDF documents can be attached; this file is not one of them."
        )

    def test_an_empty_file_is_refused(self, draft, coord_amazonas):
        message = refusal(draft, coord_amazonas, b"", code="empty")
        assert message == "This file is empty; choose the photo or document again."

    def test_a_truncated_jpeg_is_refused(self, draft, coord_amazonas):
        whole = noisy_jpeg()
        message = refusal(draft, coord_amazonas, whole[: len(whole) // 2], code="damaged_image")
        assert message == "This image is damaged or incomplete; take or export it again."

    def test_a_truncated_jpeg_is_refused_even_if_a_library_allowed_truncated_images(
        self, draft, coord_amazonas, monkeypatch
    ):
        monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
        whole = noisy_jpeg()
        refusal(draft, coord_amazonas, whole[: len(whole) // 2], code="damaged_image")

    def test_a_truncated_photo_too_large_to_decode_in_full_is_refused(self, draft, coord_amazonas):
        # Above 4000 pixels the JPEG is decoded at reduced scale, which must still read it to the end.
        whole = noisy_jpeg(size=(8200, 120))
        refusal(draft, coord_amazonas, whole[: len(whole) // 2], code="damaged_image")

    @pytest.mark.parametrize("side", [10_000, 30_000], ids=["100-megapixels", "900-megapixels"])
    def test_a_decompression_bomb_is_refused_before_it_is_decoded(self, draft, coord_amazonas, side):
        message = refusal(draft, coord_amazonas, png_header(side, side), code="too_many_pixels", name="a.png")
        # A PNG is decoded whole, so it may have no more pixels than are stored: 4,000 x 4,000.
        assert "export it at a smaller size (at most 16 megapixels)" in message

    def test_a_file_over_10_mb_is_refused_without_being_read(self, draft, coord_amazonas, sparse_upload):
        big = sparse_upload(20 * MB)
        big.file = counter = ReadCounter(big.file)
        with pytest.raises(ValidationError) as caught:
            evidence_attach(activity=draft, uploaded_file=big, caption="", by=coord_amazonas)
        assert caught.value.code == "too_large"
        assert caught.value.messages == ["This file is 20.0 MB; the limit is 10 MB."]
        assert counter.bytes_read == 0
        assert not Evidence.objects.exists()
        assert stored_files() == []

    def test_a_file_that_understates_its_size_is_read_no_further_than_the_limit(
        self, draft, coord_amazonas, sparse_upload
    ):
        liar = sparse_upload(12 * MB, reported_size=1000)
        liar.file = counter = ReadCounter(liar.file)
        with pytest.raises(ValidationError) as caught:
            evidence_attach(activity=draft, uploaded_file=liar, caption="", by=coord_amazonas)
        assert caught.value.code == "too_large"
        assert counter.bytes_read == MAX_EVIDENCE_BYTES + 1
        assert stored_files() == []

    def test_the_size_in_the_message_is_written_the_way_the_reader_writes_numbers(
        self, draft, coord_amazonas, sparse_upload
    ):
        with translation.override("es"), pytest.raises(ValidationError) as caught:
            evidence_attach(activity=draft, uploaded_file=sparse_upload(20 * MB), caption="", by=coord_amazonas)
        assert "20,0" in caught.value.messages[0]

    def test_a_caption_over_200_characters_is_refused(self, draft, coord_amazonas):
        message = refusal(draft, coord_amazonas, jpeg_with_gps(), code="caption_too_long", caption="a" * 201)
        assert message == "The caption can have at most 200 characters; it has 201."

    def test_a_file_is_removed_when_its_row_cannot_be_written(self, draft, coord_amazonas, monkeypatch):
        def failing_save(*args, **kwargs):
            raise DatabaseError("the database went away")

        monkeypatch.setattr(Evidence, "save", failing_save)
        with pytest.raises(DatabaseError):
            attach(draft, coord_amazonas, jpeg_with_gps())
        assert stored_files() == []


class TestTenFilesPerActivity:
    def fill(self, activity, coord):
        for _ in range(10):
            evidence = Evidence(activity=activity, content_type="image/png", size=1, uploaded_by=coord)
            evidence.file.save("e.png", ContentFile(b"x"))

    def test_the_eleventh_file_is_refused(self, draft, coord_amazonas):
        self.fill(draft, coord_amazonas)
        before = stored_files()
        with pytest.raises(ValidationError) as caught:
            attach(draft, coord_amazonas, jpeg_with_gps())
        assert caught.value.code == "too_many_files"
        assert caught.value.messages == ["An activity can have at most 10 files; remove one first."]
        assert draft.evidence.count() == 10
        assert stored_files() == before

    def test_the_tenth_file_is_accepted(self, draft, coord_amazonas):
        self.fill(draft, coord_amazonas)
        draft.evidence.first().delete()
        attach(draft, coord_amazonas, jpeg_with_gps())
        assert draft.evidence.count() == 10

    def test_the_count_is_taken_with_the_activity_row_locked(self, draft, coord_amazonas):
        if not connection.features.has_select_for_update:
            pytest.skip("this database has no row locks")
        with CaptureQueriesContext(connection) as queries:
            attach(draft, coord_amazonas, jpeg_with_gps())
        assert any("FOR UPDATE" in query["sql"] for query in queries.captured_queries)


class TestWhoMayAttach:
    @pytest.mark.parametrize("persona", ["coord_puno", "staff", "anonymous"])
    def test_only_the_regions_coordinator_may_attach(self, draft, persona, request):
        with pytest.raises(PermissionDenied):
            attach(draft, request.getfixturevalue(persona), jpeg_with_gps())
        assert stored_files() == []

    @pytest.mark.parametrize("status", ["submitted", "approved"])
    def test_evidence_cannot_be_attached_to_an_activity_out_of_the_coordinators_hands(
        self, amazonas, coord_amazonas, status
    ):
        activity = ActivityFactory(region=amazonas, status=status)
        with pytest.raises(PermissionDenied):
            attach(activity, coord_amazonas, jpeg_with_gps())
        assert stored_files() == []

    def test_evidence_can_be_attached_to_a_returned_activity(self, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, status="returned")
        assert attach(activity, coord_amazonas, jpeg_with_gps()).activity == activity

    def test_an_activity_submitted_while_the_photo_was_being_cleaned_takes_no_evidence(self, draft, coord_amazonas):
        type(draft).objects.filter(pk=draft.pk).update(status="submitted")
        with pytest.raises(PermissionDenied):
            attach(draft, coord_amazonas, jpeg_with_gps())
        assert stored_files() == []
        assert not Evidence.objects.exists()


@pytest.fixture
def evidence(draft, coord_amazonas):
    return attach(draft, coord_amazonas, jpeg_with_gps())


class TestWhoMayOpen:
    @pytest.mark.parametrize("persona", ["coord_amazonas", "staff"])
    def test_the_region_and_the_ministry_may_open_evidence(self, evidence, persona, request):
        with evidence_open(evidence=evidence, by=request.getfixturevalue(persona)) as handle:
            assert handle.read() == stored_bytes(evidence)

    @pytest.mark.parametrize("persona", ["coord_puno", "anonymous"])
    def test_anyone_else_is_told_it_does_not_exist(self, evidence, persona, request):
        with pytest.raises(Http404):
            evidence_open(evidence=evidence, by=request.getfixturevalue(persona))

    def test_evidence_whose_file_is_gone_is_not_found(self, evidence, coord_amazonas):
        Path(evidence.file.path).unlink()
        with pytest.raises(Http404):
            evidence_open(evidence=evidence, by=coord_amazonas)


class TestWhoMayRemove:
    def test_the_coordinator_removes_the_row_and_the_file(
        self, evidence, coord_amazonas, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            evidence_remove(evidence=evidence, by=coord_amazonas)
        assert not Evidence.objects.exists()
        assert stored_files() == []

    def test_staff_may_not_remove_evidence(self, evidence, staff):
        with pytest.raises(PermissionDenied):
            evidence_remove(evidence=evidence, by=staff)
        assert Evidence.objects.filter(pk=evidence.pk).exists()
        assert len(stored_files()) == 1

    def test_another_regions_coordinator_is_told_it_does_not_exist(self, evidence, coord_puno):
        with pytest.raises(Http404):
            evidence_remove(evidence=evidence, by=coord_puno)
        assert Evidence.objects.filter(pk=evidence.pk).exists()

    def test_evidence_of_an_approved_activity_cannot_be_removed(self, evidence, coord_amazonas):
        type(evidence.activity).objects.filter(pk=evidence.activity_id).update(status="approved")
        with pytest.raises(PermissionDenied):
            evidence_remove(evidence=evidence, by=coord_amazonas)
        assert len(stored_files()) == 1
