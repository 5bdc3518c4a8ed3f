"""Haystack components of the query side: BM25 query vectors and the hybrid Qdrant retriever.

:class:`search.retrieval.Searcher` runs the retriever component itself rather than a Haystack
``Pipeline``, and that is deliberate: per query it chooses what to compute (dense, BM25 or both by
``mode``; BM25 alone first for a non-Latin query the English model cannot read), reuses the query
vectors across filter scopes for disjunctive facet counts, and groups, snippets and pages the hits,
none of which a fixed pipeline graph expresses without running the dense model needlessly.

``build_query_pipeline`` is the same retrieval as a serialisable Haystack pipeline (dense embedder,
BM25 embedder, this retriever), for tools that want one; ``tests/e2e/test_retrieval.py`` pins that it
ranks exactly as the Searcher does, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from haystack import Document, Pipeline, component
from haystack.dataclasses import SparseEmbedding

from kb.e5 import LATIN
from kb.embedding import make_text_embedder
from kb.models import SparseVector
from kb.settings import Settings
from kb.store import Bm25Encoder, ChunkStore
from kb.store.base import Fusion, QueryPlan

# The e5 list beside MiniLM's: only chunks in an Indian (non-Latin) script (kb.e5.dominant_script)
E5_BESIDE_MINILM: dict[str, Any] = {"field": "meta.script", "operator": "!=", "value": LATIN}


@component
class Bm25QueryEmbedder:
    """Query text -> BM25 sparse vector (1.0 per distinct stemmed term; None for stop-words only)."""

    def __init__(self) -> None:
        self._encoder: Bm25Encoder | None = None

    def warm_up(self) -> None:
        if self._encoder is None:
            self._encoder = Bm25Encoder()

    @component.output_types(sparse_embedding=SparseEmbedding | None)
    def run(self, text: str) -> dict[str, Any]:
        self.warm_up()
        assert self._encoder is not None
        vector = self._encoder.embed_query(text)
        return {
            "sparse_embedding": SparseEmbedding(indices=vector.indices, values=vector.values)
            if vector.indices
            else None
        }


class IndianScriptChunks:
    """Whether the index holds any chunk in an Indian script, recounted at most every ``ttl`` seconds.

    Why: beside MiniLM, e5 reads a Latin-script query only to search such chunks (E5_BESIDE_MINILM),
    and its query vector costs 10-20 ms of CPU here, more than the rest of a search; an English-only
    exchange should not pay it. A chunk ingested in another process is seen within ``ttl``.
    """

    def __init__(self, store: ChunkStore, ttl: float = 10.0) -> None:
        self.store = store
        self.ttl = ttl
        self._checked = -math.inf
        self._present = False
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked >= self.ttl:
                self._present = self.store.count(E5_BESIDE_MINILM) > 0
                self._checked = time.monotonic()
            return self._present


@component
class QdrantHybridRetriever:
    """Dense, BM25 or both (fused inside Qdrant) from a :class:`~kb.store.ChunkStore`; sets ``score``."""

    def __init__(
        self,
        *,
        document_store: ChunkStore,
        top_k: int = 100,
        fusion: Fusion = "dbsf",
        rrf_k: int = 60,
        rrf_weights: tuple[float, float] | None = None,
        e5_min_score: float | None = None,
    ) -> None:
        self.document_store = document_store
        self.e5_min_score = e5_min_score  # of the e5 list beside MiniLM's (KB_E5_MIN_SCORE)
        self.top_k = top_k
        self.fusion: Fusion = fusion
        self.rrf_k = rrf_k
        self.rrf_weights = rrf_weights

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float] | None = None,
        query_sparse_embedding: SparseEmbedding | None = None,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        query_e5_embedding: list[float] | None = None,
    ) -> dict[str, list[Document]]:
        """``query_embedding`` searches the ``dense`` vectors, ``query_e5_embedding`` the ``e5`` ones
        (``KB_DENSE_MODEL=minilm+e5``); all lists given are fused.

        Given both (a query MiniLM reads), e5 searches only the chunks MiniLM cannot read, those in an
        Indian script, and keeps those at least ``e5_min_score`` close: over English text MiniLM is the
        better ranker, and e5's vector of an English chunk is its document's lead (kb/dual.py), which
        fused in cost SciFact 0.7371 -> 0.7306; and without the floor DBSF would lift the nearest Hindi
        chunk of any English query as if it matched (it rescales each list on its own)."""
        sparse = (
            SparseVector(indices=list(query_sparse_embedding.indices), values=list(query_sparse_embedding.values))
            if query_sparse_embedding is not None
            else None
        )
        if query_embedding is None and query_e5_embedding is None and sparse is None:
            return {"documents": []}
        limit = top_k or self.top_k
        beside = query_embedding is not None and query_e5_embedding is not None
        plan = QueryPlan(
            dense=query_embedding,
            e5=query_e5_embedding,
            e5_filters=E5_BESIDE_MINILM if beside else None,
            e5_min_score=self.e5_min_score if beside else None,
            sparse=sparse,
            filters=filters,
            limit=limit,
            prefetch_limit=limit,
            fusion=self.fusion,
            rrf_k=self.rrf_k,
            rrf_weights=self.rrf_weights,
        )
        hits = self.document_store.query(plan)
        return {"documents": [hit.document for hit in hits]}


def make_retriever(settings: Settings, store: ChunkStore) -> QdrantHybridRetriever:
    """The retriever configured with the fusion the settings choose."""
    return QdrantHybridRetriever(
        document_store=store,
        fusion=settings.search_fusion,
        rrf_k=settings.rrf_k,
        rrf_weights=(settings.rrf_dense_weight, 1.0),
        e5_min_score=settings.e5_min_score,
    )


def build_query_pipeline(settings: Settings, store: ChunkStore) -> Pipeline:
    """text -> (dense embedding, BM25 vector) -> hybrid retriever. Run with
    ``{"dense": {"text": q}, "sparse": {"text": q}, "retriever": {"filters": ...}}`` (and
    ``"e5": {"text": q}`` with ``KB_DENSE_MODEL=minilm+e5``: a three-way fusion, which is
    what the Searcher sends for a Latin-script query)."""
    pipeline = Pipeline()
    pipeline.add_component("dense", make_text_embedder(settings))
    pipeline.add_component("sparse", Bm25QueryEmbedder())
    pipeline.add_component("retriever", make_retriever(settings, store))
    pipeline.connect("dense.embedding", "retriever.query_embedding")
    pipeline.connect("sparse.sparse_embedding", "retriever.query_sparse_embedding")
    if settings.e5_vector:
        from kb.e5 import E5TextEmbedder

        pipeline.add_component("e5", E5TextEmbedder(threads=1))
        pipeline.connect("e5.embedding", "retriever.query_e5_embedding")
    return pipeline
