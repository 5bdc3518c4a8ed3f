"""HNSW builds itself: past the threshold, in a child process, while searches and writes go on.

Real Qdrant Edge shards in temp folders with random 384-d vectors (HNSW's hard case, so the search
breadth ``hnsw_ef`` visibly matters) and a low ``indexing_threshold_kb`` so a few thousand points
pass it. The server backend is qdrant-client's ``:memory:`` local mode: it keeps the HNSW and
vector settings of a collection but neither builds HNSW nor quantises (exact search in Python), so
what it can verify is the collection configuration.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from haystack import Document
from qdrant_client import QdrantClient

from kb.store import EdgeStore
from kb.store.indexing import IndexParams, build_path, old_path, recover_swap
from kb.store.server import ServerStore
from kb.store.server_index import server_collection_config, server_search_params

DIM = 384
POINTS = 1500
THRESHOLD_KB = 100  # about 67 vectors of 384 floats


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _documents(vectors: np.ndarray, prefix: str = "d") -> list[Document]:
    return [
        Document(id=f"{prefix}{i}", content=f"chunk {i}", meta={"document_id": f"doc-{i // 10}"}, embedding=v.tolist())
        for i, v in enumerate(vectors)
    ]


def _ids(store: EdgeStore, vector: np.ndarray, limit: int = 10) -> set[str]:
    return {c.document.id for c in store.query(dense=vector.tolist(), limit=limit)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A shard of POINTS random vectors with its HNSW index built (each test copies it), in RAM when
    the machine has /dev/shm (every Edge update is fsynced: see conftest.edge_dir)."""
    shm = Path("/dev/shm")
    parent = (
        Path(tempfile.mkdtemp(prefix="kb-hnsw-test-", dir=shm))
        if shm.is_dir() and os.access(shm, os.W_OK)
        else tmp_path_factory.mktemp("hnsw")
    )
    with EdgeStore(parent / "index", index=IndexParams(indexing_threshold_kb=THRESHOLD_KB)) as store:
        store.write_documents(_documents(_vectors(POINTS)))
        store.optimize()
    yield parent / "index"
    shutil.rmtree(parent, ignore_errors=True)


def test_background_build_starts_past_the_threshold_and_searches_go_on(edge_dir: Path) -> None:
    vectors = _vectors(2000, seed=1)
    store = EdgeStore(edge_dir / "index", index=IndexParams(indexing_threshold_kb=THRESHOLD_KB))
    try:
        store.write_documents(_documents(vectors))
        build = store._build
        assert build is not None and build.is_alive(), "writing past the threshold starts a build"
        assert store.info()["index_building"] is True
        answered_during_build = 0
        late_written = False
        while build.is_alive():
            child = build._child
            running_before = child is not None and child.poll() is None
            hits = _ids(store, vectors[7])
            if running_before and child is not None and child.poll() is None:
                answered_during_build += 1  # a search began and ended while the child was building
                if not late_written:  # a write during the build lands in the journal, then the new shard
                    store.write_documents(_documents(vectors[:1] * -1, prefix="late"))
                    late_written = True
            assert "d7" in hits
        assert build.error is None and build.swapped
        assert answered_during_build > 0, "no search was answered while the index was being built"
        info = store.info()
        assert info["index_building"] is False
        assert info["points"] == 2001 and store.count_documents() == 2001
        assert store.get(["late0"]), "the write made during the build survived the swap"
        assert info["unindexed_vectors"] < 100 and info["dense_vectors_total"] == 2001
        assert _ids(store, vectors[7], 1) == {"d7"}
    finally:
        store.close()
    assert sorted(p.name for p in edge_dir.iterdir()) == ["index"], "no copy or replaced shard left behind"


def test_below_the_threshold_nothing_is_built(edge_dir: Path) -> None:
    with EdgeStore(edge_dir / "index", index=IndexParams(indexing_threshold_kb=10_000)) as store:
        store.write_documents(_documents(_vectors(300)))
        assert store._build is None and store.index_if_needed() is False
        assert store.info()["unindexed_vectors"] == 300


def test_index_if_needed_waits_and_reopening_keeps_the_index(built: Path, edge_dir: Path) -> None:
    path = edge_dir / "index"
    shutil.copytree(built, path)
    params = IndexParams(indexing_threshold_kb=THRESHOLD_KB)
    with EdgeStore(path, index=params) as store:
        assert store.info()["unindexed_vectors"] < 100  # built by the fixture's optimize()
        store.write_documents(_documents(_vectors(600, seed=5), prefix="more"))  # 20 %: a rebuild is due
        store.index_if_needed(wait=True)
        assert store.info()["unindexed_vectors"] < 100
    with EdgeStore(path, index=params) as reopened:
        assert reopened.info()["points"] == POINTS + 600 and reopened.info()["unindexed_vectors"] < 100


