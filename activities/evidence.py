"""Evidence files: photos and PDFs that show an activity took place.

Every file is treated as hostile and as personal: its type is read from its bytes, never
from its name or the browser's word; photos are decoded and re-encoded from their pixels
alone, so no EXIF (GPS position, phone model, time), XMP or ICC profile survives; PDFs are
read with a real PDF parser and refused if anything in them could act when a reviewer opens
them (a script, a link out, a launch, an attached file, a form) or if they are encrypted; and
the original file name, which may carry a person's name, is never stored.

Every check is bounded before the work starts: an image's pixels are counted from its header
before anything is decoded, and a PDF's objects and parsing work are counted against fixed
limits, so that no upload of at most 10 MB takes a worker past 300 MB or a few seconds.
"""

import contextlib
import io
import os
import threading
import warnings

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps

from regions import access

from .models import MAX_EVIDENCE_BYTES, MAX_EVIDENCE_PER_ACTIVITY, Activity, Evidence, EvidenceKind
from .pdf_check import check_pdf

__all__ = ["MAX_PHOTO_PIXELS", "ClientUuidTaken", "evidence_attach", "evidence_open", "evidence_remove"]

MEGABYTE = 1024 * 1024
# Phones shoot 12 to 200 megapixels; reviewers need to see the scene, not the pores, and
# coordinators in Loreto or Puno download these over weak connections.
MAX_IMAGE_SIDE = 4000
MAX_CAPTION_LENGTH = Evidence._meta.get_field("caption").max_length

# The most pixels a photo may announce in its header. A phone's full-resolution 50-megapixel
# shot is 8,160 x 6,120 (49.9 MP) or 8,192 x 6,144 (50.3 MP); 52 MP takes those with room to
# spare. Larger modes (64, 108, 200 MP) make JPEGs of 15 to 40 MB, over the 10 MB limit anyway,
# and the phone's default (pixel-binned 12 MP) is far below. A JPEG this size is decoded at half
# scale or less (libjpeg scales while it decodes), so it costs about 40 MB, not 150.
MAX_PHOTO_PIXELS = 52_000_000
# PNG has no reduced-scale decoding, and a progressive JPEG's decoder holds every coefficient
# of the picture: each is decoded whole, at up to 4 bytes a pixel (8 for the coefficients), so
# they are held to the pixels we store at most (4,000 x 4,000). Pillow's WebP decoder holds
# about four copies of the picture while it decodes (250 MB for 16 MP), so WebP gets half that.
# Phones save camera shots as JPEG; a screenshot is 2 to 8 MP.
MAX_WHOLE_DECODE_PIXELS = MAX_IMAGE_SIDE * MAX_IMAGE_SIDE
MAX_WEBP_PIXELS = MAX_WHOLE_DECODE_PIXELS // 2

# Pillow's own decompression-bomb guard, set here and nowhere else, and made an error: any code
# in this process that opens a larger image is stopped before it decodes it.
Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)
# libjpeg reads this when each decoder starts: the memory its whole-picture buffers may take.
# A JPEG that hides many scans behind a baseline header (which Pillow's header cannot reveal)
# is stopped here instead of allocating a coefficient buffer for 52 MP.
os.environ.setdefault("JPEGMEM", "100M")
# gunicorn runs two threads a process: one decode at a time keeps the figures above per process.
DECODING = threading.RLock()

EXTENSIONS = {EvidenceKind.JPEG: "jpg", EvidenceKind.PNG: "png", EvidenceKind.WEBP: "webp", EvidenceKind.PDF: "pdf"}
PILLOW_FORMATS = {EvidenceKind.JPEG: "JPEG", EvidenceKind.PNG: "PNG", EvidenceKind.WEBP: "WEBP"}
# Modes each format stores as they are; anything else (CMYK, palette, 16-bit) is converted.
KEPT_MODES = {
    EvidenceKind.JPEG: ("L", "RGB"),
    EvidenceKind.PNG: ("L", "LA", "RGB", "RGBA"),
    EvidenceKind.WEBP: ("RGB", "RGBA"),
}
SAVE_OPTIONS = {
    EvidenceKind.JPEG: {"quality": 85, "optimize": True},
    EvidenceKind.PNG: {},
    EvidenceKind.WEBP: {"quality": 85},
}


class ClientUuidTaken(ValidationError):
    """The client_uuid of an upload names a file of another activity."""


