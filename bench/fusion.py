"""Fusion of a dense and a sparse hit list, computed offline to tune what Qdrant then runs.

Each function takes the two ranked lists of ``(point_id, score)`` for one query and returns fused
``point_id -> score``. They mirror Qdrant's fusions (RRF with optional weights, DBSF) and the
normalised weighted formulas we can express as a Qdrant ``Formula``, so a sweep over thousands of
parameter settings runs in seconds on cached hit lists instead of re-querying the index.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

Hits = list[tuple[str, float]]
Fuser = Callable[[Hits, Hits], dict[str, float]]


def rrf(k: float = 60, w_dense: float = 1.0, w_sparse: float = 1.0) -> Fuser:
    def fuse(dense: Hits, sparse: Hits) -> dict[str, float]:
        scores: dict[str, float] = {}
        for weight, hits in ((w_dense, dense), (w_sparse, sparse)):
            for rank, (pid, _) in enumerate(hits):
                scores[pid] = scores.get(pid, 0.0) + weight / (k + rank + 1)
        return scores

    return fuse


def _dbsf_norm(hits: Hits) -> dict[str, float]:
    if not hits:
        return {}
    values = [s for _, s in hits]
    mean = statistics.fmean(values)
    std = statistics.pstdev(values) or 1.0
    low, high = mean - 3 * std, mean + 3 * std
    return {pid: min(1.0, max(0.0, (s - low) / (high - low))) for pid, s in hits}


def dbsf(w_dense: float = 1.0, w_sparse: float = 1.0) -> Fuser:
    def fuse(dense: Hits, sparse: Hits) -> dict[str, float]:
        scores: dict[str, float] = {}
        for weight, normed in ((w_dense, _dbsf_norm(dense)), (w_sparse, _dbsf_norm(sparse))):
            for pid, s in normed.items():
                scores[pid] = scores.get(pid, 0.0) + weight * s
        return scores

    return fuse


def _minmax(hits: Hits) -> dict[str, float]:
    if not hits:
        return {}
    top, bottom = hits[0][1], hits[-1][1]
    span = (top - bottom) or 1.0
    return {pid: (s - bottom) / span for pid, s in hits}


def convex_minmax(alpha: float) -> Fuser:
    """``alpha * minmax(dense) + (1 - alpha) * minmax(sparse)`` (txtai-style convex hybrid)."""

    def fuse(dense: Hits, sparse: Hits) -> dict[str, float]:
        d, s = _minmax(dense), _minmax(sparse)
        return {pid: alpha * d.get(pid, 0.0) + (1 - alpha) * s.get(pid, 0.0) for pid in d.keys() | s.keys()}

    return fuse


def saturated(alpha: float, c: float) -> Fuser:
    """``alpha * cosine + (1 - alpha) * bm25 / (bm25 + c)``: normalised without per-query statistics,
    so Qdrant can compute it as a Formula over the prefetch scores."""

    def fuse(dense: Hits, sparse: Hits) -> dict[str, float]:
        d, s = dict(dense), dict(sparse)
        return {
            pid: alpha * d.get(pid, 0.0) + (1 - alpha) * (s.get(pid, 0.0) / (s.get(pid, 0.0) + c))
            for pid in d.keys() | s.keys()
        }

    return fuse