def test_hnsw_search_finds_the_exact_neighbours(built: Path, edge_dir: Path) -> None:
    # HNSW over 3,000 points finds the exact top 10 even at ef=1 (Qdrant searches at least `limit`
    # candidates): breadth is measured at scale by bench.scale; here, that the index is searched
    path = edge_dir / "index"
    shutil.copytree(built, path)
    queries = _vectors(40, seed=9)
    truth = _exact_top10(queries)
    for ef in (1, 200):
        with EdgeStore(path, index=IndexParams(indexing_threshold_kb=0, hnsw_ef=ef)) as store:
            assert store.info()["unindexed_vectors"] < 100 and store.info()["hnsw_ef"] == ef
            recall = np.mean([len(_ids(store, q) & t) / 10 for q, t in zip(queries, truth, strict=True)])
            assert recall >= 0.98, (ef, recall)


def _exact_top10(queries: np.ndarray) -> list[set[str]]:
    vectors = _vectors(POINTS)
    scores = queries @ vectors.T
    return [{f"d{i}" for i in np.argsort(-row)[:10]} for row in scores]


def test_int8_quantisation_is_built_and_rescored(built: Path, edge_dir: Path) -> None:
    path = edge_dir / "index"
    shutil.copytree(built, path)
    queries = _vectors(20, seed=4)
    truth = _exact_top10(queries)
    with EdgeStore(path, index=IndexParams(indexing_threshold_kb=THRESHOLD_KB, quantization=True)) as store:
        store.optimize()  # a new quantisation setting applies at the next build
        info = store.info()
        assert info["quantization"] == "int8" and info["unindexed_vectors"] < 100
        recall = np.mean([len(_ids(store, q) & t) / 10 for q, t in zip(queries, truth, strict=True)])
        top = store.query(dense=queries[0].tolist(), limit=1)[0]
    config = (path / "edge_config.json").read_text()
    assert '"scalar"' in config.lower() or "int8" in config.lower(), config
    assert recall >= 0.95
    assert top.score == pytest.approx(float(queries[0] @ _vectors(POINTS)[int(top.document.id[1:])]), abs=1e-4)


def test_an_int8_shard_opened_with_quantization_none_still_rescores(
    built: Path, edge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A shard keeps the quantization it was built with (Qdrant Edge has no way to remove one), so
    KB_QUANTIZATION=none on an int8 KB must not drop the rescoring: its HNSW would return int8 scores
    and miss neighbours (bench.scale at 100k chunks: recall@10 0.97 at any ef, 0.998 rescored)."""
    path = edge_dir / "index"
    shutil.copytree(built, path)  # built with the default, int8
    queries = _vectors(5, seed=6)
    originals = _vectors(POINTS)
    with caplog.at_level("WARNING", logger="kb.store.edge"):
        store = EdgeStore(path, index=IndexParams(indexing_threshold_kb=THRESHOLD_KB, quantization=False))
    with store:
        assert store.info()["quantization"] == "int8"  # what the shard holds, not what was asked
        for query in queries:
            for hit in store.query(dense=query.tolist(), limit=5):
                exact = float(query @ originals[int(hit.document.id[1:])])
                assert hit.score == pytest.approx(exact, abs=1e-4)  # rescored with the float32 originals
    assert "KB_QUANTIZATION=none cannot take effect" in caplog.text and "kb reindex" in caplog.text

    fresh = edge_dir / "plain"  # a new shard honours the setting
    with EdgeStore(fresh, index=IndexParams(indexing_threshold_kb=THRESHOLD_KB, quantization=False)) as plain:
        plain.write_documents(_documents(_vectors(10)))
        assert plain.info()["quantization"] == "none"


def test_a_crash_between_the_renames_leaves_the_complete_shard(edge_dir: Path) -> None:
    path = edge_dir / "index"
    with EdgeStore(path) as store:
        store.write_documents(_documents(_vectors(5)))
    os.rename(path, old_path(path))  # the live shard moved aside, the built copy not yet in place
    build_path(path).mkdir()
    recover_swap(path)
    assert path.exists() and not old_path(path).exists() and not build_path(path).exists()
    with EdgeStore(path) as store:
        assert store.count_documents() == 5


def test_server_collection_gets_hnsw_and_quantisation_config() -> None:
    client = QdrantClient(":memory:")
    params = IndexParams(quantization=True, hnsw_ef=77, indexing_threshold_kb=1234)
    store = ServerStore(client=client, index=params)
    config = client.get_collection(store.physical_collection() or "").config
    assert (config.hnsw_config.m, config.hnsw_config.ef_construct) == (params.m, params.ef_construct)
    vectors = config.params.vectors
    assert isinstance(vectors, dict) and all(v.on_disk for v in vectors.values())  # originals on disk
    assert store.info()["quantization"] == "int8" and store.info()["hnsw_ef"] == 77
    # local mode drops what it cannot do (quantisation, the optimizer threshold): check what a server gets
    sent = server_collection_config(params)
    assert sent["quantization_config"].scalar.type.value == "int8"
    assert sent["optimizers_config"].indexing_threshold == 1234
    remote = server_search_params(params, QdrantClient(url="http://127.0.0.1:9", check_compatibility=False))
    assert remote is not None and remote.hnsw_ef == 77
    assert remote.quantization is not None and remote.quantization.rescore is True
    assert server_search_params(params, client) is None  # local mode would warn at every query
    store.close()
