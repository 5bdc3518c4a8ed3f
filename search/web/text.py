"""A document's stored sections turned into readable HTML structure: headings, outline, blocks.

The catalog keeps plain text per section with its heading path (converters flatten formatting).
Here that becomes headings in order (a heading is emitted for every level of the path that changed,
so levels never skip), anchors that search results can link to, and paragraphs, lists and tables
recognised from the plain text the converters write (``- item``, ``1. item``, ``a | b`` rows, and
Markdown tables ``| a | b |`` whose first row is the header).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.metadata import slugify
from kb.models import SECTION_SEPARATOR, Section

_MD_RULE = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")
_BULLET = re.compile(r"^\s*[-*•]\s+")
_NUMBERED = re.compile(r"^\s*(\(?[0-9]{1,3}[.)]|\(?[a-z][.)]|\([ivx]{1,4}\)|[0-9]+(\.[0-9]+)+)\s+", re.IGNORECASE)


def anchor_for(heading: str) -> str:
    """A stable fragment id for a heading path (``Clauses › Clause 1`` -> ``sec-clauses-clause-1``).

    Non-Latin headings (Hindi) have no ASCII slug, so they get a short hash of the text instead.
    """
    slug = slugify(heading)
    if slug == "document" and heading.strip().lower() != "document":
        slug = hashlib.sha1(heading.encode("utf-8")).hexdigest()[:10]
    return f"sec-{slug[:80].strip('-')}"


@dataclass
class Block:
    """One paragraph-level piece of section text."""

    kind: str  # "p", "lines", "ul", "table"
    lines: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Heading:
    level: int  # 3..6 (h1 is the title, h2 "Full text")
    text: str
    anchor: str


@dataclass
class SectionView:
    """A section to render: the headings that open it, its page and its blocks."""

    headings: list[Heading]
    page: int | None
    new_page: bool
    blocks: list[Block]


@dataclass
class OutlineNode:
    heading: Heading
    children: list[OutlineNode] = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    """Paragraphs, bullet lists, numbered/clause lines and pipe tables from plain section text."""
    result: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) >= 2 and _is_table(lines):
            result.append(Block("table", rows=_table_rows(lines)))
        elif all(_BULLET.match(line) for line in lines):
            result.append(Block("ul", lines=[_BULLET.sub("", line) for line in lines]))
        elif len(lines) > 1 and all(_NUMBERED.match(line) for line in lines):
            result.append(Block("lines", lines=[line.strip() for line in lines]))
        else:
            result.append(Block("p", lines=[" ".join(line.strip() for line in lines)]))
    return result


def _is_table(lines: Sequence[str]) -> bool:
    if all(line.startswith("|") and line.endswith("|") for line in lines):  # Markdown rows (converters)
        return len(lines) >= 2 and _MD_RULE.match(lines[1]) is not None
    counts = {line.count("|") for line in lines}
    return len(counts) == 1 and counts.pop() >= 1 and all(" | " in line for line in lines)


def _table_rows(lines: Sequence[str]) -> list[list[str]]:
    """Cells of ``a | b`` or Markdown ``| a | b |`` rows (rule row dropped, ``\\|`` unescaped)."""
    rows = []
    for line in lines:
        if _MD_RULE.match(line):
            continue
        body = line[1:-1] if line.startswith("|") and line.endswith("|") else line
        rows.append([cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body)])
    return rows


def section_views(sections: Sequence[Section]) -> list[SectionView]:
    """Sections with the headings each one opens; unique anchors; levels never skip."""
    views: list[SectionView] = []
    previous: tuple[str, ...] = ()
    used: set[str] = set()
    page: int | None = None
    for section in sections:
        path = section.heading_path
        common = 0
        while common < min(len(path), len(previous)) and path[common] == previous[common]:
            common += 1
        if path == previous:
            common = len(path)  # same heading continues (e.g. on the next PDF page)
        headings = []
        for depth in range(common, len(path)):
            anchor = anchor_for(SECTION_SEPARATOR.join(path[: depth + 1]))
            unique, n = anchor, 2
            while unique in used:
                unique, n = f"{anchor}-{n}", n + 1
            used.add(unique)
            headings.append(Heading(level=min(depth + 3, 6), text=path[depth], anchor=unique))
        new_page = section.page is not None and section.page != page
        page = section.page if section.page is not None else page
        views.append(SectionView(headings=headings, page=section.page, new_page=new_page, blocks=blocks(section.text)))
        previous = path
    return views


def outline(views: Sequence[SectionView]) -> list[OutlineNode]:
    """The headings as a tree (for the "Contents" list)."""
    roots: list[OutlineNode] = []
    stack: list[OutlineNode] = []
    for view in views:
        for heading in view.headings:
            node = OutlineNode(heading)
            while stack and stack[-1].heading.level >= heading.level:
                stack.pop()
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
    return roots


def excerpt(sections: Sequence[Section], width: int = 220) -> str:
    """The opening words of a document, for lists without a query."""
    text = " ".join(" ".join(s.text.split()) for s in sections[:3]).strip()
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width] + " …"
