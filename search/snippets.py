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

from kb.store.bm25 import ANY_INDIAN, NATIVE_DIGITS, WORD_CHARS, is_indian, normalise_word
from kb.store.bm25 import WORD as _WORD

_WORD_CHAR = re.compile(f"[{WORD_CHARS}]")

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


def find_highlights(text: str, terms: Sequence[str], phrases: Sequence[Sequence[str]] = ()) -> list[tuple[int, int]]:
    """Offsets of words in ``text`` that match a query term (exactly or by stem prefix), and of runs of
    consecutive words that match a phrase word by word (the thesaurus's synonyms: ``record of rights``
    is highlighted as one span, never ``of`` alone)."""
    if not terms and not phrases:
        return []
    return _highlighter(tuple(terms), tuple(tuple(p) for p in phrases))(text)


@lru_cache(maxsize=256)  # a results page highlights some forty passages against the same query
def _highlighter(terms: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> _Highlighter:
    return _Highlighter(terms, phrases)


class _Highlighter:
    """One query's highlighting rules, compiled once and applied to each passage of a results page.

    Why a pattern: tokenising every word of every passage in Python was most of a search's result
    shaping (7.7 ms of a search at a million chunks). The pattern finds, in C, only the places where
    one of the rules' literals (a term, or its stem prefix) occurs in the lower-cased passage; a place
    inside a word is skipped, and the word that starts there is checked exactly as the word-by-word
    way checks it (an Indian-script word in its spelling-neutral form, native digits read as ASCII
    ones); a phrase is followed word by word from its first word. An Indian query word needs every
    word's normal form, so a passage with Indian-script text is then highlighted word by word
    (:func:`tokenised_highlights`).
    The two agree on every passage of ``content/`` (tests/test_highlighter.py); they could differ
    only on a word that starts with a zero-width joiner or a nukta before a Latin letter.
    """

    def __init__(self, terms: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> None:
        self.terms = terms
        self.phrases = phrases
        # an Indian-script query word (a Hindi query, or the thesaurus's Hindi synonyms of an English
        # one) matches only Indian-script words: in a passage without any, such rules are left out
        # (a phrase's words in their normal form: native digits are ASCII ones there)
        normal_phrases = [[_normal(w) for w in phrase] for phrase in phrases if phrase]
        self.indian = any(is_indian(word) for word in [*terms, *(w for p in normal_phrases for w in p)])
        self.rules = [_matcher(t) for t in terms if not is_indian(t)]
        self.phrase_rules = [[_matcher(w) for w in p] for p in normal_phrases if not any(map(is_indian, p))]
        starts = [*self.rules, *(rules[0] for rules in self.phrase_rules)]
        literals = {prefix if by_prefix else term for term, prefix, by_prefix in starts}
        # the literals alone, searched in the lower-cased passage: a word-character class (every
        # combining mark: hundreds of ranges) or IGNORECASE in the pattern made it as slow as tokenising
        alternatives = "|".join(map(re.escape, sorted(literals, key=len, reverse=True)))
        self.pattern = re.compile(alternatives) if literals else None

    def __call__(self, text: str) -> list[tuple[int, int]]:
        lowered = text.lower()
        indian = ANY_INDIAN.search(text) is not None
        if (self.indian and indian) or len(lowered) != len(text):
            return tokenised_highlights(text, self.terms, self.phrases)  # (same length: same offsets)
        if self.pattern is None:
            return []
        if indian:
            lowered = lowered.translate(NATIVE_DIGITS)  # one for one, as the normal form reads them
        spans: list[tuple[int, int]] = []
        for found in self.pattern.finditer(lowered):
            start = found.start()
            if start and _WORD_CHAR.match(lowered, start - 1):
                continue  # inside a word, not at its start
            word, end = _word_at(text, lowered, start, indian)
            if any(_matches(word, rule) for rule in self.rules):
                spans.append((start, end))
            for rules in self.phrase_rules:
                if _matches(word, rules[0]):
                    phrase_end = _phrase_end(text, lowered, end, rules[1:], indian)
                    if phrase_end is not None:
                        spans.append((start, phrase_end))
        return _merged(spans)


def _word_at(text: str, lowered: str, start: int, indian: bool) -> tuple[str, int]:
    """The normal form of the word starting at ``start`` (a literal begins there: there is one), and
    where it ends."""
    token = _WORD.match(lowered, start)
    assert token is not None
    end = token.end()
    if indian and is_indian(text[start:end]):
        return _normal(text[start:end]), end
    return token.group(), end


def _phrase_end(text: str, lowered: str, position: int, rules: list[tuple[str, str, bool]], indian: bool) -> int | None:
    """Where the words after ``position`` end if they match ``rules`` one by one, else None."""
    for rule in rules:
        following = _WORD.search(lowered, position)
        if following is None:
            return None
        word, position = _word_at(text, lowered, following.start(), indian)
        if not _matches(word, rule):
            return None
    return position


def tokenised_highlights(
    text: str, terms: Sequence[str], phrases: Sequence[Sequence[str]] = ()
) -> list[tuple[int, int]]:
    """:func:`find_highlights` word by word, every word in its normal form (Indian-script passages).

    A rule finds its words by a binary search among the text's distinct words (sorted), and a phrase
    is tried only where its first word occurs."""
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
    text: str, terms: Sequence[str], *, width: int = 300, phrases: Sequence[Sequence[str]] = ()
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
