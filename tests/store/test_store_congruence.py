"""One suite, both backends: the same writes give the same answers on Edge and on a Qdrant server.

Each parametrised test checks one backend against an expectation computed here in Python; the
``pair`` tests run a battery of queries on both backends side by side and compare ids and scores.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from haystack.dataclasses import Document

from kb.models import SparseVector
from kb.store import Bm25Encoder, ChunkStore, EdgeStore, ScoredChunk

from .conftest import EdgeFactory
from .helpers import DIM, corpus, make_server

DOCS = corpus()
BY_ID = {d.id: d for d in DOCS}
ENCODER = Bm25Encoder()


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _ids(chunks: list[ScoredChunk]) -> list[str]:
    return [c.document.id for c in chunks]


def _matching(predicate: Any) -> set[str]:
    return {d.id for d in DOCS if predicate(d.meta)}


@pytest.fixture
def filled(store: ChunkStore) -> ChunkStore:
    """The current backend holding the synthetic corpus."""
    assert store.write_documents(DOCS) == len(DOCS)
    return store


@pytest.fixture
def pair(edge_factory: EdgeFactory) -> Iterator[tuple[ChunkStore, ChunkStore]]:
    """Edge and server backends holding the same corpus."""
    server = make_server(dense_dim=DIM)
    edge = edge_factory()
    for store in (edge, server):
        store.write_documents(DOCS)
    yield edge, server
    server.close()


QUERY_VECTOR = [0.3, -0.2, 0.9, 0.1, -0.5, 0.4, 0.0, 0.2]
QUERY_SPARSE = ENCODER.embed_query("online land records for farmers")

FILTERS: dict[str, tuple[dict[str, Any], Any]] = {
    "states in": (
        {"field": "meta.states", "operator": "in", "value": ["Haryana", "Kerala"]},
        lambda m: bool({"Haryana", "Kerala"} & set(m["states"])),
    ),
    "sector ==": (
        {"field": "meta.sector", "operator": "==", "value": "health"},
        lambda m: m["sector"] == "health",
    ),
    "year range": (
        {
            "operator": "AND",
            "conditions": [
                {"field": "meta.year", "operator": ">=", "value": 2012},
                {"field": "meta.year", "operator": "<=", "value": 2016},
            ],
        },
        lambda m: 2012 <= m["year"] <= 2016,
    ),
    "NOT": (
        {"operator": "NOT", "conditions": [{"field": "meta.sector", "operator": "==", "value": "health"}]},
        lambda m: m["sector"] != "health",
    ),
    "OR of type and bool": (
        {
            "operator": "OR",
            "conditions": [
                {"field": "meta.type", "operator": "==", "value": "mou"},
                {"field": "meta.is_head", "operator": "==", "value": False},
            ],
        },
        lambda m: m["type"] == "mou" or m["is_head"] is False,
    ),
    "national (no states)": (
        {"field": "meta.states", "operator": "==", "value": None},
        lambda m: not m["states"],
    ),
    "not in chunk_index": (
        {"field": "meta.chunk_index", "operator": "not in", "value": [0, 2]},
        lambda m: m["chunk_index"] not in (0, 2),
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_filters_select_exactly_the_matching_chunks(filled: ChunkStore, name: str) -> None:
    filters, predicate = FILTERS[name]
    expected = _matching(predicate)
    assert expected and len(expected) < len(DOCS), "a filter that matches all or nothing tests little"
    assert {d.id for d in filled.filter_documents(filters)} == expected
    assert filled.count(filters) == len(expected)
    hits = filled.query(dense=QUERY_VECTOR, filters=filters, limit=len(DOCS))
    assert set(_ids(hits)) == expected


def test_dense_query_ranks_by_cosine(filled: ChunkStore) -> None:
    expected = sorted(DOCS, key=lambda d: -_cosine(QUERY_VECTOR, d.embedding or []))[:5]
    hits = filled.query(dense=QUERY_VECTOR, limit=5)
    assert _ids(hits) == [d.id for d in expected]
    for hit, doc in zip(hits, expected, strict=True):
        assert hit.score == pytest.approx(_cosine(QUERY_VECTOR, doc.embedding or []), abs=1e-5)
        assert hit.document.score == hit.score
        assert hit.document.content == doc.content and hit.document.meta == doc.meta
        assert hit.document.embedding is None  # only with_vectors=True returns vectors


def test_sparse_query_returns_only_chunks_sharing_a_term(filled: ChunkStore) -> None:
    hits = filled.query(sparse=QUERY_SPARSE, limit=len(DOCS))
    sharing = {d.id for d in DOCS if set(d.sparse_embedding.indices) & set(QUERY_SPARSE.indices)}  # type: ignore[union-attr]
    assert set(_ids(hits)) == sharing
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "land records" in hits[0].document.content  # type: ignore[operator]


def test_hybrid_rrf_score_is_the_sum_of_reciprocal_ranks(filled: ChunkStore) -> None:
    dense = _ids(filled.query(dense=QUERY_VECTOR, limit=100))
    sparse = _ids(filled.query(sparse=QUERY_SPARSE, limit=100))
    expected = Counter[str]()
    for ranking in (dense, sparse):
        for rank, doc_id in enumerate(ranking):
            expected[doc_id] += 1.0 / (60 + rank)  # type: ignore[assignment]
    hits = filled.query(dense=QUERY_VECTOR, sparse=QUERY_SPARSE, limit=10)
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.document.id], rel=1e-5)
    assert [h.score for h in hits] == pytest.approx(sorted(expected.values(), reverse=True)[:10], rel=1e-5)


def test_query_excludes_ids_and_returns_vectors_on_request(filled: ChunkStore) -> None:
    top = _ids(filled.query(dense=QUERY_VECTOR, limit=3))
    hits = filled.query(dense=QUERY_VECTOR, sparse=QUERY_SPARSE, limit=5, exclude_ids=top, with_vectors=True)
    assert not set(_ids(hits)) & set(top)
    for hit in hits:
        original = BY_ID[hit.document.id]
        assert hit.document.embedding == pytest.approx(_unit(original.embedding or []), abs=1e-6)
        assert hit.document.sparse_embedding is not None
        assert hit.document.sparse_embedding.indices == original.sparse_embedding.indices  # type: ignore[union-attr]


def test_dense_vectors_read_only_the_dense_vectors(filled: ChunkStore) -> None:
    ids = [d.id for d in DOCS[:6]]
    vectors = filled.dense_vectors([*ids, "no-such-chunk"])
    assert set(vectors) == set(ids)  # the unknown id left out
    for chunk_id in ids:
        assert vectors[chunk_id] == pytest.approx(_unit(BY_ID[chunk_id].embedding or []), abs=1e-6)


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def test_facets_count_chunks_per_value(filled: ChunkStore) -> None:
    states = Counter(s for d in DOCS for s in d.meta["states"])
    assert dict(filled.facet("meta.states")) == dict(states)
    health = {"field": "meta.sector", "operator": "==", "value": "health"}
    years = Counter(d.meta["year"] for d in DOCS if d.meta["sector"] == "health")
    assert dict(filled.facet("meta.year", health)) == dict(years)
    assert filled.facet("meta.is_head") == [(True, len(DOCS))]
    top2 = filled.facet("meta.sector", limit=2)
    assert len(top2) == 2 and all(count == len(DOCS) // 4 for _, count in top2)


def test_upsert_of_the_same_ids_is_idempotent(filled: ChunkStore) -> None:
    assert filled.write_documents(DOCS) == len(DOCS)
    assert filled.count() == len(DOCS)
    changed = Document(id=DOCS[0].id, content="rewritten", meta={**DOCS[0].meta, "year": 1999})
    filled.write_documents([changed])
    assert filled.count() == len(DOCS)
    [got] = filled.get([DOCS[0].id])
    assert (got.content, got.meta["year"], got.embedding) == ("rewritten", 1999, None)


def test_delete_by_filter_and_update_by_filter(filled: ChunkStore) -> None:
    first = {"field": "meta.document_id", "operator": "==", "value": "doc-00"}
    assert filled.update_by_filter(first, {"is_head": False}) == 3
    assert filled.count({"field": "meta.is_head", "operator": "==", "value": False}) == 3
    assert filled.delete_by_filter(first) == 3
    assert filled.delete_by_filter(first) == 0
    assert filled.count() == len(DOCS) - 3
    assert [d.id for d in filled.get(["01-1", "00-0", "missing", "01-0"])] == ["01-1", "01-0"]


def test_scroll_pages_through_everything(store: ChunkStore) -> None:
    many = [Document(id=f"p{i}", content=f"chunk {i}", meta={"chunk_index": i}) for i in range(600)]
    assert store.write_documents(many) == 600
    assert len(store.scroll()) == 600
    assert len(store.scroll(limit=300)) == 300
    assert {d.id for d in store.scroll({"field": "meta.chunk_index", "operator": "<", "value": 10})} == {
        f"p{i}" for i in range(10)
    }
    store.delete_documents([f"p{i}" for i in range(300)])
    assert store.count_documents() == 300


def test_pair_backends_agree(pair: tuple[ChunkStore, ChunkStore]) -> None:
    edge, server = pair
    queries: list[dict[str, Any]] = [
        {"dense": QUERY_VECTOR},
        {"sparse": QUERY_SPARSE},
        {"dense": QUERY_VECTOR, "sparse": QUERY_SPARSE},
        {"dense": QUERY_VECTOR, "sparse": QUERY_SPARSE, "fusion": "dbsf"},
        {"dense": QUERY_VECTOR, "sparse": QUERY_SPARSE, "rrf_k": 2, "prefetch_limit": 10},
    ]
    for query in queries:
        for filters, _ in [(None, None), *FILTERS.values()]:
            a = edge.query(**query, filters=filters, limit=8)
            b = server.query(**query, filters=filters, limit=8)
            _assert_same_ranking(a, b, f"{query.keys()} {filters}")
    for key in ("meta.states", "meta.sector", "meta.year", "meta.type", "meta.tags"):
        assert edge.facet(key) == server.facet(key)
    assert [d.id for d in edge.scroll()] == [d.id for d in server.scroll()]


def _assert_same_ranking(a: list[ScoredChunk], b: list[ScoredChunk], label: str) -> None:
    """Same scores position by position; ids equal up to the order of tied scores."""
    assert [c.score for c in a] == pytest.approx([c.score for c in b], rel=1e-5, abs=1e-6), label
    groups_a: dict[float, set[str]] = {}
    groups_b: dict[float, set[str]] = {}
    for chunks, groups in ((a, groups_a), (b, groups_b)):
        for chunk in chunks:
            groups.setdefault(round(chunk.score, 5), set()).add(chunk.document.id)
    last = round(a[-1].score, 5) if a else None
    for score in groups_a:
        if score != last or len(a) < 8:  # a tie cut by the limit may keep different members
            assert groups_a[score] == groups_b[score], label


def test_edge_persists_across_close_and_reopen(edge_factory: EdgeFactory) -> None:
    store = edge_factory()
    store.write_documents(DOCS)
    before = store.query(dense=QUERY_VECTOR, sparse=QUERY_SPARSE, limit=10)
    facets = store.facet("meta.states")
    store.close()
    store.close()  # idempotent
    reopened = EdgeStore(store.path, dense_dim=DIM)
    try:
        assert reopened.count() == len(DOCS)
        after = reopened.query(dense=QUERY_VECTOR, sparse=QUERY_SPARSE, limit=10)
        assert [(c.document.id, c.score) for c in after] == [(c.document.id, c.score) for c in before]
        assert reopened.facet("meta.states") == facets
        reopened.optimize()  # merges segments / builds indexes; answers must not change
        after_optimize = reopened.query(dense=QUERY_VECTOR, sparse=QUERY_SPARSE, limit=10)
        assert _ids(after_optimize) == _ids(before)
        assert [c.score for c in after_optimize] == pytest.approx([c.score for c in before])
    finally:
        reopened.close()


def test_stop_word_query_and_empty_sparse_give_no_results(filled: ChunkStore) -> None:
    assert ENCODER.embed_query("the of and") == SparseVector()
    assert filled.query(sparse=ENCODER.embed_query("the of and")) == []
    assert len(filled.query(dense=QUERY_VECTOR, sparse=SparseVector(), limit=3)) == 3


def test_metadata_is_stored_as_the_same_json_on_both_backends(store: ChunkStore) -> None:
    meta = {"date": dt.date(2021, 5, 1), "pair": (1, 2), "nested": {"a": [1, {"b": None}]}, "ratio": 0.5}
    store.write_documents([Document(id="d", content="x", meta=meta)])
    [got] = store.get(["d"])
    assert got.meta == {"date": "2021-05-01", "pair": [1, 2], "nested": {"a": [1, {"b": None}]}, "ratio": 0.5}
    assert store.count({"field": "meta.date", "operator": ">", "value": "2021-01-01"}) == 1
    with pytest.raises(ValueError, match="not JSON"):
        store.write_documents([Document(id="e", content="x", meta={"bad": object()})])
