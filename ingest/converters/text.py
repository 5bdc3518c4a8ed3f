"""Plain text -> sections: paragraphs split on blank lines, a few heading conventions recognised.

Kept simple on purpose. A line underlined with ``====`` is a level-1 heading, one underlined with
``----`` a level-2 heading, and a short line in capitals standing on its own (``TERMS OF
REFERENCE``, ``ARTICLE 3 - DURATION``) a level-2 heading. The title is the first level-1 heading
when it opens the file; as in Markdown, a sole H1 that is the title stays out of the heading paths.
"""

from __future__ import annotations

import re

from ingest.converters._common import SectionBuilder, decode_text, one_line, require_sections
from kb.models import ConvertedDocument

MEDIA_TYPE = "text/plain"
MAX_CAPS_HEADING_CHARS = 80
MAX_CAPS_HEADING_WORDS = 10

_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")
_BLANK = re.compile(r"\n[ \t]*\n")


def convert_text(data: bytes, filename: str = "document.txt") -> ConvertedDocument:
    """Convert UTF-8 plain text into a :class:`ConvertedDocument`."""
    text = decode_text(data, filename)
    builder = SectionBuilder()
    title: str | None = None
    first_block = True
    for block in _BLANK.split(text.expandtabs(4)):
        lines = block.strip("\n").split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            continue
        level = _heading_level(lines)
        if level is not None:
            heading = one_line(lines[0])
            if first_block and level == 1:
                title = heading
            builder.heading(level, heading)
            rest = lines[2:] if _is_underline(lines) else lines[1:]
            builder.block("\n".join(line.rstrip() for line in rest))
        else:
            builder.block("\n".join(line.rstrip() for line in lines))
        first_block = False
    sections = builder.build(title)
    require_sections(sections, filename)
    return ConvertedDocument(sections=sections, media_type=MEDIA_TYPE, title=title)


def _is_underline(lines: list[str]) -> bool:
    if len(lines) < 2 or not lines[0].strip():
        return False
    match = _UNDERLINE.match(lines[1])
    return match is not None and len(match.group(1)) >= 3


def _heading_level(lines: list[str]) -> int | None:
    """Heading level of a block's first line, or None when it is ordinary text."""
    if _is_underline(lines):
        return 1 if lines[1].strip().startswith("=") else 2
    if len(lines) == 1 and _is_caps_heading(lines[0]):
        return 2
    return None


def _is_caps_heading(line: str) -> bool:
    line = line.strip()
    letters = [char for char in line if char.isalpha()]
    return (
        0 < len(line) <= MAX_CAPS_HEADING_CHARS
        and len(line.split()) <= MAX_CAPS_HEADING_WORDS
        and len(letters) >= 3
        and all(char.isupper() for char in letters)
        and not line.endswith((".", ",", ";"))
    )
