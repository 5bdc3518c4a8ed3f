"""A PDF's title from the first large heading of page 1, for PDFs without title metadata.

Most PDFs that departments publish (and TeX manuals: none of R's eight has one) carry no Title in
their Info dictionary, so the file name (``R-exts``, ``order_2021_07_final``) became the title.
The title a reader sees is the largest text near the top of page 1; that is what this module finds.

Why pypdf's text visitor and not pdfplumber's character sizes: the sizes are the same (font size
times the text and transformation matrices), but pdfplumber reaches page 1 only after pdfminer has
walked the whole page tree (1.3 s on R's 236-page ``R-exts.pdf``, 16 s on the 3,000-page reference
manual), while the visitor rides along the page-1 extraction pypdf does anyway.

The rule: text runs in the top ``TOP_SHARE`` of the page; the largest size there must be at least
``LARGER_THAN_BODY`` times the page's body size (the median size, weighted by characters) or at
least ``HEADING_PT`` points (a cover page set in one large size); the title is the first line(s)
holding that size (with their text of at least ``SMALL_CAPS`` of it), top down, consecutive lines
joined while they are less than two line heights apart (at most ``MAX_LINES``). A result without
three letters, or longer than ``MAX_CHARS``, is no title.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest.converters._common import join_spacing_accents, one_line

TOP_SHARE = 0.6
LARGER_THAN_BODY = 1.2
HEADING_PT = 16.0
MAX_LINES = 3
MAX_CHARS = 200
SMALL_CAPS = 0.75  # smaller text on a heading line still belongs to it ("R" + small-caps "FAQ")
_SAME_SIZE_PT = 0.5
_SAME_LINE_PT = 2.0


@dataclass(frozen=True)
class TextRun:
    """One piece of text as drawn: its rendered size in points and its baseline height on the page."""

    text: str
    size: float
    y: float


@dataclass
class RunCollector:
    """A pypdf ``visitor_text`` callback that records every run's rendered size and position."""

    runs: list[TextRun] = field(default_factory=list)

    def __call__(self, text: str, cm: Sequence[float], tm: Sequence[float], _font: Any, font_size: Any) -> None:
        if not text.strip():
            return
        try:
            a, b, c, d, _e, f = (float(value) for value in cm)
            _ta, _tb, tc, td, te, tf = (float(value) for value in tm)
            size = float(font_size) * math.hypot(tc * a + td * c, tc * b + td * d)  # rendering = tm x cm
            y = te * b + tf * d + f
        except (TypeError, ValueError):  # a malformed matrix: this run says nothing about the title
            return
        if size > 0:
            self.runs.append(TextRun(text=text, size=size, y=y))


def heading_title(runs: Sequence[TextRun], bottom: float, top_edge: float) -> str | None:
    """The first large heading near the top of a page whose media box spans ``bottom`` to
    ``top_edge`` (see the module docstring), or ``None``."""
    if not runs or top_edge <= bottom:
        return None
    sizes = [run.size for run in runs for _ in range(len(run.text.strip()))]
    body = statistics.median(sizes)
    top = [run for run in runs if run.y >= top_edge - (top_edge - bottom) * TOP_SHARE]
    if not top:
        return None
    largest = max(run.size for run in top)
    if largest < body * LARGER_THAN_BODY and largest < HEADING_PT:
        return None
    lines: dict[float, list[TextRun]] = {}
    for run in (run for run in top if run.size >= largest * SMALL_CAPS):
        key = next((y for y in lines if abs(y - run.y) <= _SAME_LINE_PT), run.y)
        lines.setdefault(key, []).append(run)
    lines = {y: runs for y, runs in lines.items() if any(run.size >= largest - _SAME_SIZE_PT for run in runs)}
    chosen: list[str] = []
    previous: float | None = None
    for y in sorted(lines, reverse=True):  # PDF heights grow upwards: the top line first
        if previous is not None and previous - y > 2 * largest:
            break
        chosen.append("".join(run.text for run in lines[y]))
        previous = y
        if len(chosen) == MAX_LINES:
            break
    title = one_line(join_spacing_accents(" ".join(chosen)))
    letters = sum(1 for char in title if char.isalpha())
    return title if letters >= 3 and len(title) <= MAX_CHARS else None
