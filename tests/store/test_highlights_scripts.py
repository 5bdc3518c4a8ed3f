"""Highlights cover whole words in every script: a mark never ends or starts inside a syllable.

The web wraps ``<mark>`` around exactly these offsets, so checking the offsets checks the markup:
``<mark>अभ</mark>िलेख`` is the failure this guards against (Python's ``\\w`` stops at vowel signs).
"""

from __future__ import annotations

import unicodedata

import pytest

from search.snippets import find_highlights, make_snippet, query_terms


def marked(text: str, query: str) -> list[str]:
    return [text[a:b] for a, b in find_highlights(text, query_terms(query))]


def whole_words(text: str, spans: list[tuple[int, int]]) -> bool:
    """No span begins on a combining mark or is followed by one (no detached vowel sign/virama)."""
    for a, b in spans:
        if unicodedata.category(text[a]).startswith("M"):
            return False
        if b < len(text) and (unicodedata.category(text[b]).startswith("M") or text[b].isalpha()):
            return False
    return True


CASES = [
    ("Devanagari", "राज्य के भू-अभिलेख पोर्टल पर अभिलेखों की प्रमाणित प्रति", "अभिलेख पोर्टल", ["अभिलेख", "पोर्टल", "अभिलेखों"]),
    ("Tamil", "நில பதிவுகள் இணையதளத்தில் கிடைக்கும்", "பதிவுகள்", ["பதிவுகள்"]),
    ("Bengali", "জমির রেকর্ড অনলাইনে পাওয়া যায়", "রেকর্ড", ["রেকর্ড"]),
]


@pytest.mark.parametrize(("script", "text", "query", "expected"), CASES, ids=[c[0] for c in CASES])
def test_marks_cover_whole_words(script: str, text: str, query: str, expected: list[str]) -> None:
    spans = find_highlights(text, query_terms(query))
    assert [text[a:b] for a, b in spans] == expected, script
    assert whole_words(text, spans), script


def test_a_query_syllable_does_not_mark_part_of_a_word() -> None:
    text = "भूमि अभिलेख"
    assert marked(text, "अभ") == []  # too short to stand for अभिलेख, and never half of it
    assert marked(text, "अभिलेख") == ["अभिलेख"]


def test_spelling_variants_are_highlighted() -> None:
    assert marked("ज़मीन का रिकॉर्ड", "जमीन") == ["ज़मीन"]  # nukta in the text, none in the query


def test_snippet_window_keeps_syllables_whole() -> None:
    text = ("प्रमाणित प्रति " * 40) + "भू-अभिलेख पोर्टल " + ("नागरिक सेवा " * 40)
    snippet, spans = make_snippet(text, query_terms("पोर्टल"))
    words = set(text.split())
    assert set(snippet.strip("…").split()) <= words  # the window starts and ends on whole words
    assert [snippet[a:b] for a, b in spans] == ["पोर्टल"]
    assert whole_words(snippet, spans)


def test_english_prefix_matching_is_unchanged() -> None:
    assert marked("Registration of births; registered users", "register") == ["Registration", "registered"]