def evidence_attach(*, activity, uploaded_file, caption, by, client_uuid=None):
    """Check, clean and store one uploaded file as evidence of the activity; returns (evidence, created).

    A phone names each upload with a `client_uuid` before its first attempt. When an upload with
    it already got in, that evidence is returned (created False) and the new bytes are dropped,
    even once the activity is submitted: a phone that lost the answer must be able to finish.
    Raises PermissionDenied when `by` may not add evidence to it, ClientUuidTaken when the
    `client_uuid` names another activity's file, and ValidationError (with a code) when the file
    is refused; then nothing is stored.
    """
    # First without the lock: a retry is answered before its photo is decoded again.
    if (earlier := _earlier_upload(activity, client_uuid, by)) is not None:
        return earlier, False
    if not access.can_add_evidence(by, activity):
        raise PermissionDenied
    caption = _clean_caption(caption)
    kind, content = _clean_file(uploaded_file)
    try:
        # Decoding a photo takes a moment: the row is locked only for the count and the write.
        with transaction.atomic():
            locked = Activity.objects.select_for_update().get(pk=activity.pk)
            # An earlier attempt may have been stored while this file was being cleaned: the lock orders the two.
            if (earlier := _earlier_upload(locked, client_uuid, by)) is not None:
                return earlier, False
            # Someone may have submitted the activity while the file was being cleaned.
            if not access.can_add_evidence(by, locked):
                raise PermissionDenied
            if locked.evidence.count() >= MAX_EVIDENCE_PER_ACTIVITY:
                raise ValidationError(
                    _("An activity can have at most %(limit)s files; remove one first."),
                    code="too_many_files",
                    params={"limit": MAX_EVIDENCE_PER_ACTIVITY},
                )
            return _store(locked, kind, content, caption, by, client_uuid), True
    except IntegrityError:
        # The lock orders uploads to one activity only: the same client_uuid sent to another activity
        # at the same moment got there first, and the unique index refused this one.
        if client_uuid is None or not Evidence.objects.filter(client_uuid=client_uuid).exists():
            raise
        return _earlier_upload(activity, client_uuid, by), False


def evidence_remove(*, evidence, by):
    """Delete the evidence row, then its file once the deletion is committed."""
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=evidence.activity_id)
        if not access.can_view_evidence(by, evidence):
            # Like evidence_open: whoever may not see it is not told it exists.
            raise Http404
        if not access.can_add_evidence(by, activity):
            raise PermissionDenied
        name, storage = evidence.file.name, evidence.file.storage
        evidence.delete()
        # Deleting the file before the commit would leave a row pointing at nothing if the
        # transaction rolled back; deleting it after keeps the two in step.
        transaction.on_commit(lambda: storage.delete(name))


def evidence_open(*, evidence, by):
    """An open binary file handle on the stored evidence, for the download view to stream."""
    if not access.can_view_evidence(by, evidence):
        raise Http404
    try:
        return evidence.file.storage.open(evidence.file.name, "rb")
    except FileNotFoundError as missing:
        raise Http404 from missing


def _earlier_upload(activity, client_uuid, by):
    """The evidence an earlier attempt with this client_uuid stored on the activity, if any."""
    if client_uuid is None or not access.can_author_in_region(by, activity.region_id):
        return None  # whoever may not upload here is refused as for any upload
    earlier = Evidence.objects.filter(client_uuid=client_uuid).first()
    if earlier is not None and earlier.activity_id != activity.pk:
        # The other activity may be another region's: say no more than that the value is taken.
        raise ClientUuidTaken(_("This client_uuid is already used; generate a new one."), code="conflict")
    return earlier


def _store(activity, kind, content, caption, by, client_uuid):
    evidence = Evidence(
        activity=activity,
        content_type=kind,
        size=len(content),
        caption=caption,
        uploaded_by=by,
        client_uuid=client_uuid,
    )
    # The name given here only lends its extension: evidence_path draws a random one.
    evidence.file.save(f"evidence.{EXTENSIONS[kind]}", ContentFile(content), save=False)
    try:
        evidence.save()
    except BaseException:
        evidence.file.delete(save=False)
        raise
    return evidence


def _clean_caption(caption):
    caption = (caption or "").strip()
    if len(caption) > MAX_CAPTION_LENGTH:
        raise ValidationError(
            _("The caption can have at most %(limit)s characters; it has %(length)s."),
            code="caption_too_long",
            params={"limit": MAX_CAPTION_LENGTH, "length": len(caption)},
        )
    return caption


def _clean_file(uploaded_file):
    """The file's kind, read from its bytes, and the bytes to store."""
    content = _read_capped(uploaded_file)
    kind = _detect_kind(content)
    if kind is None:
        raise ValidationError(
            _("Only photos (JPEG, PNG, WebP) and PDF documents can be attached; this file is not one of them."),
            code="unsupported_type",
        )
    if kind == EvidenceKind.PDF:
        with DECODING:  # one heavy reading at a time per process (see DECODING)
            check_pdf(content)
        return kind, content
    cleaned = _reencode_image(content, kind)
    # Rare, but a re-encoded PNG can come out larger than the original.
    _refuse_too_large(len(cleaned))
    return kind, cleaned


def _read_capped(uploaded_file):
    # .size is counted as the upload streams in: a huge file is refused before it is read.
    _refuse_too_large(uploaded_file.size or 0)
    uploaded_file.seek(0)
    content = uploaded_file.read(MAX_EVIDENCE_BYTES + 1)
    _refuse_too_large(len(content))
    if not content:
        raise ValidationError(_("This file is empty; choose the photo or document again."), code="empty")
    return content


