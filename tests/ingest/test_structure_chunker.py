"""Chunker: the 256-token window with the real tokenizer, clause integrity, headings, pages, speed."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from transformers import AutoTokenizer

from ingest.chunking import Chunker
from ingest.converters import convert_path
from kb.models import Chunk, ConvertedDocument, Section

WORDS = (
    "the state department shall provide online services to citizens through common service centres "
    "portal application certificate grievance officer district within days timeline dashboard data "
    "governance digital infrastructure agreement party parties obligations implementation"
).split()


@pytest.fixture(scope="session")
def tokenizer(model_path: str) -> Any:
    """The model's tokenizer, loaded independently of the chunker, to check its counts."""
    return AutoTokenizer.from_pretrained(model_path, local_files_only=True)


def window(tokenizer: Any, chunk: Chunk) -> int:
    return len(tokenizer(chunk.embedding_text, verbose=False)["input_ids"])


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(sentences))


def words_of(text: str) -> list[str]:
    return text.split()


def doc(*sections: Section, title: str | None = "T") -> ConvertedDocument:
    return ConvertedDocument(sections=tuple(sections), media_type="text/plain", title=title)


def hostile_document() -> ConvertedDocument:
    rng = random.Random(7)
    giant_sentence = " ".join(rng.choice(WORDS) for _ in range(2500))
    url = "https://egov.example.gov.in/" + "/".join(f"segment-{i}" for i in range(600))
    unbroken = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(9000))
    table = "\n".join(f"Row {i} | {sentence(rng, 6)} | {i * 17} days" for i in range(120))
    devanagari = " ".join(["राज्य सरकार नागरिकों को ऑनलाइन सेवाएं प्रदान करेगी।"] * 150)
    return doc(
        Section("\n\n".join(paragraph(rng, 40) for _ in range(3)), ("Very long paragraphs",), 1),
        Section(giant_sentence, ("One giant sentence",), 2),
        Section(url, ("A giant URL",), 3),
        Section(unbroken, ("An unbroken string",), 4),
        Section(table, ("A long table",), 5),
        Section(devanagari, ("Hindi",), 6),
        Section("Short closing note.", ("Very long paragraphs",), 7),
        title="Report on the implementation of the State e-governance programme, 2015 to 2023",
    )


def test_no_chunk_exceeds_the_window_with_the_real_tokenizer(chunker: Chunker, tokenizer: Any) -> None:
    document = hostile_document()
    chunks = chunker.chunk(document, title=document.title or "")

    sizes = [window(tokenizer, chunk) for chunk in chunks]
    assert max(sizes) <= 256
    assert sum(size > 150 for size in sizes) > len(sizes) / 2  # packed towards the target, not crumbs
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))


UNBROKEN = [("A giant URL",), ("An unbroken string",)]


def test_no_text_is_lost_or_repeated(chunker: Chunker) -> None:
    document = hostile_document()
    chunks = chunker.chunk(document, title="T")

    for path in {section.heading_path for section in document.sections}:
        expected = [w for s in document.sections if s.heading_path == path for w in words_of(s.text)]
        got = [w for c in chunks if c.heading_path == path for w in words_of(c.text)]
        if path not in UNBROKEN:
            assert got == expected, path
    for path in UNBROKEN:  # cut at token boundaries: every character kept, in order
        text = next(s.text for s in document.sections if s.heading_path == path)
        pieces = [c.text for c in chunks if c.heading_path == path]
        assert "".join(pieces) == text


def test_giant_sentence_is_split_on_words_and_keeps_its_page(chunker: Chunker, tokenizer: Any) -> None:
    chunks = [c for c in chunker.chunk(hostile_document(), title="T") if c.heading_path == ("One giant sentence",)]

    assert len(chunks) > 5
    assert all(c.page == 2 for c in chunks)
    assert all(window(tokenizer, c) <= 256 for c in chunks)


def test_long_table_is_split_between_rows(chunker: Chunker) -> None:
    chunks = [c for c in chunker.chunk(hostile_document(), title="T") if c.heading_path == ("A long table",)]

    assert len(chunks) > 1
    for chunk in chunks:
        assert all(re.match(r"^Row \d+ \| .* \| \d+ days$", line) for line in chunk.text.splitlines())


def mou_clauses(rng: random.Random) -> tuple[str, list[str]]:
    clauses = []
    for number in range(1, 25):
        body = paragraph(rng, rng.randint(1, 6))
        if number % 5 == 0:  # a clause with sub-clauses
            subs = "\n".join(f"({letter}) {sentence(rng, 12)}" for letter in "abc")
            body = f"{body}\n{subs}"
        clauses.append(f"{number}. {body}")
    return "\n".join(clauses), clauses


def test_numbered_clauses_are_kept_whole(chunker: Chunker, tokenizer: Any) -> None:
    text, clauses = mou_clauses(random.Random(3))
    chunks = chunker.chunk(doc(Section(text, ("Terms",))), title="MoU")

    assert len(chunks) > 3
    assert all(window(tokenizer, c) <= 256 for c in chunks)
    for clause in clauses:
        fits = window(tokenizer, Chunk(text=clause, index=0, context=chunks[0].context)) <= 256
        if fits:
            assert any(clause in chunk.text for chunk in chunks), clause[:40]
    for chunk in chunks:  # every chunk starts at a clause
        assert re.match(r"^\d+\. ", chunk.text), chunk.text[:40]


def test_a_clause_longer_than_the_window_is_split_by_sentences(chunker: Chunker) -> None:
    rng = random.Random(5)
    long_clause = "4. " + paragraph(rng, 30)
    text = f"3. {sentence(rng, 10)}\n{long_clause}\n5. {sentence(rng, 10)}"
    chunks = chunker.chunk(doc(Section(text, ("Clauses",))), title="MoU")

    assert chunks[0].text.startswith("3. ") and chunks[-1].text.endswith(text.split("\n")[-1])
    assert len(chunks) >= 3
    for chunk in chunks:
        assert chunk.text.endswith("."), chunk.text[-30:]  # cut between sentences


