"""HNSW, quantisation and optimizer settings of a Qdrant server collection, from :class:`IndexParams`.

The same parameters as the embedded shard (:mod:`kb.store.indexing`), given at collection level so
they apply to every dense vector the collection declares. A server builds HNSW in its own optimizer
threads once a segment passes ``indexing_threshold``; nothing runs in our process.
"""

from __future__ import annotations

from typing import Any

from qdrant_client import models as qm

from kb.store.indexing import FULL_SCAN_THRESHOLD_KB, QUANTILE, IndexParams


def server_collection_config(params: IndexParams) -> dict[str, Any]:
    """``create_collection`` keywords: HNSW, optimizer threshold and (optionally) int8 quantisation."""
    quantization = (
        qm.ScalarQuantization(
            scalar=qm.ScalarQuantizationConfig(type=qm.ScalarType.INT8, quantile=QUANTILE, always_ram=True)
        )
        if params.quantization
        else None
    )
    return {
        "hnsw_config": qm.HnswConfigDiff(
            m=params.m, ef_construct=params.ef_construct, full_scan_threshold=FULL_SCAN_THRESHOLD_KB
        ),
        "optimizers_config": qm.OptimizersConfigDiff(indexing_threshold=params.indexing_threshold_kb),
        "quantization_config": quantization,
    }


def server_vector_on_disk(params: IndexParams) -> bool | None:
    """Quantised, the float32 originals live on disk (read only to rescore); else the server's default."""
    return True if params.quantization else None


def server_search_params(params: IndexParams, client: Any) -> qm.SearchParams | None:
    """Search breadth for HNSW segments, and rescoring with the originals when quantised.

    None for qdrant-client's local mode (the ``:memory:`` stand-in): it searches exactly and warns
    at every query that search parameters have no effect.
    """
    if type(getattr(client, "_client", None)).__name__ == "QdrantLocal":
        return None
    quantization = qm.QuantizationSearchParams(rescore=True) if params.quantization else None
    return qm.SearchParams(hnsw_ef=params.hnsw_ef, quantization=quantization)
