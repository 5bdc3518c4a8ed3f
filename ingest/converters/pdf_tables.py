"""Tables in PDFs, with pdfplumber: ruled tables become Markdown rows in their place on the page.

pypdf's text flattens a table into a run of cells ("District Pending mutations Ambala 12,410 ..."),
losing which number belongs to which column. pdfplumber finds tables from their ruling lines and
keeps cells apart. It is slow (pdfminer lays out every character), so it runs only on pages whose
content stream draws enough lines or rectangles to hold a table; other pages keep pypdf's text.
Unruled tables (columns aligned by spaces only) are left to pypdf: pdfplumber's text strategy finds
"tables" in ordinary two-column prose too.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from typing import Any

from ingest.converters._common import clean_inline, markdown_table

MIN_RULES = 6  # lines + rectangles a page must draw before it is searched for tables
_RULE_OPERATORS = re.compile(rb"\s(?:re|l)\s")

logger = logging.getLogger(__name__)


def ruled_pages(pages: Sequence[Any]) -> list[int]:
    """0-based indices of the pypdf ``pages`` that draw at least ``MIN_RULES`` lines/rectangles."""
    found = []
    for index, page in enumerate(pages):
        try:
            contents = page.get_contents()
            data = contents.get_data() if contents is not None else b""
        except Exception:  # an unreadable content stream: pypdf's text is all we get
            continue
        if len(_RULE_OPERATORS.findall(data, 0, 2_000_000)) >= MIN_RULES:
            found.append(index)
    return found


def page_texts_with_tables(data: bytes, indices: Sequence[int]) -> dict[int, str]:
    """``{0-based page: text}`` for the pages among ``indices`` that hold tables: the text above,
    between and below the tables (text beside a table follows it), tables as Markdown rows."""
    if not indices:
        return {}
    import pdfplumber

    texts: dict[int, str] = {}
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for index in indices:
                text = _page_with_tables(pdf.pages[index])
                if text is not None:
                    texts[index] = text
    except Exception as exc:  # pdfminer on an odd file: keep pypdf's flattened text instead
        logger.info("table extraction skipped: %s: %s", type(exc).__name__, exc)
        return {}
    return texts


def _page_with_tables(page: Any) -> str | None:
    tables = sorted(page.find_tables(), key=lambda table: table.bbox[1])
    if not tables:
        return None
    boxes = [table.bbox for table in tables]

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        x, top = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and t <= top <= b for x0, t, x1, b in boxes)

    prose = page.filter(outside)
    parts: list[str] = []
    top = 0.0
    for table in tables:
        _x0, table_top, _x1, table_bottom = table.bbox
        if table_top > top:
            parts.append(_text(prose, top, table_top))
        rows = [[cell or "" for cell in row] for row in table.extract()]
        parts.append(markdown_table(rows))
        parts.append(_text(prose, table_top, table_bottom))  # text beside the table
        top = max(top, table_bottom)
    parts.append(_text(prose, top, page.height))
    return "\n\n".join(part for part in parts if part.strip())


def _text(page: Any, top: float, bottom: float) -> str:
    if bottom - top < 1:
        return ""
    region = page.crop((0, top, page.width, bottom), strict=False)
    return clean_inline(region.extract_text() or "")
