"""Whether a PDF may be accepted as evidence: read with a real PDF parser, refused if anything in
it could act when a reviewer opens it (a script, a link out, a launch, an attached file, a form),
if it is encrypted, or if it cannot be read; and every reading bounded, so that a hostile file of
at most 10 MB takes neither minutes nor hundreds of megabytes (activities.evidence)."""

import io
import re

import pypdf
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject, StreamParsingBudget, read_object

from .models import MAX_EVIDENCE_BYTES

__all__ = ["MAX_PDF_INFLATED", "PDF_PARSER_LIMITS", "check_pdf"]

MEGABYTE = 1024 * 1024

# What in a PDF makes a reviewer's reader do more than show pages: run a script, start a
# program, call a server (a link, a remote go-to, a form submission), open an attached file,
# play media, or run an interactive form. Such a PDF is refused; printing it to a new PDF keeps
# the pages and drops the rest.
ACTIVE_PDF_KEYS = frozenset({"/JS", "/JavaScript", "/AcroForm", "/XFA", "/EmbeddedFiles", "/EF", "/RichMediaContent"})
ACTIVE_PDF_ACTIONS = frozenset(
    {
        "/JavaScript", "/Launch", "/URI", "/GoToR", "/GoToE", "/GoToDp", "/SubmitForm", "/ImportData",
        "/ResetForm", "/Rendition", "/Sound", "/Movie", "/Hide", "/Named", "/RichMediaExecute", "/GoTo3DView",
    }
)  # fmt: skip
ACTIVE_PDF_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D", "/Widget"})
# Keys whose value decides, and may be given by reference: resolved once the whole file is read.
PDF_DECIDING_KEYS = ("/S", "/Subtype", "/Type", "/OpenAction", "/AA")
# A name of the above where the file could not be parsed: such a file is refused either way,
# and its sender is better told about the script than about the damage.
ACTIVE_PDF_TEXT = re.compile(rb"/(?:JavaScript|JS|Launch|URI|GoToR|EmbeddedFiles?|AcroForm|XFA)(?![A-Za-z])")
PDF_SPACE = rb"[\0\t\n\x0b\f\r ]"
# Every "N G obj" in the file, listed in its cross-reference table or not: a reader that repairs
# a file finds objects the table leaves out, so each is read and checked. A wider pattern than
# the parser's own (which also accepts these), so that nothing it reads goes unchecked.
PDF_OBJECT_HEADER = re.compile(rb"(?<![0-9])([0-9]{1,10})" + PDF_SPACE + rb"+([0-9]{1,5})" + PDF_SPACE + rb"+obj")
PDF_TRAILER = re.compile(rb"trailer" + PDF_SPACE + rb"*(?=<<)")
PDF_SPACES = re.compile(PDF_SPACE + rb"*")
# Bounds on the work a PDF may cause, whatever it holds. Evidence PDFs (a scanned attendance
# sheet, an exported agenda) have tens to hundreds of objects (a 60-page manual: 650 objects,
# 6,500 dictionary entries and array items); a 10 MB catalogue of one vast array took pypdf
# 11 s and 380 MB without these; 250,000 items stop it after about 3 s and 130 MB.
MAX_PDF_OBJECTS = 20_000
MAX_PDF_ELEMENTS = 250_000
# What the compressed object streams of a PDF may inflate to, in all: a zip bomb stops here
# instead of filling the worker's memory.
MAX_PDF_INFLATED = 32 * MEGABYTE
PDF_DECODERS = ("zlib", "lzw", "run_length", "brotli", "jbig2", "array_based_stream")
PDF_PARSER_LIMITS = {f"{decoder}_maximum_output_length": MAX_PDF_INFLATED for decoder in PDF_DECODERS} | {
    "maximum_declared_stream_length": MAX_EVIDENCE_BYTES,
    "image_maximum_buffer_size": MAX_PDF_INFLATED,
    "stream_decoding_work_maximum_length": 2 * MAX_PDF_INFLATED,
    "page_tree_maximum_entries": MAX_PDF_OBJECTS,
    "page_tree_maximum_page_entries": MAX_PDF_ELEMENTS,
    "jbig2dec_binary": None,  # never an outside program for a hostile file's pictures
}


