"""Deciding a file's format from its content, and refusing files whose extension lies.

Binary formats are told apart by their signatures (``%PDF-``, a zip with ``word/document.xml``),
never by the name. Text is text; which text format it is comes from the content where that is
unambiguous (a full HTML document) and from the extension otherwise, because Markdown, plain text
and HTML fragments cannot be told apart reliably. Text that is not valid UTF-8 is still reported as
text, so the converter can name the offending byte instead of calling the file "unsupported".
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import PurePath

from kb.errors import ConversionError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
MARKDOWN = "text/markdown"
TEXT = "text/plain"
ZIP = "application/zip"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
LEGACY_OFFICE = "application/x-ole-storage"
OCTET_STREAM = "application/octet-stream"

TEXT_TYPES = frozenset({HTML, MARKDOWN, TEXT})
SUPPORTED_TYPES = frozenset({PDF, DOCX, *TEXT_TYPES})

EXTENSION_TYPES: dict[str, str] = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".txt": TEXT,
    ".text": TEXT,
}

DESCRIPTIONS: dict[str, str] = {
    PDF: "a PDF document",
    DOCX: "a Word document (.docx)",
    HTML: "an HTML page",
    MARKDOWN: "Markdown text",
    TEXT: "plain text",
    ZIP: "a zip archive",
    XLSX: "an Excel workbook (.xlsx)",
    PPTX: "a PowerPoint presentation (.pptx)",
    LEGACY_OFFICE: "a legacy Office file (.doc/.xls/.ppt)",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/tiff": "a TIFF image",
    OCTET_STREAM: "binary data",
}

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", LEGACY_OFFICE),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]
_HTML_START = re.compile(r"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
SNIFF_BYTES = 8192


def sniff_media_type(data: bytes, filename: str) -> str:
    """The media type of ``data`` judged by its content (the name only refines text formats)."""
    head = data[:SNIFF_BYTES]
    if b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(data)
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _text_type(_decode_head(head, "utf-16"), filename)
    if b"\x00" in head:
        return OCTET_STREAM
    return _text_type(_decode_head(head, "utf-8-sig"), filename)


def check_extension_matches(media_type: str, filename: str) -> None:
    """Raise ``ConversionError`` when the extension promises another format than the content has.

    Any text format satisfies a text extension (``.txt`` holding HTML is still text); names without
    an extension or with one we do not know are not checked.
    """
    expected = EXTENSION_TYPES.get(PurePath(filename).suffix.lower())
    if expected is None or expected == media_type:
        return
    if expected in TEXT_TYPES and media_type in TEXT_TYPES:
        return
    raise ConversionError(
        f"{filename}: content does not match its extension: looks like {describe(media_type)}, "
        f"not {describe(expected)}; rename it or upload the right file"
    )


def describe(media_type: str) -> str:
    """A human description of a media type for error messages."""
    return DESCRIPTIONS.get(media_type, media_type)


def _zip_type(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        return ZIP
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "ppt/presentation.xml" in names:
        return PPTX
    return ZIP


def _decode_head(head: bytes, encoding: str) -> str:
    # The head may end inside a multi-byte character, and invalid bytes are the converter's to
    # report (with their offset), so decoding here is lenient.
    return head.decode(encoding, errors="replace")


def _text_type(head: str, filename: str) -> str:
    if _HTML_START.match(head):
        return HTML
    expected = EXTENSION_TYPES.get(PurePath(filename).suffix.lower())
    return expected if expected in TEXT_TYPES else TEXT
