"""Word's automatic list numbers, reproduced from ``numbering.xml``.

Word does not store "1." or "(a)" in a numbered paragraph's text: the paragraph names a list
instance (``w:numPr``: ``numId`` and level ``ilvl``, directly or through its style) and Word counts
at display time. Without this module clause "3." of an order reads as its bare text, and the
chunker's clause boundaries and a reader's "see 3(b)" have nothing to hold on to.

The common cases, as Word shows them:

- formats ``decimal``, ``decimalZero``, ``lowerLetter``, ``upperLetter``, ``lowerRoman``,
  ``upperRoman``, ``bullet`` (shown as ``-``) and ``none``; other formats count in decimal;
- the level text (``%1.``, ``(%2)``, ``%1.%2.``) with each ``%n`` in its own level's format;
- ``w:start`` per level, and a list instance's ``w:lvlOverride/w:startOverride``;
- counters kept per list instance (``numId``), so a list that Word restarts (a new ``numId``)
  starts again; an item resets the deeper levels below it;
- a style's numbering (``List Number``), with the level given by the abstract definition's
  ``w:pStyle`` when the style names no level.

Not reproduced: legal numbering (``isLgl``), ``lvlRestart`` other than the default, numbering
continued across list instances that share an abstract definition, and pictures as bullets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_LEVELS = 9
BULLET = "-"


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str


def _val(element: Any, tag: str) -> str | None:
    child = element.find(_W + tag) if element is not None else None
    return None if child is None else child.get(_W + "val")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class ListNumbering:
    """Numbers for the numbered paragraphs of one document, in document order.

    Build it once per document from python-docx's ``Document`` and call :meth:`marker` for every
    body paragraph, in order: the counters advance as Word's would.
    """

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, _Level]] = {}  # numId -> level -> definition
        self._style_levels: dict[str, int] = {}  # style id -> level (abstractNum lvl/pStyle)
        self._counters: dict[str, list[int | None]] = {}  # numId -> the last number of each level
        try:
            root = document.part.numbering_part.element
        except Exception:  # no numbering part (or an unreadable one): nothing is numbered
            return
        abstract: dict[str, dict[int, _Level]] = {}
        for definition in root.iter(_W + "abstractNum"):
            levels: dict[int, _Level] = {}
            for lvl in definition.iter(_W + "lvl"):
                ilvl = _int(lvl.get(_W + "ilvl"), 0)
                levels[ilvl] = _Level(
                    start=_int(_val(lvl, "start"), 1),
                    fmt=_val(lvl, "numFmt") or "decimal",
                    text=_val(lvl, "lvlText") or "",
                )
                style = _val(lvl, "pStyle")
                if style:
                    self._style_levels[style] = ilvl
            abstract[definition.get(_W + "abstractNumId") or ""] = levels
        for num in root.iter(_W + "num"):
            levels = dict(abstract.get(_val(num, "abstractNumId") or "", {}))
            for override in num.iter(_W + "lvlOverride"):
                ilvl = _int(override.get(_W + "ilvl"), 0)
                start = _val(override, "startOverride")
                if start is not None and ilvl in levels:
                    base = levels[ilvl]
                    levels[ilvl] = _Level(start=_int(start, base.start), fmt=base.fmt, text=base.text)
            self._levels[num.get(_W + "numId") or ""] = levels

    def marker(self, paragraph: Any) -> str | None:
        """The list marker Word shows before ``paragraph`` (``"2. "``, ``"   (b) "``, ``"- "``), ``""``
        for a list level without a number, or ``None`` when the paragraph is not in a list."""
        found = self._num_pr(paragraph)
        if found is None:
            return None
        num_id, ilvl = found
        levels = self._levels.get(num_id)
        if not levels or ilvl not in levels:
            return None
        counters = self._counters.setdefault(num_id, [None] * MAX_LEVELS)
        level = levels[ilvl]
        last = counters[ilvl]
        counters[ilvl] = level.start if last is None else last + 1
        for deeper in range(ilvl + 1, MAX_LEVELS):  # a new item restarts the levels below it
            counters[deeper] = None
        indent = "   " * ilvl
        if level.fmt == "bullet":
            return f"{indent}{BULLET} "
        text = level.text
        for n in range(ilvl, -1, -1):  # %10 is not a thing: levels are 1-9
            shown = levels.get(n)
            count = counters[n]
            value = count if count is not None else (shown.start if shown else 1)
            text = text.replace(f"%{n + 1}", _format(value, shown.fmt if shown else "decimal"))
        text = text.strip()
        return f"{indent}{text} " if text else ""

    def _num_pr(self, paragraph: Any) -> tuple[str, int] | None:
        """(numId, level) from the paragraph's own ``w:numPr``, else from its style's (and the
        styles it is based on); ``numId`` 0 switches numbering off."""
        p_pr = paragraph._p.pPr
        own = p_pr.find(_W + "numPr") if p_pr is not None else None
        num_id, ilvl = (_val(own, "numId"), _val(own, "ilvl")) if own is not None else (None, None)
        style = paragraph.style
        while num_id is None and style is not None:
            style_pr = style.element.find(_W + "pPr")
            style_num = style_pr.find(_W + "numPr") if style_pr is not None else None
            if style_num is not None:
                num_id = _val(style_num, "numId")
                if ilvl is None:
                    ilvl = _val(style_num, "ilvl")
                if ilvl is None:
                    ilvl = str(self._style_levels.get(style.style_id or "", 0))
            style = style.base_style
        if num_id is None or num_id == "0":
            return None
        return num_id, min(max(_int(ilvl, 0), 0), MAX_LEVELS - 1)


def _format(value: int, fmt: str) -> str:
    if fmt == "none":
        return ""
    if fmt in {"lowerLetter", "upperLetter"}:
        letters = _letters(value)
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt in {"lowerRoman", "upperRoman"}:
        roman = _roman(value)
        return roman if fmt == "lowerRoman" else roman.upper()
    if fmt == "decimalZero":
        return f"{value:02d}"
    return str(value)


def _letters(value: int) -> str:
    """Word's letter numbering: a..z, then aa..zz, aaa.. (the letter repeated, not base 26)."""
    value = max(value, 1)
    return chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)


def _roman(value: int) -> str:
    if value <= 0 or value >= 4000:
        return str(value)
    numerals = [
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ]  # fmt: skip
    out = []
    for number, numeral in numerals:
        count, value = divmod(value, number)
        out.append(numeral * count)
    return "".join(out)
