"""Where text may be cut: numbered clauses, list items, sentences and words, as character offsets.

MoUs and policies are made of numbered clauses (``1.``, ``1.1``, ``(a)``, ``Clause 4``, ``Article
2``, ``Section 3``); a passage that cuts one in half is hard to cite and reads badly. This module only
finds the boundaries; :mod:`ingest.chunking` decides which to use. Every function returns sorted
offsets into the text where a new piece starts (never 0), always at the start of a line or after
whitespace, so the pieces can be rejoined exactly by slicing.

Clause ranks, coarsest first (a cut before a rank-``r`` marker is tried before finer ones):

1. ``Clause 4``, ``Article 2``, ``Section 3``, ``Chapter``, ``Part``, ``Schedule``, ``Annexure``, ``Rule``
2. ``4.`` / ``4)`` / roman ``IV.``
3. ``4.1``
4. ``4.1.2`` and deeper
5. ``(a)``, ``a)``, ``(iv)``, ``(1)``
6. bullets: ``-``, ``*``, ``•``
"""

from __future__ import annotations

import re
from collections.abc import Callable

CLAUSE_RANKS = 6

_RANKED_MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (
        1,
        re.compile(
            r"(?:clause|article|section|chapter|part|schedule|annexure|annex|rule)\s+"
            r"(?:\d+[A-Z]?|[IVXLC]+)\b",
            re.IGNORECASE,
        ),
    ),
    # "4.1 The State" is a sub-clause, "4.5 million" a decimal: the text after must not be lower case
    (4, re.compile(r"\d{1,3}(?:\.\d{1,3}){2,}\.?(?=\s+[^\sa-z])")),
    (3, re.compile(r"\d{1,3}\.\d{1,3}\.?(?=\s+[^\sa-z])")),
    (2, re.compile(r"(?:\d{1,3}|[IVXLC]{1,6})[.)](?=\s)")),
    (5, re.compile(r"(?:\((?:[a-z]{1,2}|[ivxlc]{1,6}|\d{1,3})\)|(?:[a-z]|[ivxlc]{1,6})\))(?=\s)")),
    (6, re.compile(r"[-*•▪◦‣](?=\s)")),
]
_LINE_START = re.compile(r"(?m)^[ \t]*(?=\S)")

# A sentence ends at . ! ? or the Devanagari danda, maybe followed by closing quotes or brackets,
# then whitespace, unless the word before the full stop is a common abbreviation.
_SENTENCE_END = re.compile(r"[.!?\u0964\u0965][\"'”’)\]]*\s+")
_ABBREVIATIONS = frozenset({
    "rs", "no", "nos", "sh", "smt", "shri", "dr", "mr", "mrs", "ms", "prof", "govt", "dept", "vol",
    "fig", "sec", "art", "cl", "para", "st", "etc", "vs", "viz", "i.e", "e.g", "ltd", "pvt", "co",
    "inc", "approx", "min", "max", "hon", "ji", "u.p", "m.p", "a.p", "h.p", "j.k", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})  # fmt: skip
_WORD = re.compile(r"\S+")


def clause_rank(line: str) -> int | None:
    """The rank (1 = coarsest) of the clause marker that starts ``line``, or None."""
    text = line.lstrip()
    for rank, pattern in _RANKED_MARKERS:
        if pattern.match(text):
            return rank
    return None


def clause_starts(text: str, max_rank: int) -> list[int]:
    """Offsets of lines that start a clause of rank ``<= max_rank`` (offset 0 excluded)."""
    starts = []
    for match in _LINE_START.finditer(text):
        offset = match.start()
        if offset == 0:
            continue
        end = text.find("\n", offset)
        rank = clause_rank(text[offset : end if end >= 0 else len(text)])
        if rank is not None and rank <= max_rank:
            starts.append(offset)
    return starts


def line_starts(text: str) -> list[int]:
    """Offsets of every non-empty line after the first."""
    return [match.start() for match in _LINE_START.finditer(text) if match.start() > 0]


def sentence_starts(text: str) -> list[int]:
    """Offsets where a new sentence starts (after ``. ! ? ।`` and whitespace, abbreviations aside)."""
    starts = []
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end >= len(text):
            break
        if text[match.start()] == "." and _is_abbreviation(text, match.start()):
            continue
        following = text[end]
        if following.islower():  # "approx. five", "Fig. 3 shows": not a new sentence
            continue
        starts.append(end)
    return starts


def word_starts(text: str) -> list[int]:
    """Offsets where each word after the first starts."""
    return [match.start() for match in _WORD.finditer(text) if match.start() > 0]


def looks_like_table(text: str) -> bool:
    """True for a block of ``cell | cell`` rows, which splits best row by row."""
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) >= 2 and sum(" | " in line for line in lines) * 2 >= len(lines)


def _is_abbreviation(text: str, dot: int) -> bool:
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:dot].lower().lstrip("(\"'“")
    if len(word) == 1 and word.isalpha():  # initials: "S. Ramanujan", "A. P. J."
        return True
    return word in _ABBREVIATIONS


_TABLE_RULE = re.compile(r"^\|?(\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")


def table_pieces(text: str, tokens: Callable[[int, int], int], limit: int) -> list[str]:
    """A table paragraph longer than ``limit`` tokens as several tables, each opening with the header.

    Only a Markdown table (a ``|---|`` rule under its first row) has a header to repeat; other
    ``a | b`` blocks are left to the ordinary row-by-row cutting. A row read without its header
    ("Hisar | 15,341 | 2,115") says nothing about what the numbers are, so every piece repeats the
    header row and the rule under it; rows are never cut unless one is longer than the window.

    ``tokens(start, end)`` counts the tokens of ``text[start:end]``.
    """
    if tokens(0, len(text)) <= limit or not looks_like_table(text):
        return [text]
    starts = [0, *(match.end() for match in re.finditer(r"\n", text))]
    ends = [start - 1 for start in starts[1:]] + [len(text)]
    lines = list(zip(starts, ends, strict=True))
    if len(lines) < 3 or not _TABLE_RULE.match(text[lines[1][0] : lines[1][1]]):
        return [text]  # no marked header: the first row may be data, and repeating it would duplicate it
    header_end = 2
    header = text[: lines[header_end - 1][1]]
    budget = limit - tokens(0, lines[header_end - 1][1])
    pieces: list[str] = []
    first = header_end
    size = 0
    for index in range(header_end, len(lines)):
        row = tokens(*lines[index])
        if index > first and size + row > budget:
            pieces.append(header + "\n" + text[lines[first][0] : lines[index - 1][1]])
            first, size = index, 0
        size += row
    if first < len(lines):
        pieces.append(header + "\n" + text[lines[first][0] : lines[-1][1]])
    return pieces
