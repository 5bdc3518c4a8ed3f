"""Where a shard's indexes live: payload and BM25 indexes memory-mapped and Cold, on new and old KBs.

Qdrant Edge's defaults load every payload index into RAM and pin the BM25 index there; at a million
chunks that is hundreds of MB a search never reads (bench.scale: anonymous memory over an empty
store 28 -> 13 MB at 20k chunks). The placement is part of the shard's config, so what is checked is
what the shard reports and persists, that a built segment holds its indexes as mapped files, and that
a KB made with the old defaults opens under the new config and answers the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import qdrant_edge as qe

from kb.store import PAYLOAD_INDEXES, EdgeStore
from kb.store.indexing import IndexParams

from .helpers import DIM, corpus

STATE = {"field": "meta.states", "operator": "in", "value": ["Kerala"]}


def _segment_configs(path: Path) -> list[dict[str, object]]:
    return [json.loads(f.read_text())["config"] for f in sorted((path / "segments").glob("*/segment.json"))]


def _answers(store: EdgeStore) -> list[list[str]]:
    """Dense, BM25 and filtered rankings of a few queries (ids in order)."""
    docs = corpus(40, 5)
    out = []
    for doc in docs[::37]:
        assert doc.embedding is not None and doc.sparse_embedding is not None
        for filters in (None, STATE):
            hits = store.query(
                dense=doc.embedding, sparse=doc.sparse_embedding, fusion="dbsf", limit=8, filters=filters
            )
            out.append([h.document.id for h in hits])
        out.append([h.document.id for h in store.query(sparse=doc.sparse_embedding, limit=8)])
    return out


def test_a_new_shard_maps_its_payload_and_bm25_indexes_cold(edge_dir: Path) -> None:
    path = edge_dir / "index"
    with EdgeStore(path, dense_dim=DIM, index=IndexParams(indexing_threshold_kb=1)) as store:
        store.write_documents(corpus(40, 5))
        store.optimize()  # an immutable segment: the one whose indexes can be mapped
        schema = store.shard.info().payload_schema
        assert set(schema) == set(PAYLOAD_INDEXES)
        assert {key: getattr(info.params, "memory", None) for key, info in schema.items()} == dict.fromkeys(
            PAYLOAD_INDEXES, qe.Memory.Cold
        )
    persisted = json.loads((path / "edge_config.json").read_text())
    assert persisted["sparse_vectors"]["bm25"]["memory"] == "cold", persisted
    built = [c for c in _segment_configs(path) if c["vector_data"]["dense"]["index"]["type"] == "hnsw"]  # type: ignore[index]
    assert built, "optimize() built no HNSW segment"
    assert built[0]["sparse_vector_data"]["bm25"]["index"]["index_type"] == "Mmap"  # type: ignore[index]
    immutable = [
        types[0]
        for config_file in (path / "segments").glob("*/payload_index/config.json")
        if (types := json.loads(config_file.read_text())["indexed_types"]["meta.states"])[0]["mutability"]
        == "immutable"
    ]
    assert immutable and immutable[0]["storage_type"] == {"mmap": {"is_on_disk": True}}, immutable


def test_a_kb_made_with_the_old_in_ram_indexes_opens_and_answers_alike(edge_dir: Path) -> None:
    """A round-1 KB: payload indexes created as bare schema types, the BM25 index without a placement."""
    old = edge_dir / "old"
    config = qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=DIM, distance=qe.Distance.Cosine)},
        sparse_vectors={"bm25": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    )
    shard = qe.EdgeShard.create(str(old), config)
    kinds = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer}
    for key, kind in PAYLOAD_INDEXES.items():
        shard.update(qe.UpdateOperation.create_field_index(key, kinds.get(kind, qe.PayloadSchemaType.Bool)))
    shard.close()

    with EdgeStore(old, dense_dim=DIM, index=IndexParams(indexing_threshold_kb=1)) as store:
        store.write_documents(corpus(40, 5))
        before_build = _answers(store)
        store.optimize()
        after_build = _answers(store)
        assert store.info()["points"] == 200
    with EdgeStore(edge_dir / "new", dense_dim=DIM, index=IndexParams(indexing_threshold_kb=1)) as fresh:
        fresh.write_documents(corpus(40, 5))
        fresh.optimize()
        assert _answers(fresh) == after_build == before_build
    assert json.loads((old / "edge_config.json").read_text())["sparse_vectors"]["bm25"]["memory"] == "cold"
