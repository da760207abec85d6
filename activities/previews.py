"""Thumbnails of evidence for the review page: a photo made small, a PDF's first page drawn as a picture.

A thumbnail is built on request and never stored (the browser keeps it a while, privately). It is
as private as the file it shows: read through `evidence_open`, so the download's access rule holds.
Like the upload, it trusts nothing in the stored bytes: a photo is decoded by the same restricted
decoder and rebuilt from its pixels alone (no EXIF, GPS, XMP or ICC profile), and a PDF is rendered
only after it passed the same checks for scripts, embedded files and zip bombs an upload passes,
so a file stored before those checks existed, or put in storage some other way, is refused too.
"""

import io
import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError
from PIL import Image

from .evidence import _check_pdf, _decode_image, _detect_kind, evidence_open
from .models import MAX_EVIDENCE_BYTES, EvidenceKind

__all__ = ["THUMBNAIL_SIDE", "has_preview", "thumbnail"]

logger = logging.getLogger(__name__)

# Wide enough to judge a scene or a signed attendance sheet at a glance; small enough for ten on a page.
THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 80
# Whether a stored PDF may be previewed; stored files never change, so the verdict does not either.
VERDICT_SECONDS = 24 * 60 * 60


def has_preview(evidence):
    """Whether the review page offers a thumbnail of this file (photos always; PDFs that pass the checks)."""
    if evidence.content_type != EvidenceKind.PDF:
        return True
    key = f"evidence-preview-ok:{evidence.pk}"
    verdict = cache.get(key)
    if verdict is None:
        try:
            with evidence.file.storage.open(evidence.file.name, "rb") as handle:
                verdict = _pdf_is_safe(handle.read(MAX_EVIDENCE_BYTES + 1))
        except FileNotFoundError:
            verdict = False
        cache.set(key, verdict, VERDICT_SECONDS)
    return verdict


def thumbnail(*, evidence, by):
    """A JPEG of at most THUMBNAIL_SIDE pixels a side, or None when the file cannot be previewed.

    Raises Http404 when `by` may not see the evidence (see evidence_open).
    """
    with evidence_open(evidence=evidence, by=by) as handle:
        content = handle.read(MAX_EVIDENCE_BYTES + 1)
    kind = _detect_kind(content)
    if kind is None or len(content) > MAX_EVIDENCE_BYTES:
        return None
    if kind == EvidenceKind.PDF:
        if not _pdf_is_safe(content):
            return None
        image = _first_page(content)
    else:
        try:
            image = _decode_image(content, kind)
        except ValidationError:
            return None
    return None if image is None else _encode(image)


def _pdf_is_safe(content):
    try:
        _check_pdf(content)
    except ValidationError:
        return False
    return True


def _first_page(content):
    """The first page drawn to fit the thumbnail, or None if PDFium cannot read the file."""
    import pypdfium2  # loaded on the first PDF preview only: it brings a native library

    document = None
    try:
        document = pypdfium2.PdfDocument(content)
        if len(document) < 1:
            return None
        page = document[0]
        width, height = page.get_size()
        if min(width, height) <= 0:
            return None
        # Page sizes are in points (1/72 inch), which scale 1 renders one pixel each.
        # No form environment: nothing in the file is run, only its page content drawn.
        bitmap = page.render(scale=THUMBNAIL_SIDE / max(width, height), may_draw_forms=False)
        return bitmap.to_pil().copy()
    except (pypdfium2.PdfiumError, ValueError):
        logger.info("PDF evidence could not be rendered for a preview", exc_info=True)
        return None
    finally:
        if document is not None:
            document.close()


def _encode(image):
    if image.mode in ("RGBA", "LA") or image.has_transparency_data:
        # JPEG has no transparency: lay the picture on white, as a page would show it.
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    # From the pixels alone, as an upload is stored: nothing of the original's info dict is copied.
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()
