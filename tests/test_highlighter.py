"""The compiled highlighter marks exactly what the word-by-word one does, on real passages.

Search highlights each results page with a pattern compiled once per query (search.snippets); the
word-by-word way stays for Indian-script text. Both must give the same offsets for every passage,
query term and thesaurus phrase, whatever the case, punctuation or accents, so this compares them on
the sentences of ``content/`` against terms and phrases drawn from those sentences.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from search.snippets import _highlighter, find_highlights, make_snippet, query_terms, tokenised_highlights

CONTENT = Path(__file__).resolve().parents[1] / "content"


def passages() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(CONTENT.rglob("*.md")))
    return [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.split()) > 12]


def variants(word: str, rng: random.Random) -> str:
    """The word as a query might spell it: upper case, a stem, a longer form."""
    return rng.choice([word, word.upper(), word.capitalize(), word[: max(2, len(word) - 2)], word + "s"])


def test_same_offsets_as_word_by_word_on_real_passages() -> None:
    rng = random.Random(5)
    texts = passages()
    english = [t for t in texts if not re.search(r"[\u0900-\u0d7f]", t)]
    indian = [t for t in texts if re.search(r"[\u0900-\u0d7f]", t)]
    assert len(english) > 300 and len(indian) >= 15
    compared = marked = 0
    # English passages, Hindi ones (a Latin query finds their English words and digits), and the two
    # run together as one chunk of a bilingual document
    samples = rng.sample(english, 300) + indian + [f"{rng.choice(english)} {t}" for t in indian]
    for text in samples:
        words = re.findall(r"[A-Za-z0-9]+", text) or re.findall(r"[A-Za-z0-9]+", rng.choice(english))
        query = " ".join(variants(rng.choice(words), rng) for _ in range(rng.randint(1, 4)))
        start = rng.randrange(len(words))
        phrases = [[w.lower() for w in words[start : start + rng.randint(2, 3)]], ["no", "such", "phrase"]]
        for terms, phr in ((query_terms(query), []), (query_terms(query), phrases), ([], phrases)):
            if terms or phr:
                assert _highlighter(tuple(terms), tuple(map(tuple, phr))).pattern is not None  # the compiled way
            if compared % 4 == 0:
                phr = [*phr, ["नामांतरण"], ["दाखिल", "खारिज"]]  # the thesaurus's Hindi synonyms too
            fast = find_highlights(text, terms, phr)
            assert fast == tokenised_highlights(text, terms, phr), (text, terms, phr)
            compared += 1
            marked += bool(fast)
    assert marked > compared * 0.5  # the comparison is about marks, not about finding nothing twice


@pytest.mark.parametrize(
    ("text", "terms", "phrases", "expected"),
    [
        (
            "Registration, REGISTERED and re-registration.",
            ["register"],
            [],
            ["Registration", "REGISTERED", "registration"],
        ),
        (
            "Électricité, électricités; ÉLECTRICITÉ.",
            ["électricité"],
            [],
            ["Électricité", "électricités", "ÉLECTRICITÉ"],
        ),
        ("GIS maps; gist of it; a GIS-based tool.", ["gis"], [], ["GIS", "GIS"]),
        ("In 2014 the Record of  Rights (RoR) went online.", [], [["record", "of", "rights"]], ["Record of  Rights"]),
        ("record of the rights", [], [["record", "of", "rights"]], []),
        ("record of", [], [["record", "of", "rights"]], []),
        ("Land records २०१४ and 2014", ["2014"], [], ["२०१४", "2014"]),  # Devanagari digits read as ASCII
        ("Census 2011 figures", [], [["census", "२०११"]], ["Census 2011"]),  # and in a phrase
    ],
)
def test_edges(text: str, terms: list[str], phrases: list[list[str]], expected: list[str]) -> None:
    spans = find_highlights(text, terms, phrases)
    assert [text[a:b] for a, b in spans] == expected
    assert spans == tokenised_highlights(text, terms, phrases)


def test_snippet_offsets_point_at_the_marked_words() -> None:
    text = "Cases fell. " * 40 + "The mutation register was digitised in every tehsil. " + "Cases fell. " * 40
    snippet, spans = make_snippet(text, query_terms("mutation register"))
    assert snippet.startswith("…") and snippet.endswith("…")  # a window inside the text, offsets shifted
    assert [snippet[a:b] for a, b in spans] == ["mutation", "register"]
