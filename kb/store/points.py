"""The values a chunk store query and write pass around: points, hits, query plans, vector names.

Apart from :mod:`kb.store.base` (the interface with its Haystack logic) so both stay small; base
re-exports them, so ``from kb.store.base import QueryPlan`` keeps working.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from haystack.dataclasses import Document

from kb.errors import ConfigError
from kb.models import SparseVector

DENSE = "dense"
E5 = "e5"  # multilingual-e5-small beside MiniLM (KB_DENSE_MODEL=minilm+e5)
SPARSE = "bm25"

Fusion = Literal["rrf", "dbsf"]
FacetValue = str | int | bool

_ID_NAMESPACE = uuid.UUID("3b0f4f7e-4a55-4b8e-9a6e-6f1c2d9e8b21")  # never change: ids are persisted
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def point_id(document_id: str) -> str:
    """The Qdrant point id of a Haystack document id: itself if a UUID, else its uuid5."""
    if _UUID_RE.match(document_id):
        return str(uuid.UUID(document_id))
    return str(uuid.uuid5(_ID_NAMESPACE, document_id))


@dataclass(frozen=True)
class ScoredChunk:
    """A query hit: the chunk as a Haystack ``Document`` (``score`` set too) and its score."""

    document: Document
    score: float


@dataclass(frozen=True)
class QueryPlan:
    """One store query: what to match, under which filters, how many, and how to fuse.

    Why an object: the same question passes from the retriever through :meth:`ChunkStore.query` to
    each backend's ``_query``; one value keeps the three signatures from drifting apart, and the
    checks (:meth:`ChunkStore.query`) are written once. Fusion applies when two or three of ``dense``,
    ``e5`` and ``sparse`` are given: RRF (``weight/(rrf_k + rank)``, rank from 0, ``rrf_weights`` =
    (each dense list, sparse)) or DBSF, over one prefetch of ``prefetch_limit`` filtered candidates
    per list.
    ``filters`` are Haystack filters (``meta.`` fields); ``exclude_ids`` are Haystack ids.
    """

    dense: list[float] | None = None
    sparse: SparseVector | None = None
    filters: dict[str, Any] | None = None
    limit: int = 10
    prefetch_limit: int = 100
    fusion: Fusion = "rrf"
    rrf_k: int = 60
    rrf_weights: tuple[float, float] | None = None
    exclude_ids: Sequence[str] = ()
    with_vectors: bool = False
    e5: list[float] | None = None
    e5_filters: dict[str, Any] | None = None  # ANDed into the e5 list only (what MiniLM cannot read)
    e5_min_score: float | None = None  # the e5 list keeps only hits at least this close

    @property
    def fused(self) -> bool:
        """Two or more lists are asked for, so Qdrant fuses their prefetches."""
        return sum(v is not None for v in (self.dense, self.e5, self.sparse)) > 1

    def dense_lists(self) -> list[tuple[str, list[float]]]:
        """The dense queries as (vector name, vector), ``dense`` before ``e5``."""
        return [(name, v) for name, v in ((DENSE, self.dense), (E5, self.e5)) if v is not None]

    def list_weights(self) -> list[float] | None:
        """RRF weights in prefetch order (dense lists, then sparse): ``rrf_weights[0]`` for each dense list."""
        if self.rrf_weights is None:
            return None
        weights = [self.rrf_weights[0]] * len(self.dense_lists())
        return [*weights, self.rrf_weights[1]] if self.sparse is not None else weights


@dataclass
class PointData:
    """A point as both backends write it, built by :meth:`ChunkStore._to_point`."""

    id: str
    payload: dict[str, Any]
    dense: list[float] | None = None
    sparse: SparseVector | None = None
    e5: list[float] | None = None


@dataclass
class Hit:
    """A point as both backends read it back."""

    id: str
    payload: dict[str, Any]
    score: float | None = None
    dense: list[float] | None = None
    sparse: SparseVector | None = None
    e5: list[float] | None = None


def make_hit(point_id: Any, payload: Any, vector: Any, score: float | None = None) -> Hit:
    """A :class:`Hit` from either client's record (both give a dict of named vectors, or nothing)."""
    vectors = vector if isinstance(vector, dict) else {}
    dense, e5, sparse = _floats(vectors.get(DENSE)), _floats(vectors.get(E5)), vectors.get(SPARSE)
    sparse = SparseVector(list(sparse.indices), [float(v) for v in sparse.values]) if sparse else None
    return Hit(str(point_id), dict(payload or {}), score, dense, sparse, e5)


def _floats(vector: Any) -> list[float] | None:
    """``vector`` as a list of Python floats. Both clients already give one (kept as it is: copying
    the hundred candidates' vectors of a search cost a millisecond); anything else is converted."""
    if vector is None:
        return None
    if type(vector) is list and (not vector or type(vector[0]) is float):
        return vector
    return list(map(float, vector))


def dimension_mismatch(where: str, found: int, wanted: int) -> ConfigError:
    """The error for an index built with another embedding model, on either backend."""
    return ConfigError(
        f"The index at {where} was built with another embedding model ({found}-dimensional vectors; "
        f"the current model gives {wanted}). Run `kb reindex` to rebuild it with the current model."
    )