def check_pdf(content):
    """Refuse a PDF that could act on a reviewer's machine, that is encrypted, or that cannot be read.

    Two readings, so that neither can be led astray alone: first every object written in the
    file (those in its cross-reference table, those left out of it, those packed in object
    streams) is parsed on its own under one shared budget of work, and each dictionary in it is
    checked; then the parser reads the document as a reader would (trailer, catalogue, pages),
    which is cheap once the first reading has bounded the file. The second must find nothing
    the first did not read.
    """
    if b"%%EOF" not in content[-1024:]:
        raise _damaged_pdf()
    headers = list(PDF_OBJECT_HEADER.finditer(content))
    if len(headers) > MAX_PDF_OBJECTS:
        raise _complex_pdf()
    try:
        with pypdf.apply_configuration(**PDF_PARSER_LIMITS):
            body = PdfBody(content, headers)
            body.check()
            _check_as_a_reader_reads(content, body)
    except ValidationError:
        raise
    except LimitReachedError as too_much:
        raise _complex_pdf() from too_much
    except Exception as broken:
        # pypdf reports malformed input with many exception types; any of them means the file
        # cannot be vouched for.
        raise (_active_pdf() if ACTIVE_PDF_TEXT.search(content) else _damaged_pdf()) from broken


def _check_as_a_reader_reads(content, body):
    reader = pypdf.PdfReader(io.BytesIO(content), xref_stream_maximum_entries=MAX_PDF_OBJECTS)
    if reader.is_encrypted:
        raise _encrypted_pdf()
    if len(reader.pages) < 1:
        raise _damaged_pdf()
    listed = {_object_start(content, offset) for table in reader.xref.values() for offset in table.values()}
    packed = {stream_number for stream_number, _ in reader.xref_objStm.values()}
    if not listed <= body.read_at or not packed <= body.unpacked:
        # The tables point where no object was read and checked (a header the pattern above
        # does not take, a stream not marked as holding objects): refused rather than left unchecked.
        raise _damaged_pdf()
    for key, reference in body.by_reference:
        value = reader.get_object(IndirectObject(reference.idnum, reference.generation, reader))
        if _decides_active(key, value):
            raise _active_pdf()


def _object_start(content, offset):
    # Tables are sometimes off by the whitespace before a header, which readers forgive.
    while offset < len(content) and content[offset : offset + 1] in b"\0\t\n\x0b\f\r ":
        offset += 1
    return offset