def test_mou_fixture_clauses_stay_together(chunker: Chunker, good_dir: Path) -> None:
    document = convert_path(good_dir / "mou-kerala-karnataka.md")
    chunks = chunker.chunk(document, title=document.title or "")

    scope = next(c for c in chunks if c.heading_path == ("Clauses", "Clause 1 - Scope"))
    assert scope.text.count("\n") == 2 and scope.text.startswith("1. ")
    assert scope.context == ("MoU between Kerala and Karnataka on e-District services › Clauses › Clause 1 - Scope")


def test_sections_under_different_headings_are_never_merged(chunker: Chunker) -> None:
    sections = [Section(f"Tiny section {i}.", (f"Heading {i}",)) for i in range(5)]
    chunks = chunker.chunk(doc(*sections), title="Doc")

    assert [(c.text, c.heading_path) for c in chunks] == [(s.text, s.heading_path) for s in sections]
    assert [c.context for c in chunks] == [f"Doc › Heading {i}" for i in range(5)]


def test_consecutive_sections_under_one_heading_are_merged_and_cite_the_first_page(chunker: Chunker) -> None:
    sections = [
        Section("Page one text.", ("Chapter 1",), 1),
        Section("Page two text.", ("Chapter 1",), 2),
        Section("Next chapter.", ("Chapter 2",), 2),
        Section("Back to one.", ("Chapter 1",), 3),
    ]
    chunks = chunker.chunk(doc(*sections), title="")

    assert [(c.text, c.heading_path, c.page) for c in chunks] == [
        ("Page one text.\n\nPage two text.", ("Chapter 1",), 1),
        ("Next chapter.", ("Chapter 2",), 2),
        ("Back to one.", ("Chapter 1",), 3),
    ]
    assert chunks[0].context == "Chapter 1"


def test_pages_are_carried_across_a_long_pdf(chunker: Chunker) -> None:
    rng = random.Random(11)
    sections = [Section(paragraph(rng, rng.randint(3, 25)), (), page) for page in range(1, 41)]
    chunks = chunker.chunk(doc(*sections), title="Report")

    for chunk in chunks:
        assert chunk.page is not None
        page_words = [w for s in sections if s.page == chunk.page for w in words_of(s.text)]
        first = words_of(chunk.text)[:6]
        assert any(page_words[i : i + 6] == first for i in range(len(page_words))), chunk.index
    assert [c.page for c in chunks] == sorted(c.page or 0 for c in chunks)


def test_context_is_truncated_to_its_budget(chunker: Chunker, tokenizer: Any) -> None:
    title = "A very long title " * 20
    path = tuple(f"Part {i} of the agreement on shared services" for i in range(6))
    (chunk,) = chunker.chunk(doc(Section("Body text.", path)), title=title)

    assert len(tokenizer(chunk.context, add_special_tokens=False)["input_ids"]) <= 48
    assert chunk.context.endswith("Part 5 of the agreement on shared services")
    assert chunk.context.startswith("A very long title")

    short_title = "Short"
    (chunk,) = chunker.chunk(doc(Section("Body.", path)), title=short_title)
    assert chunk.context.startswith("Short › … › ") and chunk.context.endswith(path[-1])


def test_untitled_document_without_headings_has_no_context(chunker: Chunker) -> None:
    (chunk,) = chunker.chunk(doc(Section("Just text.")), title="")

    assert chunk.context == "" and chunk.embedding_text == "Just text."


def test_empty_document_gives_no_chunks(chunker: Chunker) -> None:
    assert chunker.chunk(doc(Section("  \n\n ")), title="T") == []


def test_smaller_window_is_respected(model_path: str, tokenizer: Any) -> None:
    small = Chunker(model_path, max_tokens=64, target_tokens=48, context_tokens=16)
    small.warm_up()
    small.warm_up()  # idempotent
    document = hostile_document()
    chunks = small.chunk(document, title=document.title or "")

    assert max(window(tokenizer, c) for c in chunks) <= 64


def test_chunk_before_warm_up_and_bad_settings_are_errors(model_path: str) -> None:
    with pytest.raises(RuntimeError, match="warm_up"):
        Chunker(model_path).chunk(doc(Section("x")), title="")
    with pytest.raises(ValueError, match="target_tokens"):
        Chunker(model_path, target_tokens=300)
    with pytest.raises(ValueError, match="no room"):
        Chunker(model_path, max_tokens=40, context_tokens=30)


class CountingTokenizer:
    """Wraps the real tokenizer and counts calls and texts, to check the chunker's work is linear."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0
        self.texts = 0

    def __call__(self, text: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.texts += len(text) if isinstance(text, list) else 1
        return self.inner(text, **kwargs)


def test_a_200_page_document_is_tokenized_a_constant_number_of_times(model_path: str) -> None:
    chunker = Chunker(model_path)
    chunker.warm_up()
    counting = CountingTokenizer(chunker._tokenizer)
    chunker._tokenizer = counting
    rng = random.Random(1)
    sections = [
        Section("\n".join(paragraph(rng, 4) for _ in range(6)), (f"Chapter {page // 20}",), page)
        for page in range(1, 201)
    ]  # pages without blank lines, as pypdf extracts them: every page is one long paragraph
    chunks = chunker.chunk(doc(*sections), title="Two hundred pages")

    assert len(chunks) > 400
    assert counting.calls <= 2 + 11  # paragraphs once, the chunks once, each context once
    assert counting.texts <= 3 * len(chunks) + len(sections) + 50
