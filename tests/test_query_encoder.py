"""The query side of issue 16 item 3: the ONNX export of MiniLM and the bounded query pool.

The export is made from the packaged weights into a temporary cache once for this module (seconds),
then compared with sentence-transformers on the same texts; the pool is checked for what it promises
(queries side by side up to its size, never more), not for speed (bench/http_search.py measures that).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from kb.embedding import make_text_embedder
from kb.onnx_query import OnnxTextEmbedder, exported_model
from kb.settings import Settings
from search.query_cache import QueryVectorCache
from search.query_pool import QueryPool

TEXTS = [
    "grievance redressal by video from the block office",
    "Antyodaya SARAL single window",
    " ".join(["land records mutation pendency"] * 120),  # past 256 word pieces: truncated like torch
    "भूमि अभिलेख",
]


@pytest.fixture(scope="module")
def encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("encoders")


def test_the_fp32_export_gives_the_vectors_torch_gives(encoder_cache: Path) -> None:
    torch_embedder = make_text_embedder(Settings(query_encoder="torch"))
    onnx_embedder = make_text_embedder(Settings(query_encoder="onnx", encoder_cache=encoder_cache))
    assert isinstance(onnx_embedder, OnnxTextEmbedder)
    for text in TEXTS:
        expected = np.asarray(torch_embedder.run(text=text)["embedding"])
        got = np.asarray(onnx_embedder.run(text=text)["embedding"])
        assert got.shape == (384,) and abs(float(np.linalg.norm(got)) - 1) < 1e-5
        assert float(expected @ got) > 0.9999, text


def test_int8_is_close_but_not_equal_and_exports_are_made_once(encoder_cache: Path) -> None:
    model = Settings().resolved_model_path()
    path = exported_model(model, "onnx-int8", encoder_cache)
    fp32 = exported_model(model, "onnx", encoder_cache)
    assert path.stat().st_size < fp32.stat().st_size / 3  # int8 weights: a quarter of the bytes
    made = {p: p.stat().st_mtime_ns for p in encoder_cache.iterdir()}
    assert sorted(p.suffix for p in made) == [".onnx", ".onnx"]  # no partial files left behind
    int8 = OnnxTextEmbedder(model=model, encoder="onnx-int8", cache_dir=str(encoder_cache))
    reference = OnnxTextEmbedder(model=model, encoder="onnx", cache_dir=str(encoder_cache))
    cosine = [
        float(np.asarray(int8.run(text=t)["embedding"]) @ np.asarray(reference.run(text=t)["embedding"]))
        for t in TEXTS[:2]
    ]
    assert all(0.85 < c < 0.9999 for c in cosine), cosine  # quantisation moves vectors: hence its benchmark
    assert {p: p.stat().st_mtime_ns for p in encoder_cache.iterdir()} == made  # reused, not exported again


def test_onnx_is_the_default_and_an_unknown_encoder_is_refused_by_the_settings() -> None:
    assert isinstance(make_text_embedder(Settings()), OnnxTextEmbedder)  # nothing loaded until warm_up
    with pytest.raises(ValueError, match="query_encoder"):
        Settings(query_encoder="tensorrt")  # type: ignore[arg-type]


def test_the_pool_runs_queries_side_by_side_up_to_its_size() -> None:
    pool = QueryPool(2)
    both_in = threading.Barrier(2, timeout=30)  # only passes if two embeddings run at the same time

    def embed(text: str) -> str:
        both_in.wait()
        return threading.current_thread().name

    callers = [threading.Thread(target=lambda: names.append(pool.run(embed, "q"))) for _ in range(2)]
    names: list[str] = []
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(set(names)) == 2 and all(n.startswith("kb-query") for n in names)
    pool.close()


def test_the_pool_never_runs_more_than_its_size_at_once() -> None:
    pool = QueryPool(1)
    running, most = 0, 0
    lock = threading.Lock()

    def embed(text: str) -> list[float]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return [float(len(text))]

    cache = QueryVectorCache("minilm", pool=pool)  # the searcher's path: a cache miss is embedded on the pool
    callers = [threading.Thread(target=cache.dense, args=(f"query {i}", embed)) for i in range(6)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert most == 1 and cache.misses == 6
    assert pool.run_all([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]  # several models, results in order
    pool.close()
