"""Word (.docx) -> sections with python-docx: heading styles give the structure, tables become rows.

A .docx is a zip archive, so before python-docx opens it the central directory is checked against
zip bombs: a small upload that would inflate to gigabytes is refused without decompressing it.
Paragraphs and tables are read in document order; "Heading 1".."Heading 9" open sections, "Title"
gives the title when the core properties have none. Heading 1 stays in the heading paths unless it
is the only one and equals the title (see ``_common``). Automatic list numbers ("1.", "(a)", "ii.")
are reproduced from ``numbering.xml`` (:mod:`ingest.converters.docx_numbering`). Headers, footers,
footnotes and comments are not part of the text.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from ingest.converters._common import (
    SectionBuilder,
    clean_inline,
    markdown_table,
    one_line,
    require_content,
    require_sections,
)
from ingest.converters.docx_numbering import ListNumbering
from kb.errors import ConversionError
from kb.models import ConvertedDocument

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Entries smaller than this cannot hurt on their own (the total is capped anyway), and small,
# very repetitive XML parts of honest documents can compress more than 100:1.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ENTRIES = 10_000

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def convert_docx(data: bytes, filename: str = "document.docx") -> ConvertedDocument:
    """Convert .docx bytes into a :class:`ConvertedDocument`; refuses zip bombs before parsing."""
    require_content(data, filename)
    check_zip_safety(data, filename)
    try:
        import docx  # local: python-docx pulls in lxml's large modules; only this converter needs it

        document = docx.Document(io.BytesIO(data))
        builder = SectionBuilder()
        styled_title = _read_body(document, builder)
        core_title = one_line(document.core_properties.title or "")
    except ConversionError:
        raise
    except Exception as exc:  # untrusted input: any parser failure is a damaged document
        raise ConversionError(
            f"{filename} is not a readable Word document (damaged or not .docx: {type(exc).__name__}: "
            f"{one_line(str(exc))[:160]})"
        ) from None
    title = core_title or styled_title
    sections = builder.build(title)
    require_sections(sections, filename)
    return ConvertedDocument(sections=sections, media_type=MEDIA_TYPE, title=title or None)


def check_zip_safety(data: bytes, filename: str) -> None:
    """Refuse archives that are not zips, or would inflate too far, from the central directory alone."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ConversionError(
            f"{filename} is not a valid Word document: it is not a .docx (zip) file; "
            "legacy .doc files must be saved as .docx or PDF first"
        ) from None
    if len(entries) > MAX_ENTRIES:
        raise ConversionError(f"{filename} is refused: its archive holds {len(entries)} files (zip bomb?)")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ConversionError(
            f"{filename} is refused as a possible zip bomb: it would unpack to {total / 2**20:.0f} MiB "
            f"(limit {MAX_UNCOMPRESSED_BYTES / 2**20:.0f} MiB)"
        )
    for entry in entries:
        if entry.file_size < RATIO_CHECK_MIN_BYTES:
            continue
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            raise ConversionError(
                f"{filename} is refused as a possible zip bomb: its part '{entry.filename}' is compressed "
                f"{ratio:.0f}:1 (limit {MAX_COMPRESSION_RATIO}:1)"
            )
    if "word/document.xml" not in {entry.filename for entry in entries}:
        raise ConversionError(f"{filename} is a zip archive but not a Word document (no word/document.xml)")


def _read_body(document: Any, builder: SectionBuilder) -> str | None:
    """Feed paragraphs and tables in order into ``builder``; returns the first "Title" paragraph."""
    from docx.table import Table

    title: str | None = None
    numbering = ListNumbering(document)
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            builder.block(_table_text(item))
            continue
        text = clean_inline(item.text)
        if not text:
            continue
        style = item.style.name if item.style is not None else ""
        level = _heading_level(style)
        if style == "Title":
            title = title or one_line(text)
        elif level is not None:
            builder.heading(level, text)
        else:
            marker = numbering.marker(item)
            builder.block((_list_prefix(style) if marker is None else marker) + text)
    return title


def _heading_level(style: str) -> int | None:
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) if match else None


def _list_prefix(style: str) -> str:
    """A bullet style whose numbering is not defined still gets a ``-`` marker."""
    return "- " if style.lower().startswith("list bullet") else ""


def _table_text(table: Any) -> str:
    """A table as Markdown rows, the first row as header; merged cells (repeated by python-docx)
    appear once; a nested table's rows are folded into its cell."""
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            nested = "; ".join(_nested_rows(inner) for inner in cell.tables)
            cells.append(one_line(cell.text + (" " + nested if nested else "")))
        rows.append(cells)
    return markdown_table(rows)


def _nested_rows(table: Any) -> str:
    return "; ".join(" / ".join(one_line(cell.text) for cell in row.cells) for row in table.rows)