class PdfBody:
    """Every object written in a PDF, parsed one at a time by pypdf's object parser.

    Objects are read and checked one by one and dropped, so memory holds one object at a time;
    the parser's work (dictionary entries, array items) across the whole file draws on one
    budget, so a vast array or a million tiny objects is refused in about a second.
    """

    # A malformed object is refused, never half-read: pypdf's lenient mode would return the
    # part of a dictionary before a bad token, while another reader might read past it.
    strict = True

    def __init__(self, content, headers):
        self.content = content
        self.stream = io.BytesIO(content)
        self.headers = headers
        self.budget = StreamParsingBudget(remaining_budget=MAX_PDF_ELEMENTS)
        self.inflated = 0
        self.objects = len(headers)
        self.read_at = set()
        self.unpacked = set()
        # Values under PDF_DECIDING_KEYS given by reference, for the reader to resolve at the end.
        self.by_reference = []
        # Where each object number's latest header ends, for a stream length given by reference.
        self.ends = {(int(m[1]), int(m[2])): m.end() for m in headers}
        self.resolving = set()

    def check(self):
        self._check_trailers()
        packed = []
        for number, obj in self._each_object():
            if isinstance(obj, StreamObject) and self._resolved(dict.get(obj, "/Type")) == "/ObjStm":
                # Read after every trailer and cross-reference stream: an encrypted file is told so.
                packed.append((number, obj))
            self._check_tree(obj)
        for number, object_stream in packed:
            self.unpacked.add(number)
            for obj in self._unpack(object_stream):
                self._check_tree(obj)

    def _check_trailers(self):
        for match in PDF_TRAILER.finditer(self.content):
            try:
                trailer = self._parse(match.end())
            except LimitReachedError:
                raise
            except Exception:
                continue  # the word inside a stream; a real trailer the parser reads is checked by it too
            if isinstance(trailer, DictionaryObject) and "/Encrypt" in trailer:
                raise _encrypted_pdf()

    def _each_object(self):
        covered = 0  # the end of the last object read: headers before it lie inside its strings or data
        for header in self.headers:
            try:
                obj = self._parse(header.end())
            except LimitReachedError:
                raise
            except Exception:
                if header.start() < covered:
                    continue  # bytes that spell a header inside a stream's data or a string
                raise
            covered = max(covered, self.stream.tell())
            self.read_at.add(header.start())
            yield int(header[1]), obj

    def _unpack(self, object_stream):
        """The objects packed in an object stream, where PDF 1.5+ files keep most dictionaries."""
        count, first = object_stream["/N"], object_stream["/First"]
        self.objects += count
        if self.objects > MAX_PDF_OBJECTS:
            raise _complex_pdf()
        # Never 0, which zlib takes as no limit at all.
        with pypdf.apply_configuration(zlib_maximum_output_length=max(1, MAX_PDF_INFLATED - self.inflated)):
            data = object_stream.get_data()
        self.inflated += len(data)
        if self.inflated > MAX_PDF_INFLATED:
            raise _complex_pdf()
        packed = io.BytesIO(data)
        offsets = [int(part) for part in data[:first].split()[1::2]]
        if len(offsets) != count:
            raise _damaged_pdf()
        for offset in offsets:
            packed.seek(first + offset)
            yield read_object(packed, self, parsing_budget=self.budget)

    def _parse(self, offset):
        self.stream.seek(PDF_SPACES.match(self.content, offset).end())
        return read_object(self.stream, self, parsing_budget=self.budget)

    def _resolved(self, value):
        return self.get_object(value) if isinstance(value, IndirectObject) else value

    def get_object(self, reference):
        """What pypdf's parser asks for when a stream's length or filter is given by reference."""
        key = (reference.idnum, reference.generation)
        if key not in self.ends or key in self.resolving:
            return None
        self.resolving.add(key)
        position = self.stream.tell()
        try:
            return self._parse(self.ends[key])
        finally:
            self.stream.seek(position)
            self.resolving.discard(key)

    def _check_tree(self, obj):
        # A stack, not recursion: a hostile file may nest arrays thousands deep.
        stack = [obj]
        while stack:
            item = stack.pop()
            if isinstance(item, DictionaryObject):
                self._check_dictionary(item)
                stack.extend(dict.values(item))
            elif isinstance(item, ArrayObject):
                stack.extend(list.__iter__(item))

    def _check_dictionary(self, dictionary):
        if "/Encrypt" in dictionary:  # a trailer, or a cross-reference stream's dictionary
            raise _encrypted_pdf()
        if not ACTIVE_PDF_KEYS.isdisjoint(dictionary.keys()):
            raise _active_pdf()
        for key in PDF_DECIDING_KEYS:
            value = dict.get(dictionary, key)
            if isinstance(value, IndirectObject):
                self.by_reference.append((key, value))
            elif value is not None and _decides_active(key, value):
                raise _active_pdf()


def _decides_active(key, value):
    """Whether this value under this key makes a PDF active (see ACTIVE_PDF_ACTIONS)."""
    if key == "/S":
        return value in ACTIVE_PDF_ACTIONS
    if key == "/Subtype":
        return value in ACTIVE_PDF_SUBTYPES
    if key == "/Type":
        return value == "/EmbeddedFile"
    if key == "/OpenAction":
        # A destination (an array) only opens a page; a dictionary is an action.
        return isinstance(value, DictionaryObject)
    # /AA: actions run when a page opens or closes, a field is touched, the document prints...
    return not (isinstance(value, DictionaryObject) and not value)


def _active_pdf():
    return ValidationError(
        _(
            "This PDF contains links, scripts, forms or attached files and cannot be accepted; "
            "print it to a new PDF, which keeps only the pages, and attach that."
        ),
        code="active_pdf",
    )


def _encrypted_pdf():
    # Encrypted strings and object streams cannot be read, so scripts in them could not be found.
    return ValidationError(
        _("This PDF is password-protected or encrypted; save an unprotected copy and attach that."),
        code="encrypted_pdf",
    )


def _complex_pdf():
    return ValidationError(
        _("This PDF is too complex to check; print it to a new PDF or split it, and attach that."),
        code="complex_pdf",
    )


def _damaged_pdf():
    return ValidationError(_("This PDF is damaged or incomplete; save or export it again."), code="damaged_pdf")
