"""Helpers shared by the format converters: text decoding, whitespace clean-up, section building.

Decoding policy for the text formats (Markdown, HTML, plain text): strict UTF-8 (a UTF-8 byte-order
mark is dropped; UTF-16 with a byte-order mark, as Windows Notepad saves "Unicode", is accepted too).
Anything else is a :class:`~kb.errors.ConversionError` naming the first bad byte's offset, because
silently replaced characters in a knowledge base are worse than a clear request to re-save the file.

Heading rule, the same for every format: the heading path never repeats the document title. When a
document has exactly one top-level heading (an H1) and it is the title, it is left out of the
heading paths, which then start at the second level; with several H1s each is part of the path.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from kb.errors import ConversionError
from kb.models import Section

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def require_content(data: bytes, filename: str) -> None:
    """Raise ``ConversionError`` for an empty or whitespace-only file."""
    if not data or not data.strip():
        raise ConversionError(f"{filename} is empty")


def decode_text(data: bytes, filename: str) -> str:
    """Decode a text file by the policy above; newlines normalised to ``\\n``."""
    require_content(data, filename)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ConversionError(
                f"{filename} starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                f"(byte {exc.start}); save it as UTF-8 and try again"
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            offset = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
            raise ConversionError(
                f"{filename} is not UTF-8 text (invalid byte 0x{data[offset]:02x} at byte {offset}); "
                "save it with UTF-8 encoding and try again"
            ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ConversionError(f"{filename} is empty")
    return text


def clean_inline(text: str) -> str:
    """Collapse runs of spaces and tabs (not newlines), drop control characters, trim each line."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines).strip("\n")


def one_line(text: str) -> str:
    """All whitespace, newlines included, collapsed to single spaces (headings, titles, cells)."""
    return " ".join(_CONTROL.sub("", unicodedata.normalize("NFC", text)).split())


def code_block(text: str, language: str = "") -> str:
    """Preformatted text as a fenced code block: line breaks and indentation kept, marked as code.

    Why fences: the chunker keeps a fenced block together (its blank lines are not paragraph
    breaks), and a reader (the document page, an assistant) can show it as code. The fence grows
    when the code itself holds a run of backticks, as CommonMark allows.
    """
    body = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    body = squeeze_blank_lines(body)
    if not body.strip():
        return ""
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}{language}\n{body}\n{fence}"


# Spacing accents that PDF extraction (TeX documents above all) leaves beside their letter:
# "Jos´e", "J¨oreskog", "Fran¸cois". Each maps to its combining mark.
_SPACING_ACCENTS = {
    "\u00a8": "\u0308",  # ¨ diaeresis
    "\u00b4": "\u0301",  # ´ acute
    "`": "\u0300",  # grave (also a quote in code: only joined inside a word)
    "\u02c6": "\u0302",  # ˆ circumflex
    "\u02dc": "\u0303",  # ˜ tilde
    "\u00b8": "\u0327",  # ¸ cedilla
    "\u02c7": "\u030c",  # ˇ caron
    "\u02da": "\u030a",  # ˚ ring
}


def join_spacing_accents(text: str) -> str:
    """NFC text with split accents put back on their letters: ``Wirtschaftsuniversit¨at`` ->
    ``Wirtschaftsuniversität``.

    The accent goes on the letter after it (TeX draws the accent first), else on the letter before
    it; a pairing is kept only when it gives a precomposed Latin letter (U+00C0-U+024F), so
    ``a¨t`` becomes ``ät``, not ``aẗ``. A grave accent is joined only between two letters, since
    ``\u0060`` is also the backtick of code and quotes (``\u0060x'``).
    """
    text = unicodedata.normalize("NFC", text)
    if not any(mark in text for mark in _SPACING_ACCENTS):
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        mark = _SPACING_ACCENTS.get(char)
        if mark is None:
            out.append(char)
            i += 1
            continue
        before = out[-1] if out else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if char == "`" and not (before.isalpha() and after.isalpha()):
            out.append(char)
            i += 1
            continue
        if (joined := _precomposed(after, mark)) is not None:
            out.append(joined)
            i += 2
        elif (joined := _precomposed(before, mark)) is not None:
            out[-1] = joined
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _precomposed(letter: str, mark: str) -> str | None:
    if not letter.isalpha():
        return None
    base = "i" if letter == "\u0131" else letter  # TeX puts accents on a dotless i: na¨ıve
    joined = unicodedata.normalize("NFC", base + mark)
    return joined if len(joined) == 1 and 0xC0 <= ord(joined) <= 0x24F else None


