"""PDF -> sections with pypdf: text page by page, page numbers kept, outline (bookmarks) as headings.

The title is the Info dictionary's, else the first large heading of page 1
(:mod:`ingest.converters.pdf_title`), else (upstream) the file name. Accents that extraction
leaves beside their letters ("Wirtschaftsuniversit¨at") are put back (``join_spacing_accents``).

Ruled tables become Markdown rows (:mod:`ingest.converters.pdf_tables`). Pages without a text
layer (scans) are read by OCR (:mod:`ingest.converters.ocr`); mixed PDFs send only those pages to
the engine.

Every section lies on one page, so a chunk can always cite the page it starts on. Where the PDF has
an outline, each page's text is filed under the outline entry in effect there; when an entry's
title can be found in its page's text the page is split at that point, so the text before it stays
under the previous entry. pypdf's many exception types (and the odd ``KeyError`` from a malformed
object) are translated into :class:`~kb.errors.ConversionError` here.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PyPdfError

from ingest.converters._common import SectionBuilder, clean_inline, join_spacing_accents, one_line, require_content
from ingest.converters.ocr import LOW_CONFIDENCE, OcrPage, ocr_pdf_pages
from ingest.converters.pdf_tables import page_texts_with_tables, ruled_pages
from ingest.converters.pdf_title import RunCollector, heading_title
from kb.errors import ConversionError
from kb.models import ConvertedDocument

MEDIA_TYPE = "application/pdf"
MAX_OUTLINE_DEPTH = 6
MIN_PAGE_CHARS = 8  # fewer characters than this in the text layer: a scanned page (a stray page number)

_HYPHENATED = re.compile(r"(?<=[a-z])-\n(?=[a-z])")
_WORD_PREFIX = re.compile(r"^(microsoft (word|powerpoint|excel) - )", re.IGNORECASE)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfText:
    """What the text layer gave, before OCR: page texts (index 0 = page 1), outline and title."""

    texts: tuple[str, ...]
    outline: dict[int, list[tuple[int, str]]]
    title: str | None

    @property
    def page_count(self) -> int:
        return len(self.texts)

    @property
    def image_pages(self) -> list[int]:
        """1-based numbers of the pages without a text layer: scans (or text drawn as outlines)."""
        return [number for number, text in enumerate(self.texts, start=1) if len(text.strip()) < MIN_PAGE_CHARS]


def convert_pdf(data: bytes, filename: str = "document.pdf", *, language: str | None = None) -> ConvertedDocument:
    """Convert PDF bytes into a :class:`ConvertedDocument` with one or more sections per page.

    Pages without a text layer are recognised with OCR (:mod:`ingest.converters.ocr`) in
    ``language`` (the metadata's ISO code; detected when ``None``). In the worker the two steps run
    apart, each with its own time limit (:func:`ingest.converters.convert_bytes`).
    """
    extracted = extract_pdf(data, filename)
    pages = extracted.image_pages
    recognised = ocr_pdf_pages(data, pages, language=language, filename=filename) if pages else {}
    return assemble_pdf(extracted, recognised, filename)


def extract_pdf(data: bytes, filename: str = "document.pdf") -> PdfText:
    """The text layer of every page, the outline and the title (no OCR)."""
    require_content(data, filename)
    reader = _open(data, filename)
    try:
        first_page = RunCollector()  # font sizes of page 1, for a title when the metadata has none
        texts = tuple(_page_text(page, first_page if i == 0 else None) for i, page in enumerate(reader.pages))
        with_tables = page_texts_with_tables(data, ruled_pages(reader.pages))
        # TeX's accents come out beside their letters ("Jos´e"): put them back on
        texts = tuple(join_spacing_accents(with_tables.get(index, text)) for index, text in enumerate(texts))
        outline = _outline_starts(reader)
        title = _title(reader) or _first_heading(reader, first_page)
    except ConversionError:
        raise
    except Exception as exc:  # untrusted input: any parser failure is a corrupt file
        raise ConversionError(f"{filename} is not a readable PDF (damaged or corrupt: {_reason(exc)})") from None
    return PdfText(texts=texts, outline=outline, title=title)


def assemble_pdf(extracted: PdfText, recognised: Mapping[int, OcrPage], filename: str) -> ConvertedDocument:
    """Sections from the text layer and the OCR pages; OCR sections say so, with their confidence."""
    texts = [recognised[n].text if n in recognised else text for n, text in enumerate(extracted.texts, start=1)]
    if not any(text.strip() for text in texts):
        tried = " even with text recognition (OCR)" if extracted.image_pages else ""
        raise ConversionError(
            f"{filename} has no readable text{tried} ({extracted.page_count} page(s)); "
            "it may be blank or an image without words"
        )
    builder = SectionBuilder()
    for number, text in enumerate(texts, start=1):
        builder.set_page(number)
        _add_page(builder, text, extracted.outline.get(number - 1, []))
    sections = tuple(
        replace(section, ocr=True, ocr_confidence=recognised[section.page].confidence)
        if section.page is not None and section.page in recognised
        else section
        for section in builder.build(extracted.title)
    )
    warnings = tuple(
        f"page {page.page}: text recognition (OCR) confidence is low ({page.confidence:.0f} of 100); "
        "check the scan or upload a clearer copy"
        for page in recognised.values()
        if page.confidence is not None and page.confidence < LOW_CONFIDENCE and page.text.strip()
    )
    return ConvertedDocument(
        sections=sections,
        media_type=MEDIA_TYPE,
        title=extracted.title,
        page_count=extracted.page_count,
        warnings=warnings,
    )


def _open(data: bytes, filename: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConversionError(
                f"{filename} is encrypted (password-protected) and cannot be opened; "
                "upload a copy saved without a password"
            )
        _ = len(reader.pages)  # forces the page tree to load: a corrupt file fails here
    except ConversionError:
        raise
    except (FileNotDecryptedError, NotImplementedError) as exc:
        raise ConversionError(
            f"{filename} is encrypted in a way that cannot be opened ({_reason(exc)}); "
            "upload a copy saved without a password"
        ) from None
    except Exception as exc:  # PyPdfError, ValueError, KeyError, ... from a damaged file
        raise ConversionError(f"{filename} is not a readable PDF (damaged or corrupt: {_reason(exc)})") from None
    return reader


def _reason(exc: BaseException) -> str:
    text = one_line(str(exc)) or type(exc).__name__
    return text if isinstance(exc, PyPdfError) else f"{type(exc).__name__}: {text}"[:200]


def _page_text(page: Any, visitor: RunCollector | None = None) -> str:
    try:
        text = (page.extract_text(visitor_text=visitor) if visitor else page.extract_text()) or ""
    except Exception as exc:  # one bad page should not lose the rest of the document
        logger.warning("skipping a page whose text cannot be extracted: %s", _reason(exc))
        return ""
    return _HYPHENATED.sub("", clean_inline(text))


def _title(reader: PdfReader) -> str | None:
    try:
        info = reader.metadata
        raw = info.title if info is not None else None
    except Exception:  # a broken Info dictionary is not worth failing the file for
        return None
    title = one_line(join_spacing_accents(str(raw))) if raw else ""
    title = _WORD_PREFIX.sub("", title).strip()
    if not title or title.lower() in {"untitled", "title", "document"}:
        return None
    return title


def _first_heading(reader: PdfReader, first_page: RunCollector) -> str | None:
    """The large heading at the top of page 1 (:mod:`ingest.converters.pdf_title`), or ``None``."""
    if not first_page.runs:
        return None
    box = reader.pages[0].mediabox
    return heading_title(first_page.runs, float(box.bottom), float(box.top))


def _outline_starts(reader: PdfReader) -> dict[int, list[tuple[int, str]]]:
    """Outline entries by 0-based start page: ``{page: [(level, title), ...]}`` in reading order."""
    starts: dict[int, list[tuple[int, str]]] = {}
    try:
        outline = reader.outline
    except Exception as exc:
        logger.info("ignoring an unreadable outline: %s", _reason(exc))
        return starts

    def visit(items: list[Any], level: int) -> None:
        if level > MAX_OUTLINE_DEPTH:
            return
        for item in items:
            if isinstance(item, list):
                visit(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = one_line(str(item.title or ""))
            except Exception:
                continue
            if page is not None and page >= 0 and title:
                starts.setdefault(page, []).append((level, title))

    visit(outline, 1)
    return starts


def _add_page(builder: SectionBuilder, text: str, entries: list[tuple[int, str]]) -> None:
    """Add one page's text, starting each outline entry where its title appears (else at the top).

    A line that holds just the entry's title (perhaps with a number such as ``2.``) is the heading
    itself: it moves into the heading path instead of staying in the text.
    """
    position = 0
    for level, title in entries:
        found = _find_title(text, title, position)
        if found is not None:  # else the entry starts somewhere we cannot see: file it from here
            line_start, body_start = found
            builder.block(text[position:line_start])
            position = body_start
        builder.heading(level, title)
    builder.block(text[position:])


def _find_title(text: str, title: str, start: int) -> tuple[int, int] | None:
    """Where the line holding ``title`` as a heading starts, and where the text after it starts.

    Only a line that is (nearly) the title alone counts: the same words inside a paragraph ("mission
    mode projects" in a summary) are not the heading, and splitting there would file the paragraph
    under the wrong section.
    """
    words = [re.escape(word) for word in title.split()]
    if not words:
        return None
    for match in re.compile(r"\s+".join(words), re.IGNORECASE).finditer(text, start):
        line_start = max(text.rfind("\n", start, match.start()) + 1, start)
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end < 0 else line_end
        rest = text[line_start : match.start()] + text[match.end() : line_end]
        if len(rest.strip()) <= 12:
            return line_start, line_end
    return None
