"""Cut points: clause markers and their ranks, sentences (with abbreviations), tables."""

from __future__ import annotations

import pytest

from ingest import clauses


@pytest.mark.parametrize(
    ("line", "rank"),
    [
        ("Clause 4 - Term", 1),
        ("ARTICLE IV Obligations", 1),
        ("Section 3. Definitions", 1),
        ("Annexure 2", 1),
        ("4. The Parties shall", 2),
        ("12) Either Party", 2),
        ("IV. Funding", 2),
        ("4.1 The State shall", 3),
        ("4.1. The State shall", 3),
        ("4.1.2 Where the", 4),
        ("(a) the nodal officer", 5),
        ("(iv) any other", 5),
        ("b) training", 5),
        ("- a bullet", 6),
        ("• a bullet", 6),
        ("   (b) indented", 5),
    ],
)
def test_clause_markers_and_ranks(line: str, rank: int) -> None:
    assert clauses.clause_rank(line) == rank


@pytest.mark.parametrize(
    "line", ["2019 was the year", "4.5 million records", "The Parties", "Sectional view", "-5 degrees"]
)
def test_ordinary_lines_are_not_clauses(line: str) -> None:
    assert clauses.clause_rank(line) is None


def test_clause_starts_respect_the_rank() -> None:
    text = "Preamble.\n1. First\n1.1 Sub\n(a) item\n2. Second"

    assert [text[i:].split("\n")[0] for i in clauses.clause_starts(text, 2)] == ["1. First", "2. Second"]
    assert len(clauses.clause_starts(text, 5)) == 4


def test_sentences_skip_abbreviations_initials_and_lowercase_continuations() -> None:
    text = (
        "The fee is Rs. 15 per record. Dr. A. P. J. Kalam opened it. "
        "It took approx. five days, i.e. a week! Was it fast? Yes । अगला वाक्य।"
    )
    starts = clauses.sentence_starts(text)

    assert [text[i:].split(" ")[0] for i in starts] == ["Dr.", "It", "Was", "Yes", "अगला"]


def test_tables_are_recognised() -> None:
    assert clauses.looks_like_table("a | b\nc | d\ne | f")
    assert not clauses.looks_like_table("a | b\nplain line\nanother\nmore")
