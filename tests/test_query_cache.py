"""The query vector cache: one embedding per (model, text), least recently used dropped first,
with the real Searcher's dense and BM25 encoders."""

from __future__ import annotations

from pathlib import Path

from kb.models import SparseVector
from kb.settings import Settings
from kb.store import Bm25Encoder
from search.query_cache import QueryVectorCache


def test_a_text_is_embedded_once_and_handed_out_as_a_copy() -> None:
    calls: list[str] = []

    def embed(text: str) -> list[float]:
        calls.append(text)
        return [float(len(text)), 1.0]

    cache = QueryVectorCache("minilm")
    first = cache.dense("digital land records", embed)
    first.append(99.0)  # a caller mutating its list cannot change what the next caller gets
    assert cache.dense("digital land records", embed) == [20.0, 1.0]
    assert calls == ["digital land records"] and (cache.hits, cache.misses) == (1, 1)


def test_the_least_recently_used_text_is_dropped_and_models_do_not_share_entries() -> None:
    calls: list[str] = []

    def embed(text: str) -> list[float]:
        calls.append(text)
        return [1.0]

    cache = QueryVectorCache("minilm", size=2)
    for text in ("a", "b", "a", "c", "a", "b"):  # "b" is the oldest when "c" arrives
        cache.dense(text, embed)
    assert calls == ["a", "b", "c", "b"]
    other = QueryVectorCache("multilingual-e5-small")
    other.dense("a", embed)
    assert calls[-1] == "a"


def test_sparse_vectors_and_stop_word_queries_are_cached_as_bm25_gives_them() -> None:
    bm25 = Bm25Encoder()
    calls: list[str] = []

    def embed(text: str) -> SparseVector | None:
        calls.append(text)
        vector = bm25.embed_query(text)
        return vector if vector.indices else None

    cache = QueryVectorCache("minilm")
    expected = bm25.embed_query("grievance redressal portal")
    assert cache.sparse("grievance redressal portal", embed) == expected
    assert cache.sparse("grievance redressal portal", embed) == expected
    assert cache.sparse("the of and", embed) is None and cache.sparse("the of and", embed) is None
    assert calls == ["grievance redressal portal", "the of and"]


def test_the_searcher_reuses_the_query_vector(tmp_path: Path) -> None:
    from kb.embedding import DENSE_DIM
    from kb.store import open_store
    from search.retrieval import Searcher

    settings = Settings(kb_dir=tmp_path / "kb")
    with open_store(settings, dense_dim=DENSE_DIM) as store:
        searcher = Searcher(settings, store)
        searcher.warm_up()
        first = searcher.embed_query("e-office file tracking")
        assert len(first) == DENSE_DIM and searcher.query_cache.misses == 1
        assert searcher.embed_query("e-office file tracking") == first and searcher.query_cache.hits == 1