def _refuse_too_large(size):
    if size > MAX_EVIDENCE_BYTES:
        raise ValidationError(
            _("This file is %(size)s MB; the limit is %(limit)s MB."),
            code="too_large",
            params={"size": number_format(size / MEGABYTE, 1), "limit": MAX_EVIDENCE_BYTES // MEGABYTE},
        )


def _detect_kind(content):
    if content.startswith(b"\xff\xd8\xff"):
        return EvidenceKind.JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return EvidenceKind.PNG
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return EvidenceKind.WEBP
    if content.startswith(b"%PDF-"):
        return EvidenceKind.PDF
    return None


def _reencode_image(content, kind):
    """The photo, upright, possibly smaller, rebuilt from its pixels alone."""
    with DECODING:
        image = _decode_image(content, kind)
        if image.mode not in KEPT_MODES[kind]:
            image = _convert_mode(image, kind)
        if max(image.size) > MAX_IMAGE_SIDE:
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
        # A new image given only the pixels carries no info dict: no EXIF, GPS, XMP, ICC profile
        # or text chunk for any encoder to copy across. (Pasted, not tobytes(): one copy, not two.)
        bare = Image.new(image.mode, image.size)
        bare.paste(image)
        del image
        out = io.BytesIO()
        bare.save(out, format=PILLOW_FORMATS[kind], **SAVE_OPTIONS[kind])
        return out.getvalue()


def _decode_image(content, kind, fit=MAX_IMAGE_SIDE):
    """The photo decoded and upright, at no less than `fit` pixels a side where its format can decode smaller.

    Its size is checked from the header first: a picture over the limits is refused before a
    single pixel is decoded.
    """
    # A process-wide switch: were any library to turn it on, half a photo would pass as whole.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        # Restricting the decoders to the detected format keeps Pillow's rarer parsers out of reach.
        # The warning is made an error here too: a filter set at import is lost to any caller that
        # wraps the import in catch_warnings (test runners do).
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=[PILLOW_FORMATS[kind]])
        with image:
            _refuse_too_many_pixels(image, kind)
            if kind == EvidenceKind.JPEG and max(image.size) > fit:
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale: a 50-megapixel photo needs a
                # quarter of the memory, and is still read to its end.
                image.draft(None, _draft_size(image.size, fit))
            image.load()
            _upright(image)
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise _too_many_pixels(_pixel_limit(kind)) from bomb
    except ValidationError:
        raise
    except Exception as broken:
        # Pillow reports malformed input with many exception types; any of them means the
        # file cannot be vouched for.
        raise ValidationError(
            _("This image is damaged or incomplete; take or export it again."), code="damaged_image"
        ) from broken


def _upright(image):
    # The pixels decoded; a malformed EXIF block is dropped anyway, so a photo it cannot turn is kept as shot.
    with contextlib.suppress(Exception):
        # In place: a photo that is already upright is not copied.
        ImageOps.exif_transpose(image, in_place=True)


def _refuse_too_many_pixels(image, kind):
    """Refuse, from the header alone, a picture whose decoding would cost more than a photo's."""
    limit = _pixel_limit(kind, progressive=image.info.get("progressive"))
    if image.width * image.height > limit:
        raise _too_many_pixels(limit)


def _pixel_limit(kind, progressive=False):
    if kind == EvidenceKind.JPEG:
        limit = MAX_WHOLE_DECODE_PIXELS if progressive else MAX_PHOTO_PIXELS
    else:
        limit = MAX_WEBP_PIXELS if kind == EvidenceKind.WEBP else MAX_WHOLE_DECODE_PIXELS
    # Read at call time, so that an operator who lowers Pillow's limit is obeyed.
    return min(limit, Image.MAX_IMAGE_PIXELS or limit)


def _too_many_pixels(limit):
    return ValidationError(
        _("This image has too many pixels to process; export it at a smaller size (at most %(limit)s megapixels)."),
        code="too_many_pixels",
        params={"limit": limit // 1_000_000},
    )


def _draft_size(size, fit):
    """The size to ask libjpeg for: its smallest scale (1/2, 1/4, 1/8) still at least `fit` long.

    A photo over MAX_WHOLE_DECODE_PIXELS is decoded at half scale at least, though it may then be
    stored under `fit` pixels: at 7,999 x 6,500, full scale would be the only one `fit` long, and
    would cost 200 MB.
    """
    scale = next(scale for scale in (8, 4, 2, 1) if max(size) // scale >= fit)
    if scale == 1 and size[0] * size[1] > MAX_WHOLE_DECODE_PIXELS:
        scale = 2
    # Pillow picks the largest scale whose result is at least the size asked for.
    return tuple(max(1, side // scale) for side in size)


def _convert_mode(image, kind):
    if image.mode.startswith("I"):
        # 16-bit greyscale (some scanners): scale to 8 bits; a plain convert would clip to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
        if image.mode in KEPT_MODES[kind]:
            return image
    keeps_alpha = kind != EvidenceKind.JPEG and image.has_transparency_data
    return image.convert("RGBA" if keeps_alpha else "RGB")
