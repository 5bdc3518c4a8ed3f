"""The e5 list beside MiniLM's (KB_DENSE_MODEL=minilm+e5): its own filter and score floor, on both
backends. A Latin-script query is answered by MiniLM over English chunks, and by e5 only over chunks
in an Indian script that are close enough (search.components.QdrantHybridRetriever)."""

from __future__ import annotations

import math

from haystack.dataclasses import Document

from kb.store import ChunkStore
from kb.store.base import QueryPlan

from .helpers import DIM, StoreFactory


def _unit(*values: float) -> list[float]:
    vector = [*values, *([0.0] * (DIM - len(values)))]
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def _two_vector_store(store_factory: StoreFactory) -> ChunkStore:
    store = store_factory(dense_names=("dense", "e5"))
    chunks = [  # MiniLM's vector, then e5's
        ("english", "latin", _unit(1, 0), _unit(1, 0)),
        ("hindi-close", "devanagari", _unit(0, 1), _unit(1, 0.2)),
        ("hindi-far", "devanagari", _unit(0, 1), _unit(0, 1)),
    ]
    store.write_documents([Document(id=i, content=i, meta={"script": s}, embedding=[*d, *e]) for i, s, d, e in chunks])
    return store


def test_the_e5_list_keeps_only_its_filter_and_close_hits(store_factory: StoreFactory) -> None:
    store = _two_vector_store(store_factory)
    query = _unit(1, 0)
    everything = store.query(QueryPlan(e5=query, limit=10))
    assert [h.document.id for h in everything] == ["english", "hindi-close", "hindi-far"]
    indian = {"field": "meta.script", "operator": "!=", "value": "latin"}
    only_indian = store.query(QueryPlan(e5=query, e5_filters=indian, limit=10))
    assert [h.document.id for h in only_indian] == ["hindi-close", "hindi-far"]
    close = store.query(QueryPlan(e5=query, e5_filters=indian, e5_min_score=0.9, limit=10))
    assert [h.document.id for h in close] == ["hindi-close"]  # cosine 0.98; hindi-far is at 0


def test_the_e5_restriction_leaves_the_other_lists_alone(store_factory: StoreFactory) -> None:
    store = _two_vector_store(store_factory)
    indian = {"field": "meta.script", "operator": "!=", "value": "latin"}
    plan = QueryPlan(dense=_unit(1, 0), e5=_unit(1, 0), e5_filters=indian, e5_min_score=0.9, fusion="dbsf", limit=10)
    scores = {h.document.id: h.score for h in store.query(plan)}
    assert set(scores) == {"english", "hindi-close", "hindi-far"}  # MiniLM's list is not filtered
    # the two Hindi chunks have the same MiniLM vector: only the e5 list, which kept one, tells them apart
    assert scores["hindi-close"] > scores["hindi-far"]


def test_dense_vectors_are_the_embeddings_get_gives(store_factory: StoreFactory) -> None:
    """What the relevance floor reads (both halves of a two-vector KB, nothing else), on both backends."""
    store = _two_vector_store(store_factory)
    got = {d.id: d.embedding for d in store.get(["english", "hindi-far"], with_vectors=True)}
    vectors = store.dense_vectors(["hindi-far", "missing", "english"])
    assert set(vectors) == {"english", "hindi-far"} and len(vectors["english"]) == 2 * DIM
    for chunk_id, vector in vectors.items():
        assert vector == got[chunk_id]
    assert store.dense_vectors([]) == {}
