"""PassageRetriever with the real tokenizer over a fake searcher whose hits we choose.

The fake implements the two methods the retriever uses (``check_query``, ``candidates``), so dedup
and budgeting can be checked on exactly the duplicates and lengths that matter.
"""

from __future__ import annotations

from typing import Any

import pytest
from haystack import Document

from kb.errors import QueryError
from kb.settings import Settings
from kb.store import ScoredChunk
from search.passages import ELLIPSIS, PassageRetriever, RetrieveRequest, TokenCounter, header
from search.retrieval import QueryRun
from search.schemas import SearchFilters

LONG = " ".join(f"Sentence {i} explains how the district office resolved grievance number {i}." for i in range(150))


def hit(document_id: str, index: int, text: str, score: float, **meta: Any) -> ScoredChunk:
    payload = {
        "document_id": document_id,
        "title": f"Title of {document_id}",
        "type": "case_study",
        "states": ["Haryana"],
        "sector": "grievance_redressal",
        "year": 2014,
        "version": 3,
        "chunk_index": index,
        "heading_path": ["Implementation", "Tracking"],
        "section": "Implementation › Tracking",
        "page": 4,
        **meta,
    }
    return ScoredChunk(document=Document(id=f"{document_id}-{index}", content=text, meta=payload), score=score)


class FakeSearcher:
    def __init__(self, hits: list[ScoredChunk]) -> None:
        self.hits = hits
        self.asked: list[SearchFilters] = []

    def check_query(self, query: str) -> str:
        text = " ".join(query.split())
        if not text:
            raise QueryError("the query is empty")
        return text

    def candidates(self, text: str, filters: SearchFilters, **_: Any) -> list[ScoredChunk]:
        self.asked.append(filters)
        return self.hits

    def run_query(self, text: str, filters: SearchFilters, **_: Any) -> tuple[list[ScoredChunk], QueryRun]:
        return self.candidates(text, filters), QueryRun(dense=None, sparse=None)

    def nothing_strong(self, hits: list[ScoredChunk], run: None) -> bool:
        return False  # these tests are about budgets and duplicates: every hit counts as a match


def retriever(hits: list[ScoredChunk], counter: TokenCounter) -> PassageRetriever:
    return PassageRetriever(Settings(public_url="https://exchange.example"), FakeSearcher(hits), counter)  # type: ignore[arg-type]


def test_duplicates_are_kept_once_at_their_best_rank(counter: TokenCounter) -> None:
    hits = [
        hit("a", 0, "Every grievance is tracked until it is resolved.", 0.9),
        hit("a", 0, "Every grievance is tracked until it is resolved.", 0.8),  # same chunk again
        hit("b", 2, "Every  grievance is tracked until it is RESOLVED.", 0.7),  # same text elsewhere
        hit("c", 1, "Every grievance is tracked until it is resolved!", 0.6),  # near-identical
        hit("d", 5, "Citizens are informed by SMS at every step.", 0.5),
        hit("e", 0, "   ", 0.4),  # empty
    ]
    body = retriever(hits, counter).retrieve(RetrieveRequest(query="tracking"))
    assert [(p.citation.document_id, p.chunk_index) for p in body.passages] == [("a", 0), ("d", 5)]
    assert [p.rank for p in body.passages] == [1, 2]


def test_citation_carries_version_page_section_and_urls(counter: TokenCounter) -> None:
    body = retriever([hit("haryana-cm-window", 7, "Text.", 0.5)], counter).retrieve(RetrieveRequest(query="x"))
    citation = body.passages[0].citation
    assert citation.version == 3 and citation.page == 4 and citation.heading_path == ["Implementation", "Tracking"]
    assert citation.url == "https://exchange.example/documents/haryana-cm-window"
    assert citation.file_url == "https://exchange.example/v1/documents/haryana-cm-window/file?version=3"
    assert body.context == "[1] Title of haryana-cm-window (Haryana, 2014) § Implementation › Tracking, p. 4\nText."


def test_header_keeps_long_state_lists_short() -> None:
    from search.passages import citation_from_meta

    states = ["Karnataka", "Haryana", "Telangana", "Jammu and Kashmir", "Gujarat"]
    meta = {"document_id": "r", "title": "Report", "states": states, "year": None, "section": "", "page": None}
    assert header(2, citation_from_meta(meta, Settings())) == "[2] Report (Karnataka, Haryana, Telangana, +2 more)"


@pytest.mark.parametrize("max_tokens", [100, 101, 150, 333, 1000])
def test_long_passage_is_cut_at_a_word_within_the_budget(counter: TokenCounter, max_tokens: int) -> None:
    hits = [hit("a", 0, "A short first passage about grievances.", 0.9), hit("b", 0, LONG, 0.8), hit("c", 0, "x", 0.1)]
    body = retriever(hits, counter).retrieve(RetrieveRequest(query="q", max_tokens=max_tokens))
    assert body.total_tokens == counter.count(body.context) <= max_tokens
    last = body.passages[-1]
    assert last.citation.document_id == "b" and last.truncated  # and nothing after the cut one
    kept = last.text.removesuffix(ELLIPSIS)
    assert LONG.startswith(kept) and LONG[len(kept)] == " "
    assert max_tokens - body.total_tokens < 30  # the budget is used, not wasted


def test_a_budget_too_small_for_a_useful_cut_stops_instead(counter: TokenCounter) -> None:
    first = " ".join(["grievance"] * 80)  # about 80 tokens + header: leaves less than a useful cut
    hits = [hit("a", 0, first, 0.9), hit("b", 0, LONG, 0.8)]
    body = retriever(hits, counter).retrieve(RetrieveRequest(query="q", max_tokens=100))
    assert [p.citation.document_id for p in body.passages] == ["a"]
    assert body.total_tokens <= 100


def test_max_passages_and_filters_reach_the_searcher(counter: TokenCounter) -> None:
    hits = [hit(f"d{i}", 0, f"Passage number {i} about topic {i * 7}.", 1 - i / 100) for i in range(20)]
    fake = FakeSearcher(hits)
    passages = PassageRetriever(Settings(), fake, counter)  # type: ignore[arg-type]
    filters = SearchFilters(states=["J&K"], type="mou")  # type: ignore[arg-type]
    body = passages.retrieve(RetrieveRequest(query="q", max_passages=4, filters=filters, max_tokens=32_000))
    assert len(body.passages) == 4
    assert fake.asked == [filters] and fake.asked[0].states == ["Jammu and Kashmir"]


def test_truncate_never_exceeds_and_leaves_short_text_alone(counter: TokenCounter) -> None:
    assert counter.truncate("short text", 10) == "short text"
    for budget in (3, 5, 17, 64, 200):
        cut = counter.truncate(LONG, budget)
        assert counter.count(cut) <= budget and cut.endswith(ELLIPSIS)
    assert counter.count("") == 0
