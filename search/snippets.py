"""Snippets with the query's terms highlighted, as text plus character offsets.

Offsets rather than markup, so the web UI, the CLI and JSON clients each render highlights their own
way and nothing has to be HTML-escaped twice. Matching is by word prefix (``register`` finds
``registration``), a cheap stand-in for stemming that is good enough to show *why* a passage matched.

Words are found with the BM25 encoder's :data:`kb.store.bm25.WORD` (letters, digits and their
combining marks), never with a bare ``\\w+``: Python's ``\\w`` excludes vowel signs and viramas,
which put ``<mark>`` around ``अभ`` of ``अभिलेख`` and detached the vowel sign. A highlight therefore
always spans whole words (whole grapheme clusters) in every script. Indian-script words are compared
in the encoder's spelling-neutral form (nukta, chandrabindu, zero-width joiners) and match by the
whole query word as a prefix (``अभिलेख`` finds ``अभिलेखों``): cutting code points off an abugida word
would cut inside a syllable.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache

from kb.store.bm25 import WORD as _WORD
from kb.store.bm25 import is_indian, normalise_word

STOPWORDS = frozenset(
    (
        "a an and are as at be but by can did do does for from had has have how i if in into is it its of on or "
        "our so such that the their them then there these they this to was we were what when where which who "
        "why will with would you your about other another state states"
    ).split()
)


def query_terms(query: str) -> list[str]:
    """Distinct content words of the query, lower-cased, in order."""
    terms: list[str] = []
    for raw in _WORD.findall(query.lower()):
        word = normalise_word(raw) if is_indian(raw) else raw
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if word not in terms:
            terms.append(word)
    return terms


def _stem_prefix(term: str) -> str:
    if is_indian(term):
        return term  # whole query word as the prefix (see the module docstring)
    return term if len(term) <= 4 else term[: max(4, len(term) - 3)]


@lru_cache(maxsize=65536)  # a page's passages repeat the same few thousand words
def _normal(word: str) -> str:
    word = word.lower()
    return normalise_word(word) if is_indian(word) else word


def _matcher(term: str) -> tuple[str, str, bool]:
    return term, _stem_prefix(term), len(term) > 4 or (is_indian(term) and len(term) >= 4)


def _matches(word: str, rule: tuple[str, str, bool]) -> bool:
    term, prefix, by_prefix = rule
    return word == term or (by_prefix and word.startswith(prefix))


def find_highlights(text: str, terms: list[str], phrases: Sequence[Sequence[str]] = ()) -> list[tuple[int, int]]:
    """Offsets of words in ``text`` that match a query term (exactly or by stem prefix), and of runs of
    consecutive words that match a phrase word by word (the thesaurus's synonyms: ``record of rights``
    is highlighted as one span, never ``of`` alone).

    A rule finds its words by a binary search among the text's distinct words (sorted), and a phrase
    is tried only where its first word occurs: a results page highlights some forty passages against
    a query and its synonyms, and this was half of a search's Python time when every word met every
    rule."""
    if not terms and not phrases:
        return []
    words = list(_WORD.finditer(text))
    normal = [_normal(m.group()) for m in words]
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(normal):
        positions.setdefault(word, []).append(i)

    ordered = sorted(positions)

    def matching(rule: tuple[str, str, bool]) -> set[str]:
        term, prefix, by_prefix = rule
        if not by_prefix:
            return {term} if term in positions else set()
        start = bisect_left(ordered, prefix)  # the words starting with prefix sit together in order
        end = bisect_left(ordered, prefix + "\U0010ffff", start)
        return {term} & positions.keys() | set(ordered[start:end])

    spans = [
        (words[i].start(), words[i].end())
        for word in set().union(*(matching(_matcher(t)) for t in terms))
        for i in positions[word]
    ]
    for phrase in phrases:
        wanted = [matching(_matcher(_normal(w))) for w in phrase]
        if not wanted or not all(wanted):
            continue
        n = len(wanted)
        for i in (i for word in wanted[0] for i in positions[word]):
            if i + n <= len(words) and all(normal[i + j] in wanted[j] for j in range(1, n)):
                spans.append((words[i].start(), words[i + n - 1].end()))
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping spans joined (a phrase over a word that is also a query term)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def make_snippet(
    text: str, terms: list[str], *, width: int = 300, phrases: Sequence[Sequence[str]] = ()
) -> tuple[str, list[tuple[int, int]]]:
    """The ``width``-character window of ``text`` with the most query terms (and ``phrases``, see
    :func:`find_highlights`), and their offsets in it."""
    flat = re.sub(r"\s+", " ", text).strip()
    spans = find_highlights(flat, terms, phrases)
    if len(flat) <= width:
        return flat, spans
    start = 0
    if spans:
        best = 0
        for i, (s, _) in enumerate(spans):
            count = sum(1 for a, b in spans[i:] if b <= s + width)
            if count > best:
                best, start = count, max(0, s - width // 5)
    end = min(len(flat), start + width)
    start = max(0, end - width) if end == len(flat) else start
    if start > 0:
        space = flat.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 and start - space < 30 else start
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
        while start < end < len(flat) and unicodedata.category(flat[end]).startswith("M"):
            end -= 1  # never cut a vowel sign or virama off its consonant
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return prefix + flat[start:end] + suffix, inside
