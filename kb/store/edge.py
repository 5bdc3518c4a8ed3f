"""The embedded backend: a Qdrant Edge shard under ``KB_DIR/index``.

Qdrant Edge is the real Qdrant engine in-process (segments, WAL, payload indexes, HNSW, IDF sparse
vectors, RRF/DBSF fusion, facets), so the embedded store and a Qdrant server answer alike. Two
Edge facts shape this module:

- Every error is a plain ``Exception`` with a message ("Service runtime error: ..."), so errors are
  recognised by text and translated into :class:`~kb.errors.StoreError` here.
- The shard holds an exclusive lock on its WAL: a second opener (another process, or the same one)
  fails with ``Can't init WAL: Kind(WouldBlock)``. That becomes :class:`~kb.errors.StoreLockedError`
  with a message that says what to do instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

import qdrant_edge as qe
from haystack.core.serialization import default_from_dict, default_to_dict
from haystack.errors import FilterError

from kb.diskspace import ensure_free_space, sparse_growth
from kb.errors import ConfigError, KBError, StoreError, StoreLockedError
from kb.store.base import (
    DENSE,
    E5,
    PAYLOAD_INDEXES,
    SPARSE,
    ChunkStore,
    FacetValue,
    Hit,
    PointData,
    QueryPlan,
    dimension_mismatch,
    make_hit,
)
from kb.store.filters import Condition
from kb.store.filters_edge import to_edge_filter
from kb.store.indexing import (
    EdgeIndexing,
    IndexParams,
    edge_config_extras,
    edge_search_params,
    edge_vector_memory,
    recover_swap,
)

log = logging.getLogger(__name__)

LOCKED_MESSAGE = (
    "The knowledge base at {kb_dir} is in use by another process (is `kb serve` running?). "
    "Stop that process, or send the files through the running server: "
    "kb ingest --server URL --key KEY PATH"
)

# A built segment's payload indexes memory-mapped and Cold: a search reads only the pages of the
# values it filters on, where the default loads each whole index into RAM. With the Cold BM25 index
# (EdgeStore._config) a served int8 KB of 20k chunks holds 13 MB of heap over an empty store, not 28
# (bench.scale); at a million chunks that is most of the margin under the 2 GB target. The
# appendable segment keeps its indexes in RAM whatever this says (Qdrant's mutable indexes).
_SCHEMA: dict[str, qe.KeywordIndexParams | qe.IntegerIndexParams | qe.BoolIndexParams] = {
    "keyword": qe.KeywordIndexParams(memory=qe.Memory.Cold),
    "integer": qe.IntegerIndexParams(lookup=True, range=True, memory=qe.Memory.Cold),
    "bool": qe.BoolIndexParams(memory=qe.Memory.Cold),
}


class EdgeStore(EdgeIndexing, ChunkStore):
    """Chunks in an embedded Qdrant Edge shard; opening it takes the shard's WAL lock until :meth:`close`.

    Creates the shard (with its payload indexes and the dense vectors ``dense_names``) when ``path``
    holds none, else loads it and checks that its dense dimension is ``dense_dim``. An existing shard
    keeps the dense vectors it was built with (``dense_names`` then says what it holds): the catalog
    refuses a model change until ``kb reindex`` builds the new layout, and reindex must open the old
    one to read it. ``kb_dir`` only names the knowledge base in the
    "in use by another process" message (default: the parent of ``path``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        dense_dim: int = 384,
        return_embedding: bool = False,
        kb_dir: str | Path | None = None,
        dense_names: tuple[str, ...] = (DENSE,),
        index: IndexParams | None = None,
    ) -> None:
        self.path = Path(path)
        self._init_indexing(index or IndexParams())  # HNSW, quantisation, background builds (indexing.py)
        self.dense_dim = dense_dim
        self.dense_names = tuple(dense_names)
        self.return_embedding = return_embedding
        self.kb_dir = Path(kb_dir) if kb_dir is not None else self.path.parent
        self._shard: qe.EdgeShard | None = None
        self._shard = self._open()

    # ---- lifecycle ------------------------------------------------------------------------------

    def _config(self) -> qe.EdgeConfig:
        return qe.EdgeConfig(
            vectors={
                name: qe.EdgeVectorParams(
                    size=self.dense_dim, distance=qe.Distance.Cosine, **edge_vector_memory(self.index)
                )
                for name in self.dense_names
            },
            # the BM25 index memory-mapped, not Pinned in RAM (the default): a query reads the posting
            # lists of its own terms only
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, memory=qe.Memory.Cold)},
            **edge_config_extras(self.index),
        )

    def _open(self) -> qe.EdgeShard:
        recover_swap(self.path)  # a crash during a background HNSW swap leaves a complete shard behind
        config_file = self.path / "edge_config.json"
        if config_file.exists():
            stored = _stored_config(config_file)
            found = _stored_dense_dim(stored)
            if found is not None and found != self.dense_dim:
                raise dimension_mismatch(str(self.path), found, self.dense_dim)
            self.dense_names = _stored_dense_names(stored) or self.dense_names
            if _stored_quantized(stored) and not self.index.quantization:
                # A shard keeps a quantization it was given (a config without one leaves it as it is,
                # and Qdrant Edge has no "disabled" value), so its HNSW searches int8 vectors whatever
                # KB_QUANTIZATION says: rescore them, or recall falls (0.97 vs 0.998 at 100k chunks)
                log.warning(
                    "%s holds int8 vectors, so KB_QUANTIZATION=none cannot take effect; searches rescore them "
                    "with the originals. `kb reindex` rebuilds the index without them",
                    self.path,
                )
                self.index = replace(self.index, quantization=True)
        with self._translate():
            if config_file.exists():
                shard = qe.EdgeShard.load(str(self.path), self._config())
            else:
                shard = qe.EdgeShard.create(str(self.path), self._config())
        try:
            self._ensure_indexes(shard)
            # Never run with less free space than the mapped files' holes: writing into one on a full
            # disk kills the process with SIGBUS (kb.diskspace). Writes check the reserve on top.
            ensure_free_space(self.path, needed=sparse_growth(self.path), reserve=0)
        except BaseException:
            shard.close()  # do not keep the WAL lock of a store that failed to open
            raise
        return shard

    def local_growth_bytes(self) -> int:
        """Room the shard's sparse, memory-mapped files may still claim (kept free before writes)."""
        return sparse_growth(self.path)

    def _ensure_indexes(self, shard: qe.EdgeShard) -> None:
        """Create missing payload indexes (all at creation; new ones after an upgrade)."""
        with self._translate():
            existing = set(shard.info().payload_schema)
            for key, kind in PAYLOAD_INDEXES.items():
                if key not in existing:
                    shard.update(qe.UpdateOperation.create_field_index(key, _SCHEMA[kind]))  # before any build

    @property
    def shard(self) -> qe.EdgeShard:
        """The open shard, or a StoreError once closed."""
        if self._shard is None:
            raise StoreError(f"The index at {self.path} is closed.")
        return self._shard

    def optimize(self) -> None:
        """Merge segments and build HNSW indexes now, in this thread (``kb optimize``, ``kb reindex``).

        Minutes at 100k points, and Edge holds the GIL throughout: a serving process builds in the
        background instead (:meth:`index_if_needed`). Writes wait; a background build is cancelled.
        """
        self._stop_build()
        with self._write_mutex, self._translate():
            self.shard.optimize()

    def flush(self) -> None:
        """Write pending changes to the segments (the WAL already makes writes durable)."""
        with self._translate():
            self.shard.flush()

    def close(self) -> None:
        """Flush and release the WAL lock so another process can open the knowledge base."""
        if self._shard is None:
            return
        self._stop_build()
        shard, self._shard = self._shard, None
        with self._translate():
            shard.flush()
            shard.close()

    def info(self) -> dict[str, Any]:
        """Backend, location and sizes, for ``kb stats``."""
        with self._translate():
            shard_info = self.shard.info()
        return {
            "backend": "edge",
            "path": str(self.path),
            "points": shard_info.points_count,
            "indexed_vectors": shard_info.indexed_vectors_count,
            "segments": shard_info.segments_count,
            "dense_dim": self.dense_dim,
            "dense_vectors": list(self.dense_names),
            **self.indexing_status(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Constructor arguments, for Haystack pipeline serialisation."""
        return default_to_dict(
            self,
            path=str(self.path),
            dense_dim=self.dense_dim,
            return_embedding=self.return_embedding,
            kb_dir=str(self.kb_dir),
            dense_names=list(self.dense_names),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Open the store described by :meth:`to_dict` output."""
        return default_from_dict(cls, data)

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn Edge's plain ``Exception`` into our errors; our own errors and bugs pass through.

        Holds a read lock too, so a background build's swap never closes the shard under a search."""
        try:
            with self._rw.read():
                yield
        except (KBError, FilterError, TypeError, AttributeError, KeyError):
            raise
        except Exception as exc:
            message = str(exc)
            if "WouldBlock" in message:
                raise StoreLockedError(LOCKED_MESSAGE.format(kb_dir=self.kb_dir)) from exc
            if "incompatible with existing segments" in message:
                raise ConfigError(
                    f"The index at {self.path} was built with another embedding model or configuration "
                    f"({message}). Run `kb reindex` to rebuild it."
                ) from exc
            raise StoreError(f"The embedded index at {self.path} failed: {message}") from exc

    # ---- primitives ------------------------------------------------------------------------------

    def _upsert(self, points: list[PointData]) -> None:
        edge_points = [qe.Point(p.id, _edge_vectors(p), p.payload) for p in points]
        self._apply(qe.UpdateOperation.upsert_points(edge_points), points=len(edge_points))

    def _existing_ids(self, point_ids: list[str]) -> set[str]:
        with self._translate():
            records = self.shard.retrieve(list(point_ids), False, False)
        return {str(r.id) for r in records}

    def _retrieve(
        self, point_ids: list[str], with_vectors: bool | list[str], *, with_payload: bool = True
    ) -> list[Hit]:
        with self._translate():
            records = self.shard.retrieve(list(point_ids), with_payload, with_vectors)
        return [make_hit(r.id, r.payload, r.vector) for r in records]

    def _scroll_page(
        self, condition: Condition | None, with_vectors: bool, limit: int, offset: str | None
    ) -> tuple[list[Hit], str | None]:
        request = qe.ScrollRequest(
            offset=offset,
            limit=limit,
            filter=to_edge_filter(condition),
            with_payload=True,
            with_vector=with_vectors,
        )
        with self._translate():
            records, next_offset = self.shard.scroll(request)
        hits = [make_hit(r.id, r.payload, r.vector) for r in records]
        return hits, None if next_offset is None else str(next_offset)

    def _count(self, condition: Condition | None) -> int:
        with self._translate():
            return self.shard.count(qe.CountRequest(exact=True, filter=to_edge_filter(condition)))

    def _delete_points(self, point_ids: list[str]) -> None:
        self._apply(qe.UpdateOperation.delete_points(list(point_ids)))

    def _delete_where(self, condition: Condition) -> None:
        edge_filter = to_edge_filter(condition) or qe.Filter()
        self._apply(qe.UpdateOperation.delete_points_by_filter(edge_filter))

    def _set_meta_where(self, condition: Condition, meta: dict[str, Any]) -> None:
        edge_filter = to_edge_filter(condition) or qe.Filter()
        self._apply(qe.UpdateOperation.set_payload_by_filter(edge_filter, meta, key="meta"))

    def _query(self, plan: QueryPlan, condition: Condition | None, e5_condition: Condition | None) -> list[Hit]:
        edge_filter = to_edge_filter(condition)
        e5_filter = edge_filter if e5_condition is condition else to_edge_filter(e5_condition)
        queries = [qe.Query.Nearest([float(x) for x in v], using=name) for name, v in plan.dense_lists()]
        filters = [e5_filter if name == E5 else edge_filter for name, _ in plan.dense_lists()]
        thresholds = [plan.e5_min_score if name == E5 else None for name, _ in plan.dense_lists()]
        if plan.sparse is not None:
            queries.append(qe.Query.Nearest(qe.SparseVector(plan.sparse.indices, plan.sparse.values), using=SPARSE))
            filters.append(edge_filter)
            thresholds.append(None)
        params = edge_search_params(self.index)  # hnsw_ef, rescoring; sparse searches ignore them
        if len(queries) == 1:
            request = qe.QueryRequest(
                limit=plan.limit,
                query=queries[0],
                filter=filters[0],
                score_threshold=thresholds[0],
                with_payload=True,
                with_vector=plan.with_vectors,
                params=params,
            )
        else:
            # The stub declares Rrf/Dbsf as classes nested in Fusion, not as Fusion values.
            fused: Any = (
                qe.Fusion.Rrf(k=plan.rrf_k, weights=plan.list_weights()) if plan.fusion == "rrf" else qe.Fusion.Dbsf()
            )
            request = qe.QueryRequest(
                limit=plan.limit,
                prefetches=[
                    qe.Prefetch(limit=plan.prefetch_limit, query=q, filter=f, params=params, score_threshold=t)
                    for q, f, t in zip(queries, filters, thresholds, strict=True)
                ],
                query=fused,
                filter=edge_filter,
                with_payload=True,
                with_vector=plan.with_vectors,
            )
        with self._translate():
            points = self.shard.query(request)
        return [make_hit(p.id, p.payload, p.vector, p.score) for p in points]

    def _facet(self, key: str, condition: Condition | None, limit: int) -> list[tuple[FacetValue, int]]:
        request = qe.FacetRequest(key, limit=limit, exact=True, filter=to_edge_filter(condition))
        with self._translate():
            response = self.shard.facet(request)
        return [(hit.value, hit.count) for hit in response.hits]


def _edge_vectors(point: PointData) -> dict[str, Any]:
    vectors: dict[str, Any] = {}
    if point.dense is not None:
        vectors[DENSE] = point.dense
    if point.e5 is not None:
        vectors[E5] = point.e5
    if point.sparse is not None:
        vectors[SPARSE] = qe.SparseVector(point.sparse.indices, point.sparse.values)
    return vectors


def _stored_config(config_file: Path) -> dict[str, Any]:
    """The shard's persisted ``edge_config.json`` ({} if unreadable: ``load`` then reports the damage)."""
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _stored_vectors(config: dict[str, Any]) -> dict[str, Any]:
    vectors = config.get("vectors")
    return vectors if isinstance(vectors, dict) else {}


def _stored_dense_dim(config: dict[str, Any]) -> int | None:
    """The dense size recorded in the shard's config (best effort: ``load`` checks too)."""
    dense = _stored_vectors(config).get(DENSE)
    size = dense.get("size") if isinstance(dense, dict) else None
    return size if isinstance(size, int) else None


def _stored_quantized(config: dict[str, Any]) -> bool:
    """Whether the shard's config holds a quantization, collection-wide or on a vector."""
    per_vector = [v.get("quantization_config") for v in _stored_vectors(config).values() if isinstance(v, dict)]
    return bool(config.get("quantization_config")) or any(per_vector)


def _stored_dense_names(config: dict[str, Any]) -> tuple[str, ...] | None:
    """The dense vector names of an existing shard, ``dense`` first (None if it records none)."""
    names = set(_stored_vectors(config))
    return tuple(n for n in (DENSE, E5) if n in names) or None
