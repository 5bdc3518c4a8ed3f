"""What the chunker reads: paragraphs (code blocks kept whole) and which sections it leaves out.

Tables of contents and back-of-book indexes ("Introduction . . . . . 3", "Classes . . . 16, 52")
repeat every heading of a document with page numbers. Indexed as text they match almost any query
about the document, so they crowd real passages out of results and make unrelated manuals look
"similar". :func:`is_contents_text` recognises them with one clear rule: at least
``CONTENTS_MIN_LINES`` lines, and at least ``CONTENTS_SHARE`` of the lines, end in a page
reference (a page number after words, dot leaders, or a comma-separated list of pages). Such
sections stay in the catalog (the document page still shows them) but are not chunked, embedded or
indexed; the ingest report counts them.

What does not count, so that data is not mistaken for a contents page: Markdown table rows (they
end in ``|``), rows whose number follows another number ("Ambala 12,410 2,115 19": a flattened
statistics table), lines that are only a number (page footers) and roman numerals without dot
leaders ("Part II").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb.models import Section

CONTENTS_SHARE = 0.5
CONTENTS_MIN_LINES = 5

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_FENCE = re.compile(r"^(`{3,})")
_PAGE_TAIL = re.compile(
    r"(?P<lead>(?:\s*\.){2,}\s*|\s*…+\s*|[\s,]+)"
    r"(?P<pages>(?:\d{1,4}|[ivxlc]{1,7})(?:\s*[,–-]\s*\d{1,4})*)\s*$"
)
_LEADERS_ONLY = re.compile(r"(?:\s*\.){4,}\s*$")
_LETTER = re.compile(r"[^\W\d_]")
_NUMBER = re.compile(r"^[\d.,%]+$")
_BARE_PAGE = re.compile(r"^(?:\d{1,4}|[ivxlc]{1,7})$")


def split_paragraphs(text: str) -> list[str]:
    """``text`` cut at blank lines, except inside fenced code blocks, which stay one paragraph
    (a blank line in a program is not the end of it)."""
    paragraphs: list[str] = []
    fence: str | None = None
    for part in _PARAGRAPH_BREAK.split(text):
        if fence is not None:
            paragraphs[-1] = f"{paragraphs[-1]}\n\n{part}"
            if _closes(part.split("\n"), fence):
                fence = None
            continue
        paragraphs.append(part)
        lines = part.strip().split("\n")
        opening = _FENCE.match(lines[0])
        if opening and not _closes(lines[1:], opening.group(1)):
            fence = opening.group(1)
    return paragraphs


def _closes(lines: Iterable[str], fence: str) -> bool:
    return any(line.strip() == fence for line in lines)


def is_page_reference(line: str) -> bool:
    """True for a contents or index line: words then page number(s), or dot leaders."""
    line = line.strip()
    if _LEADERS_ONLY.search(line):  # an entry whose page number is on the next line
        return True
    match = _PAGE_TAIL.search(line)
    if match is None:
        return False
    if "." in match.group("lead") or "…" in match.group("lead"):
        return True  # dot leaders: "Preface . . . . 1", and index entries such as "%*% . . . 24"
    head = line[: match.start()]
    if not _LETTER.search(head) or not match.group("pages")[0].isdigit():  # "Part ii": a heading
        return False
    return not _NUMBER.match(head.split()[-1])  # "Ambala 12,410 2,115 19" is a table row


def contents_share(text: str) -> tuple[int, int]:
    """(lines that are page references, lines counted): blank and number-only lines are not counted."""
    lines = [line.strip() for line in text.split("\n")]
    counted = [line for line in lines if line and not _BARE_PAGE.match(line)]
    return sum(1 for line in counted if is_page_reference(line)), len(counted)


def is_contents_text(text: str) -> bool:
    """Whether ``text`` reads as a table of contents or an index (see the module docstring)."""
    references, counted = contents_share(text)
    return references >= CONTENTS_MIN_LINES and references >= CONTENTS_SHARE * counted


def contents_sections(sections: Iterable[Section]) -> list[int]:
    """Positions of the sections the chunker leaves out as contents or index pages."""
    return [i for i, section in enumerate(sections) if is_contents_text(section.text)]
