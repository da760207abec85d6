"""Thumbnails of evidence for the review page: a photo made small, a PDF's first page drawn as a picture.

A thumbnail is built on request and never stored (the browser keeps it a while, privately). It is
as private as the file it shows: read through `evidence_open`, so the download's access rule holds.
Like the upload, it trusts nothing in the stored bytes: a photo is decoded by the same restricted
decoder and rebuilt from its pixels alone (no EXIF, GPS, XMP or ICC profile), and a PDF is rendered
only after it passed the same checks for scripts, embedded files and zip bombs an upload passes,
so a file stored before those checks existed, or put in storage some other way, is refused too.

Rendering is the one place the server draws what a file describes, so the first page is weighed
before PDFium sees it: what it must parse to draw it (content, forms, fonts, patterns) is capped,
as are the pictures it must decode and the scale it is drawn at. A page over those limits simply
has no preview; the file can still be downloaded.
"""

import io
import logging

import pypdf
from django.core.cache import cache
from django.core.exceptions import ValidationError
from PIL import Image
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from .evidence import (
    DECODING,
    MAX_PHOTO_PIXELS,
    MAX_WHOLE_DECODE_PIXELS,
    _decode_image,
    _detect_kind,
    evidence_open,
)
from .models import MAX_EVIDENCE_BYTES, EvidenceKind
from .pdf_check import PDF_PARSER_LIMITS, check_pdf

__all__ = ["THUMBNAIL_SIDE", "has_preview", "thumbnail"]

logger = logging.getLogger(__name__)

# Wide enough to judge a scene or a signed attendance sheet at a glance; small enough for ten on a page.
THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 80
# Whether a stored PDF may be previewed; stored files never change, so the verdict does not either.
VERDICT_SECONDS = 24 * 60 * 60
# What PDFium may parse to draw the first page, decoded: it holds about 20 bytes for each byte of
# dense drawing operators (16 MB of them took 330 MB and 4 s), so 4 MB stays near 100 MB. A page of
# text takes tens of kilobytes; a scanned page is one picture and a few bytes of operators.
MAX_PAGE_DRAWING_BYTES = 4 * 1024 * 1024
# Pictures that JPEG 2000 and JBIG2 decoders hold whole; the others PDFium decodes a line at a time.
WHOLE_DECODE_FILTERS = frozenset({"/JPXDecode", "/JBIG2Decode"})
# A page is drawn at no more than this many pixels per point: a page under an inch (72 points)
# wide is no document, and drawing a speck of a page at thousands of times its size makes PDFium
# build pattern tiles and image stretches at that size.
MAX_RENDER_SCALE = THUMBNAIL_SIDE / 72
# Keys that lead from the first page to other pages or to the document's outline, not to what is drawn.
NOT_DRAWN_KEYS = frozenset({"/Parent", "/P", "/Dest", "/A", "/Popup", "/IRT", "/StructParent", "/StructParents"})


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
        # PDFium is not thread-safe, and one drawing at a time keeps a process's peak as measured.
        with DECODING:
            image = _first_page(content)
    else:
        try:
            with DECODING:
                image = _decode_image(content, kind, fit=THUMBNAIL_SIDE)
        except ValidationError:
            return None
    return None if image is None else _encode(image)


def _pdf_is_safe(content):
    try:
        with DECODING:
            check_pdf(content)
    except ValidationError:
        return False
    try:
        return _first_page_is_light(content)
    except LimitReachedError:
        return False
    except Exception:
        # check_pdf has bounded the file; whatever else the parser trips on, no preview.
        logger.info("The first page of PDF evidence could not be weighed for a preview", exc_info=True)
        return False


def _first_page_is_light(content):
    """Whether PDFium can draw the first page within MAX_PAGE_DRAWING_BYTES and the photo pixel limits."""
    with pypdf.apply_configuration(**PDF_PARSER_LIMITS):
        page = pypdf.PdfReader(io.BytesIO(content)).pages[0]
        left = MAX_PAGE_DRAWING_BYTES
        for stream in _drawn_streams(page):
            if _entry(stream, "/Subtype") == "/Image":
                if not _picture_is_small(stream):
                    return False
                continue
            with pypdf.apply_configuration(zlib_maximum_output_length=left + 1):
                left -= len(stream.get_data())
            if left < 0:
                return False
    return True


def _drawn_streams(page):
    """Each stream PDFium may read to draw the page (content, forms, fonts, patterns, pictures), once."""
    seen, stack = set(), [page.get_object()]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, StreamObject):
            yield item
        if isinstance(item, DictionaryObject):
            stack.extend(value for key, value in dict.items(item) if key not in NOT_DRAWN_KEYS)
        elif isinstance(item, ArrayObject):
            stack.extend(list.__iter__(item))


def _picture_is_small(image):
    pixels = int(_entry(image, "/Width") or 0) * int(_entry(image, "/Height") or 0)
    filters = _entry(image, "/Filter")
    filters = {name.get_object() for name in filters} if isinstance(filters, ArrayObject) else {filters}
    return pixels <= (MAX_WHOLE_DECODE_PIXELS if filters & WHOLE_DECODE_FILTERS else MAX_PHOTO_PIXELS)


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
        # Page sizes are in points (1/72 inch), which scale 1 renders one pixel each.
        scale = _render_scale(width, height)
        if scale is None:
            return None
        # No form environment: nothing in the file is run, only its page content drawn.
        bitmap = page.render(scale=scale, may_draw_forms=False)
        return bitmap.to_pil().copy()
    except (pypdfium2.PdfiumError, ValueError):
        logger.info("PDF evidence could not be rendered for a preview", exc_info=True)
        return None
    finally:
        if document is not None:
            document.close()


def _entry(dictionary, key):
    value = dictionary.get(key)  # as written: a reference stays a reference
    return None if value is None else value.get_object()


def _render_scale(width, height):
    """Pixels per point to fit the page in the thumbnail, or None for a page too thin to show."""
    if min(width, height) <= 0:
        return None
    scale = min(THUMBNAIL_SIDE / max(width, height), MAX_RENDER_SCALE)
    # A sliver of a page would round to no pixels at all.
    return scale if min(width, height) * scale >= 1 else None


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
