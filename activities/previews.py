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
has no preview; the file can still be downloaded. PDFium itself runs in a short-lived process of its
own (activities.pdf_render) with a memory and a CPU-time limit, no environment and nothing of the
portal loaded: what the checks miss costs that process, not the web worker.
"""

import io
import logging
import subprocess
import sys
from pathlib import Path

import pypdf
from django.conf import settings
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
# The renderer's process, and the pixel formats it may answer with (PDFium draws RGB, RGBA or gray).
RENDERER = str(Path(__file__).with_name("pdf_render.py"))
PIXEL_MODES = {"RGB": 3, "RGBA": 4, "L": 1}
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
        # One drawing at a time per web process keeps the machine's peak as measured.
        with DECODING:
            image = render_first_page(content)
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


def render_first_page(content):
    """The first page drawn to fit the thumbnail by PDFium in a process of its own (pdf_render), or
    None if it cannot be drawn there within its memory and time."""
    seconds = settings.PDF_RENDER_SECONDS
    limits = [str(settings.PDF_RENDER_MEMORY_BYTES), str(seconds), str(THUMBNAIL_SIDE), repr(MAX_RENDER_SCALE)]
    try:
        # An empty environment: the renderer needs none, and must not see the portal's secrets.
        done = subprocess.run(
            [sys.executable, "-I", RENDERER, *limits], input=content, capture_output=True, env={}, cwd="/",
            timeout=2 * seconds + 5, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        logger.warning("Drawing a PDF preview took over %s s; stopped", 2 * seconds + 5)
        return None
    if done.returncode != 0:
        logger.info("PDF evidence could not be drawn for a preview (exit %s)", done.returncode)
        return None
    return _pixels(done.stdout)


def _pixels(output):
    """The renderer's "WIDTH HEIGHT MODE" line and raw pixels as an image, read without any image
    parser, or None when they are not what it writes."""
    header, _newline, data = output.partition(b"\n")
    try:
        width, height, mode = header.decode("ascii").split()
        width, height = int(width), int(height)
    except ValueError:
        return None
    channels = PIXEL_MODES.get(mode)
    fits = 0 < width <= THUMBNAIL_SIDE + 1 and 0 < height <= THUMBNAIL_SIDE + 1
    if channels is None or not fits or len(data) != width * height * channels:
        return None
    return Image.frombytes(mode, (width, height), data)


def _entry(dictionary, key):
    value = dictionary.get(key)  # as written: a reference stays a reference
    return None if value is None else value.get_object()


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