def squeeze_blank_lines(text: str) -> str:
    """At most one blank line in a row; no trailing spaces."""
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _MANY_BLANK_LINES.sub("\n\n", text).strip("\n")


@dataclass
class SectionBuilder:
    """Collects blocks of text under a stack of headings and cuts them into :class:`Section` objects.

    Converters call :meth:`heading` when they meet a heading of some level (1 = top) and
    :meth:`block` for each paragraph, list, table or code block; :meth:`build` returns the sections.
    """

    page: int | None = None
    _stack: list[tuple[int, str]] = field(default_factory=list)
    _blocks: list[str] = field(default_factory=list)
    _raw: list[tuple[tuple[tuple[int, str], ...], str, int | None]] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)

    def heading(self, level: int, text: str) -> None:
        """Start a new section under ``text`` at ``level``; deeper or equal headings are closed."""
        text = one_line(text)
        if not text:
            return
        self.flush()
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))
        self.headings.append((level, text))

    def block(self, text: str) -> None:
        """Add a paragraph-like block (kept apart from its neighbours by a blank line)."""
        text = squeeze_blank_lines(text)
        if text.strip():
            self._blocks.append(text)

    def set_page(self, page: int | None) -> None:
        """Later blocks belong to ``page``; the text so far is closed as a section."""
        if page != self.page:
            self.flush()
            self.page = page

    def flush(self) -> None:
        """Close the blocks collected so far into one section."""
        if self._blocks:
            self._raw.append((tuple(self._stack), "\n\n".join(self._blocks), self.page))
            self._blocks = []

    @property
    def first_h1(self) -> str | None:
        """The text of the first level-1 heading, if any."""
        return next((text for level, text in self.headings if level == 1), None)

    def build(self, title: str | None) -> tuple[Section, ...]:
        """The sections in order, with the title's sole H1 left out of the heading paths."""
        self.flush()
        h1s = [text for level, text in self.headings if level == 1]
        drop_h1 = len(h1s) == 1 and title is not None and _same_heading(h1s[0], title)
        sections = []
        for stack, text, page in self._raw:
            path = tuple(name for level, name in stack if not (drop_h1 and level == 1))
            sections.append(Section(text=text, heading_path=path, page=page))
        return tuple(sections)


def _same_heading(heading: str, title: str) -> bool:
    """True when ``heading`` is the title (or the title is e.g. ``"<heading> | Site name"``)."""
    heading, title = heading.casefold().strip(), title.casefold().strip()
    return bool(heading) and (heading == title or title.startswith(heading) or heading in title)


def require_sections(sections: tuple[Section, ...], filename: str, what: str = "text") -> None:
    """Raise ``ConversionError`` when a converter found no text at all."""
    if not any(section.text.strip() for section in sections):
        raise ConversionError(f"{filename} contains no {what}")


def markdown_table(rows: list[list[str]]) -> str:
    """Rows of cells as a Markdown table, the first row as its header.

    Why Markdown: the header is marked (``|---|`` under it), so the chunker can repeat it in every
    chunk of a long table and the document page can render ``<th>`` cells; the rows stay readable as
    text for BM25 and the embedding model. Short rows are padded; ``|`` inside a cell is escaped.
    """
    cleaned = [[one_line(cell).replace("|", "\\|") for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return ""
    width = max(len(row) for row in cleaned)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in cleaned]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)
