"""Embeddings of the SciFact benchmark, computed once with the product's own embedders and cached.

Embedding 5,183 abstracts takes minutes on two cores, so vectors are cached under ``.bench/cache``
(git-ignored) keyed by variant; every fusion or index experiment then reruns in seconds.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.models import ConvertedDocument, Section
from kb.settings import Settings
from search.evaluation import EvalQuery, iter_beir_corpus, load_beir_queries

CACHE = Path(os.environ.get("KB_BENCH_CACHE", ".bench/cache"))
SCIFACT = Path(os.environ.get("KB_SCIFACT_DIR", "../shared/bench/scifact"))


@dataclass
class Passages:
    """Embeddable units of the corpus: one per document (``doc``) or per chunk (``chunks``)."""

    doc_ids: list[str]  # the BEIR document each unit belongs to
    titles: list[str]
    texts: list[str]
    dense: np.ndarray  # [units, 384], unit length
    seconds: float  # time it took to embed them (0 when read from the cache)


def _model_key(settings: Settings) -> str:
    """Cache files of the default model keep their names; other models get a prefix."""
    return "" if settings.dense_model == "minilm" else f"{settings.dense_model}-"


def load_corpus() -> list[dict[str, str]]:
    return list(iter_beir_corpus(SCIFACT))


def load_queries() -> list[EvalQuery]:
    return load_beir_queries(SCIFACT)


def _units(corpus: list[dict[str, str]], variant: str, settings: Settings) -> tuple[list[str], list[str], list[str]]:
    if variant == "doc":
        return [d["_id"] for d in corpus], [d["title"] for d in corpus], [d["text"] for d in corpus]
    from ingest.chunking import Chunker

    chunker = Chunker(settings.resolved_model_path(), target_tokens=settings.chunk_tokens)
    chunker.warm_up()
    ids, titles, texts = [], [], []
    for doc in corpus:
        converted = ConvertedDocument(sections=(Section(doc["text"]),), media_type="text/plain", title=doc["title"])
        for chunk in chunker.chunk(converted, title=doc["title"]):
            ids.append(doc["_id"])
            titles.append(chunk.context)
            texts.append(chunk.text)
    return ids, titles, texts


def passages(variant: str, settings: Settings) -> Passages:
    """Dense vectors of the corpus for ``variant`` (``doc`` or ``chunks``), from cache when present."""
    corpus = load_corpus()
    ids, titles, texts = _units(corpus, variant, settings)
    path = CACHE / f"scifact-{variant}-{_model_key(settings)}dense.npy"
    if path.exists():
        dense = np.load(path)
        if dense.shape[0] == len(ids):
            return Passages(ids, titles, texts, dense, 0.0)
    from haystack import Document

    from kb.embedding import make_document_embedder

    embedder = make_document_embedder(settings)
    embedder.warm_up()
    documents = [Document(content=t, meta={"context": title or None}) for title, t in zip(titles, texts, strict=True)]
    started = time.perf_counter()
    embedded = embedder.run(documents=documents)["documents"]
    seconds = time.perf_counter() - started
    dense = np.asarray([d.embedding for d in embedded], dtype=np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, dense)
    timing = {"seconds": seconds, "units": len(ids)}
    (CACHE / f"scifact-{variant}-{_model_key(settings)}timing.json").write_text(json.dumps(timing))
    return Passages(ids, titles, texts, dense, seconds)


def e5_lead_vectors(settings: Settings) -> np.ndarray:
    """e5 vectors of every abstract's lead, title first, cut to KB_E5_LEAD_TOKENS tokens: what
    ``KB_DENSE_MODEL=minilm+e5`` with ``KB_E5_SCOPE=document`` gives each document (kb/e5.py)."""
    corpus = load_corpus()
    path = CACHE / f"scifact-doc-e5-lead{settings.e5_lead_tokens}-dense.npy"
    if path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(corpus):
            return cached
    from kb.e5 import document_lead, embed_leads

    started = time.perf_counter()
    leads = [document_lead(d["title"], [d["text"]]) for d in corpus]
    vectors = np.asarray(embed_leads(leads, settings.e5_lead_tokens), dtype=np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    timing = {"seconds": time.perf_counter() - started, "units": len(corpus)}
    (CACHE / f"scifact-doc-e5-lead{settings.e5_lead_tokens}-timing.json").write_text(json.dumps(timing))
    return vectors


def query_vectors(queries: list[EvalQuery], settings: Settings) -> np.ndarray:
    encoder = "" if settings.query_encoder == "torch" else f"{settings.query_encoder}-"  # KB_QUERY_ENCODER
    path = CACHE / f"scifact-queries-{_model_key(settings)}{encoder}dense.npy"
    if path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(queries):
            return cached
    from kb.embedding import make_text_embedder

    embedder = make_text_embedder(settings)
    embedder.warm_up()
    vectors = np.asarray([embedder.run(text=q.text)["embedding"] for q in queries], dtype=np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


if __name__ == "__main__":
    import sys

    from kb.embedding import configure_offline_runtime

    settings = Settings()
    configure_offline_runtime(settings)
    for variant in sys.argv[1:] or ["doc"]:
        started = time.perf_counter()
        result = passages(variant, settings)
        print(variant, result.dense.shape, f"{time.perf_counter() - started:.0f}s", flush=True)
    print("queries", query_vectors(load_queries(), settings).shape, flush=True)
