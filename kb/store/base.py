"""The chunk store interface: a Haystack ``DocumentStore`` plus the queries search needs.

One point per chunk. Payload ``{"id": <Haystack id>, "content": <text>, "meta": {...}}``; named
vectors ``dense`` (cosine, from ``Document.embedding``) and ``bm25`` (sparse, IDF modifier, from
``Document.sparse_embedding``), either may be absent. A store opened with ``dense_names=("dense",
"e5")`` (``KB_DENSE_MODEL=minilm+e5``) holds a second cosine vector ``e5``; its Haystack
``Document.embedding`` is then the two vectors concatenated (MiniLM's first), so every Haystack path
(ingest's vector reuse, ``filter_documents``) carries both without a field Haystack lacks. Point
ids are UUIDs; other Haystack ids (its own are sha256 hex) map to their uuid5, and the original id
comes back from the payload.

Why an ABC holding the Haystack logic, with thin primitives in the backends: duplicate policies,
input checks, filters, ids and Document conversion are written once, so Edge and the server cannot
drift apart. Backends translate their exceptions into :class:`~kb.errors.StoreError`.
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal, Self

from haystack.dataclasses import Document, SparseEmbedding
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy

from kb.errors import ConfigError, QueryError
from kb.models import SparseVector
from kb.store.filters import EVERYTHING, Condition, HasId, Not, combine, parse_filters
from kb.store.points import (
    DENSE,
    E5,
    SPARSE,
    FacetValue,
    Fusion,
    Hit,
    PointData,
    QueryPlan,
    ScoredChunk,
    dimension_mismatch,
    make_hit,
    point_id,
)

__all__ = [  # the values live in kb.store.points; importers name them from here as before
    "DENSE",
    "E5",
    "PAYLOAD_INDEXES",
    "SPARSE",
    "ChunkStore",
    "FacetValue",
    "Fusion",
    "Hit",
    "PointData",
    "QueryPlan",
    "ScoredChunk",
    "dimension_mismatch",
    "make_hit",
    "point_id",
]

# Meta keys starting with this are the writer's working notes (e.g. e5's document lead, kb.e5.LEAD_META):
# never stored, so a chunk's payload holds only what search shows or filters on.
TRANSIENT_META_PREFIX = "_"

# Every field the product filters or facets on gets a payload index at creation, on both backends.
PAYLOAD_INDEXES: dict[str, Literal["keyword", "integer", "bool"]] = {
    "meta.document_id": "keyword",
    "meta.type": "keyword",
    "meta.states": "keyword",
    "meta.sector": "keyword",
    "meta.level": "keyword",
    "meta.language": "keyword",
    "meta.script": "keyword",  # of each chunk (kb.e5.dominant_script)
    # every anonymous or state-key search filters on it (search.services.access): without an index
    # Qdrant reads each candidate's payload, 7x the time of the query itself (27 vs 4 ms at 800 chunks)
    "meta.visibility": "keyword",
    "meta.tags": "keyword",
    "meta.status": "keyword",
    "meta.year": "integer",
    "meta.chunk_index": "integer",
    "meta.version": "integer",
    "meta.is_head": "bool",
}

_BATCH = 256
_TIE_MARGIN = 8


class ChunkStore(ABC):
    """One interface over Qdrant Edge and a Qdrant server, with identical semantics."""

    dense_dim: int  # of each dense vector
    return_embedding: bool
    dense_names: tuple[str, ...] = (DENSE,)  # the dense vectors the index holds: (DENSE,) or (DENSE, E5)

    @property
    def embedding_dim(self) -> int:
        """Length of a Haystack ``Document.embedding`` here: the dense vectors concatenated."""
        return self.dense_dim * len(self.dense_names)

    # ---- Haystack DocumentStore protocol --------------------------------------------------------

    def count_documents(self) -> int:
        """Number of stored chunks."""
        return self._count(None)

    def count_documents_by_filter(self, filters: dict[str, Any]) -> int:
        """Haystack's name for :meth:`count` with a filter."""
        return self.count(filters)

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """Chunks matching Haystack ``filters`` in point-id order; embeddings if ``return_embedding``."""
        return self.scroll(filters, with_vectors=self.return_embedding)

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write chunks; returns how many were written.

        ``DuplicatePolicy.NONE`` means OVERWRITE: chunk ids are derived from content, so rewriting an
        id is an idempotent upsert (re-ingesting unchanged files writes nothing new).
        """
        if isinstance(documents, str | bytes) or not isinstance(documents, Sequence):
            raise ValueError("write_documents expects a list of haystack Document objects.")
        if wrong := [type(d).__name__ for d in documents if not isinstance(d, Document)]:
            raise ValueError(f"write_documents expects Document objects, got {wrong[0]}.")
        if policy == DuplicatePolicy.NONE:
            policy = DuplicatePolicy.OVERWRITE
        unique: dict[str, Document] = {}
        for document in documents:
            if document.id in unique and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"Document id {document.id!r} appears twice in the batch.")
            if document.id not in unique or policy == DuplicatePolicy.OVERWRITE:
                unique[document.id] = document
        to_write = list(unique.values())
        if policy in (DuplicatePolicy.FAIL, DuplicatePolicy.SKIP) and to_write:
            existing = self._existing_ids([point_id(d.id) for d in to_write])
            clashes = [d for d in to_write if point_id(d.id) in existing]
            if clashes and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"Document id {clashes[0].id!r} already exists in the store.")
            to_write = [d for d in to_write if point_id(d.id) not in existing]
        points = [self._to_point(d) for d in to_write]
        for start in range(0, len(points), _BATCH):
            self._upsert(points[start : start + _BATCH])
        return len(points)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete chunks by Haystack id; unknown ids are ignored."""
        ids = [point_id(i) for i in document_ids]
        for start in range(0, len(ids), _BATCH):
            self._delete_points(ids[start : start + _BATCH])

    def delete_all_documents(self) -> None:
        """Empty the store, keeping its configuration and payload indexes."""
        self._delete_where(EVERYTHING)

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Serialise the constructor arguments (Haystack pipelines save stores this way)."""

    @classmethod
    @abstractmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild (and open) a store from :meth:`to_dict` output."""

    # ---- product extras ------------------------------------------------------------------------

    def query(self, plan: QueryPlan | None = None, /, **fields: Any) -> list[ScoredChunk]:
        """Nearest chunks for ``plan`` (or a :class:`QueryPlan` built from ``fields``: ``dense=``,
        ``sparse=``, ``filters=``, ``limit=``, ...), best first; ties ordered by point id.

        An empty sparse vector counts as absent; a query with neither vector is a QueryError.
        """
        plan = replace(plan or QueryPlan(), **fields) if fields else plan or QueryPlan()
        if plan.dense is None and plan.e5 is None and plan.sparse is None:
            raise QueryError("A query needs a dense vector, a sparse vector or both.")
        condition = parse_filters(plan.filters)
        if plan.sparse is not None and not plan.sparse.indices:
            if plan.dense is None and plan.e5 is None:
                return []
            plan = replace(plan, sparse=None)
        for name, vector in plan.dense_lists():
            if len(vector) != self.dense_dim:
                raise QueryError(f"A {len(vector)}-d query vector for a {self.dense_dim}-d index: another model?")
            if name not in self.dense_names:
                raise QueryError(f"The index holds no {name!r} vectors: run `kb reindex` with the current model.")
        if plan.limit < 1 or plan.prefetch_limit < 1 or plan.fusion not in ("rrf", "dbsf"):
            raise QueryError(
                f"Invalid limit {plan.limit}, prefetch_limit {plan.prefetch_limit} or fusion {plan.fusion!r}."
            )
        excluded = Not(HasId(tuple(point_id(i) for i in plan.exclude_ids))) if plan.exclude_ids else None
        condition = combine(condition, excluded)
        e5_condition = combine(condition, parse_filters(plan.e5_filters)) if plan.e5_filters else condition
        asked = plan.limit
        hits = self._query(
            replace(
                plan,
                limit=asked + _TIE_MARGIN,
                prefetch_limit=max(plan.prefetch_limit, asked + _TIE_MARGIN),
                rrf_weights=plan.rrf_weights if plan.fused else None,
            ),
            condition,
            e5_condition,
        )
        # Qdrant leaves the order of equal scores open (RRF ranks (1, 5) and (5, 1) tie; so do copied
        # passages): order ties by point id, a few extra hits settling ties at the cut-off alike.
        hits.sort(key=lambda hit: (-float(hit.score or 0.0), hit.id))
        return [
            ScoredChunk(self._to_document(hit, score=float(hit.score or 0.0)), float(hit.score or 0.0))
            for hit in hits[:asked]
        ]

    def count(self, filters: dict[str, Any] | None = None) -> int:
        """Exact number of chunks matching ``filters``."""
        return self._count(parse_filters(filters))

    def facet(self, key: str, filters: dict[str, Any] | None = None, limit: int = 50) -> list[tuple[FacetValue, int]]:
        """Distinct values of an indexed field with the number of matching chunks, most frequent first."""
        if key not in PAYLOAD_INDEXES or limit < 1:
            raise QueryError(f"Cannot facet on {key!r} (limit {limit}): facets exist for {', '.join(PAYLOAD_INDEXES)}.")
        counts = self._facet(key, parse_filters(filters), limit)
        return sorted(counts, key=lambda item: (-item[1], str(item[0])))

    def scroll(
        self, filters: dict[str, Any] | None = None, *, with_vectors: bool = False, limit: int | None = None
    ) -> list[Document]:
        """All chunks matching ``filters`` in point-id order (at most ``limit``), paging internally."""
        condition = parse_filters(filters)
        documents: list[Document] = []
        offset: str | None = None
        while limit is None or len(documents) < limit:
            page = _BATCH if limit is None else min(_BATCH, limit - len(documents))
            hits, offset = self._scroll_page(condition, with_vectors, page, offset)
            documents.extend(self._to_document(hit) for hit in hits)
            if offset is None:
                break
        return documents

    def get(self, ids: list[str], with_vectors: bool = False) -> list[Document]:
        """Chunks by Haystack id, in the order asked; unknown ids are left out."""
        wanted = [point_id(i) for i in ids]
        hits = {hit.id: hit for hit in self._retrieve(wanted, with_vectors)} if wanted else {}
        return [self._to_document(hits[i]) for i in wanted if i in hits]

    def dense_vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """Each chunk's embedding by Haystack id, as :meth:`get` gives it, unknown ids left out: what the
        relevance floor reads per search, without the payloads and BM25 vectors that cost most."""
        by_point = {point_id(i): i for i in ids}
        hits = self._retrieve(list(by_point), list(self.dense_names), with_payload=False) if by_point else []
        vectors = {by_point[hit.id]: _embedding(hit) for hit in hits if hit.id in by_point}
        return {chunk_id: vector for chunk_id, vector in vectors.items() if vector is not None}

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete the chunks matching ``filters`` (which must not be empty); returns how many."""
        condition = _required(filters, "delete_by_filter")
        matched = self._count(condition)
        if matched:
            self._delete_where(condition)
        return matched

    def update_by_filter(self, filters: dict[str, Any], meta: dict[str, Any]) -> int:
        """Merge ``meta`` into the metadata of matching chunks (e.g. ``is_head: False``); returns how many."""
        condition = _required(filters, "update_by_filter")
        matched = self._count(condition)
        if matched and meta:
            self._set_meta_where(condition, dict(meta))
        return matched

    def local_growth_bytes(self) -> int:
        """Disk the store may still claim on this machine without new writes (Edge's sparse files)."""
        return 0

    @abstractmethod
    def optimize(self) -> None:
        """Build indexes (Edge: HNSW and segment merges); slow, run it off the request path."""

    def index_if_needed(self, *, wait: bool = False) -> bool:
        """Start building HNSW in the background if the unindexed vectors pass the threshold; whether
        a build runs (``wait``: blocks until it is in place). A Qdrant server's optimizers do this."""
        return False

    @abstractmethod
    def flush(self) -> None:
        """Persist pending writes."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (Edge: its WAL lock). Idempotent."""

    @abstractmethod
    def info(self) -> dict[str, Any]:
        """Backend name, point count, location and dimension, for ``kb stats`` and ``/readyz``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.close()

    # ---- backend primitives ---------------------------------------------------------------------

    @abstractmethod
    def _upsert(self, points: list[PointData]) -> None: ...

    @abstractmethod
    def _existing_ids(self, point_ids: list[str]) -> set[str]: ...

    @abstractmethod
    def _retrieve(
        self, point_ids: list[str], with_vectors: bool | list[str], *, with_payload: bool = True
    ) -> list[Hit]: ...

    @abstractmethod
    def _scroll_page(
        self, condition: Condition | None, with_vectors: bool, limit: int, offset: str | None
    ) -> tuple[list[Hit], str | None]: ...

    @abstractmethod
    def _count(self, condition: Condition | None) -> int: ...

    @abstractmethod
    def _delete_points(self, point_ids: list[str]) -> None: ...

    @abstractmethod
    def _delete_where(self, condition: Condition) -> None: ...

    @abstractmethod
    def _set_meta_where(self, condition: Condition, meta: dict[str, Any]) -> None: ...

    @abstractmethod
    def _query(self, plan: QueryPlan, condition: Condition | None, e5_condition: Condition | None) -> list[Hit]:
        """Run a checked plan: ``condition`` is its filters parsed (exclusions included), ``e5_condition``
        the same for the ``e5`` list (with ``e5_filters``), its limits already widened for ties; backends
        read the plan, never its Haystack ``filters``."""

    @abstractmethod
    def _facet(self, key: str, condition: Condition | None, limit: int) -> list[tuple[FacetValue, int]]: ...

    # ---- conversions ---------------------------------------------------------------------------

    def _to_point(self, document: Document) -> PointData:
        dense = e5 = None
        if document.embedding is not None:
            if len(document.embedding) != self.embedding_dim:
                raise ConfigError(
                    f"Document {document.id!r} has a {len(document.embedding)}-dimensional embedding but "
                    f"the index holds {self.embedding_dim}: the index was built with another model. "
                    "Run `kb reindex` to rebuild it with the current model."
                )
            dense = [float(x) for x in document.embedding[: self.dense_dim]]
            if E5 in self.dense_names:
                e5 = [float(x) for x in document.embedding[self.dense_dim :]]
        given = document.sparse_embedding
        sparse = (
            SparseVector(list(given.indices), [float(v) for v in given.values]) if given and given.indices else None
        )
        try:  # the same JSON payload for both clients (Edge rejects dates, qdrant-client stringifies them)
            kept = {k: v for k, v in document.meta.items() if not k.startswith(TRANSIENT_META_PREFIX)}
            meta = json.loads(json.dumps(kept, default=_json_default))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Document {document.id!r}: metadata is not JSON: {exc}") from exc
        payload = {"id": document.id, "content": document.content, "meta": meta}
        return PointData(id=point_id(document.id), payload=payload, dense=dense, sparse=sparse, e5=e5)

    @staticmethod
    def _to_document(hit: Hit, score: float | None = None) -> Document:
        payload = hit.payload or {}
        sparse = SparseEmbedding(indices=hit.sparse.indices, values=hit.sparse.values) if hit.sparse else None
        return Document(
            id=str(payload.get("id", hit.id)),
            content=payload.get("content"),
            meta=dict(payload.get("meta") or {}),
            embedding=_embedding(hit),
            sparse_embedding=sparse,
            score=score,
        )


def _embedding(hit: Hit) -> list[float] | None:
    """A chunk's Haystack embedding: MiniLM's vector, then e5's after it when the KB holds both."""
    return hit.dense + hit.e5 if hit.dense is not None and hit.e5 is not None else hit.dense


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} {value!r} cannot be stored")


def _required(filters: dict[str, Any], operation: str) -> Condition:
    """The parsed filter of a bulk write, which must not be empty (that would touch every chunk)."""
    condition = parse_filters(filters)
    if condition is None:
        raise QueryError(f"{operation} needs a filter; delete_all_documents() empties the store.")
    return condition
