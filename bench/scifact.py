"""SciFact benchmark: dense, sparse (BM25 + IDF) and hybrid nDCG@10 side by side, plus a fusion sweep.

    .venv/bin/python -m bench.scifact [--variant doc] [--variant chunks] [--avg-len 256] [--sweep] [--thesaurus]

Indexes the cached embeddings (``bench/scifact_data.py``) into a fresh Qdrant Edge shard, queries it
the way the product does (filters off, prefetch 100 per vector, fusion inside Qdrant), groups chunk
hits by document and scores against the BEIR test qrels. Published figures for comparison are in
``../shared/bench/README.md``. Too slow for CI: minutes to embed the first time, seconds after.
``--thesaurus`` expands the BM25 queries with the domain thesaurus as search does (KB_THESAURUS_*) and
reports how many queries it touched and how many added terms occur in the corpus at all.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document
from haystack.dataclasses import SparseEmbedding

from bench import fusion
from bench.scifact_data import CACHE, Passages, e5_lead_vectors, load_corpus, load_queries, passages, query_vectors
from kb.e5 import dominant_script
from kb.settings import Settings
from kb.store import Bm25Encoder, open_store
from search.components import E5_BESIDE_MINILM
from search.evaluation import EvalQuery, ndcg_at, recall_at
from search.thesaurus import expand_query, make_expander

LIMIT = 100
Hits = list[tuple[str, float]]


def _rank_documents(hits: Hits, owner: dict[str, str]) -> list[str]:
    """Chunk hits -> documents in order of their best chunk."""
    seen: dict[str, None] = {}
    for pid, _ in sorted(hits, key=lambda h: -h[1]):
        seen.setdefault(owner[pid], None)
    return list(seen)


def _score(runs: list[list[str]], queries: list[EvalQuery]) -> dict[str, float]:
    return {
        "ndcg@10": round(statistics.fmean(ndcg_at(r, q.relevant, 10) for r, q in zip(runs, queries, strict=True)), 4),
        "recall@100": round(
            statistics.fmean(recall_at(r, q.relevant, 100) for r, q in zip(runs, queries, strict=True)), 4
        ),
    }


def _e5_vectors(variant: str, settings: Settings, units: Passages) -> np.ndarray:
    """e5's vector per unit: each unit's own (KB_E5_SCOPE=chunk) or its abstract's lead (document)."""
    if settings.e5_scope == "chunk":
        return passages(variant, settings.model_copy(update={"dense_model": "multilingual-e5-small"})).dense
    leads = e5_lead_vectors(settings)
    row = {d["_id"]: i for i, d in enumerate(load_corpus())}
    return leads[[row[doc_id] for doc_id in units.doc_ids]]


def run_variant(variant: str, avg_len: float, sweep: bool, thesaurus: bool = False) -> dict[str, Any]:
    settings = Settings()
    # KB_DENSE_MODEL=minilm+e5: MiniLM's cached vectors, e5's beside them, three-way modes
    dual = settings.e5_vector
    minilm = settings.model_copy(update={"dense_model": "minilm"}) if dual else settings
    units: Passages = passages(variant, minilm)
    queries = load_queries()
    qvecs = query_vectors(queries, minilm)
    e5_settings = settings.model_copy(update={"dense_model": "multilingual-e5-small"})
    e5_dense = _e5_vectors(variant, settings, units) if dual else None
    e5_queries = query_vectors(queries, e5_settings) if dual else None
    bm25 = Bm25Encoder(avg_len=avg_len)
    started = time.perf_counter()
    sparse_docs = bm25.embed_documents([f"{t}\n{x}" for t, x in zip(units.titles, units.texts, strict=True)])
    sparse_seconds = time.perf_counter() - started
    expander = make_expander(settings.thesaurus_file, bm25, weight=settings.thesaurus_weight) if thesaurus else None
    vocabulary = {i for sv in sparse_docs for i in sv.indices}
    expanded, added_found = 0, 0
    ids = [str(uuid.uuid4()) for _ in units.doc_ids]
    owner = dict(zip(ids, units.doc_ids, strict=True))
    with tempfile.TemporaryDirectory() as tmp, open_store(Settings(kb_dir=Path(tmp)), dense_dim=384) as store:
        documents = [
            Document(
                id=pid,
                content=text,
                meta={"document_id": doc_id, "script": dominant_script(text)},
                embedding=vec.tolist() if e5_dense is None else [*vec.tolist(), *e5_dense[i].tolist()],
                sparse_embedding=SparseEmbedding(indices=sv.indices, values=sv.values),
            )
            for i, (pid, doc_id, text, vec, sv) in enumerate(
                zip(ids, units.doc_ids, units.texts, units.dense, sparse_docs, strict=True)
            )
        ]
        started = time.perf_counter()
        store.write_documents(documents)
        write_seconds = time.perf_counter() - started
        lists: dict[str, list[Hits]] = {
            "dense": [],
            "sparse": [],
            "hybrid_rrf": [],
            "hybrid_dbsf": [],
            "hybrid_rrf5_w07": [],
            **({k: [] for k in ("e5", "minilm+e5", "hybrid3_rrf", "hybrid3_dbsf", "hybrid3_default")} if dual else {}),
        }
        timings: dict[str, list[float]] = {k: [] for k in lists}
        for qi, (query, qvec) in enumerate(zip(queries, qvecs, strict=True)):
            own = bm25.embed_query(query.text)
            sq = expand_query(expander, query.text, own).sparse or own
            if len(sq.indices) > len(own.indices):
                expanded += 1
                added_found += len((set(sq.indices) - set(own.indices)) & vocabulary)
            calls = {
                "dense": {"dense": qvec.tolist()},
                "sparse": {"sparse": sq},
                "hybrid_rrf": {"dense": qvec.tolist(), "sparse": sq, "fusion": "rrf"},
                "hybrid_dbsf": {"dense": qvec.tolist(), "sparse": sq, "fusion": "dbsf"},
                "hybrid_rrf5_w07": {"dense": qvec.tolist(), "sparse": sq, "rrf_k": 5, "rrf_weights": (0.7, 1.0)},
            }
            if e5_queries is not None:
                e5q = e5_queries[qi].tolist()
                calls["e5"] = {"e5": e5q}
                calls["minilm+e5"] = {"dense": qvec.tolist(), "e5": e5q, "fusion": "dbsf"}
                calls["hybrid3_rrf"] = {"dense": qvec.tolist(), "e5": e5q, "sparse": sq, "fusion": "rrf"}
                calls["hybrid3_dbsf"] = {"dense": qvec.tolist(), "e5": e5q, "sparse": sq, "fusion": "dbsf"}
                # the product's default (search.components): beside MiniLM, e5 reads only Indian scripts
                calls["hybrid3_default"] = {**calls["hybrid3_dbsf"], "e5_filters": E5_BESIDE_MINILM}
            for name, kwargs in calls.items():
                t0 = time.perf_counter()
                hits = store.query(limit=LIMIT, prefetch_limit=LIMIT, **kwargs)
                timings[name].append(time.perf_counter() - t0)
                lists[name].append([(h.document.id, h.score) for h in hits])
    results: dict[str, Any] = {
        "variant": variant,
        "units": len(ids),
        "embed_seconds": units.seconds,
        "bm25_seconds": round(sparse_seconds, 2),
        "write_seconds": round(write_seconds, 2),
        "thesaurus": {"expanded_queries": expanded, "added_terms_in_corpus": added_found} if thesaurus else None,
        "modes": {},
    }
    for name, per_query in lists.items():
        runs = [_rank_documents(h, owner) for h in per_query]
        p50 = statistics.median(timings[name]) * 1000
        results["modes"][name] = {**_score(runs, queries), "p50_ms": round(p50, 2)}
    if sweep:
        results["sweep"] = _sweep(lists["dense"], lists["sparse"], owner, queries)
    return results


def _sweep(
    dense: list[Hits], sparse: list[Hits], owner: dict[str, str], queries: list[EvalQuery]
) -> list[dict[str, Any]]:
    configs: dict[str, fusion.Fuser] = {}
    for k in (2, 5, 10, 20, 40, 60, 100):
        for w in (0.5, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0):
            configs[f"rrf k={k} w_dense={w}"] = fusion.rrf(k, w, 1.0)
    for w in (0.6, 0.8, 1.0, 1.25, 1.5):
        configs[f"dbsf w_dense={w}"] = fusion.dbsf(w, 1.0)
    for a in (0.3, 0.4, 0.5, 0.6, 0.7):
        configs[f"convex-minmax alpha={a}"] = fusion.convex_minmax(a)
        for c in (2, 5, 10, 20):
            configs[f"saturated alpha={a} c={c}"] = fusion.saturated(a, c)
    rows = []
    for name, fuse in configs.items():
        runs = [_rank_documents(list(fuse(d, s).items()), owner) for d, s in zip(dense, sparse, strict=True)]
        rows.append({"fusion": name, **_score(runs, queries)})
    return sorted(rows, key=lambda r: -r["ndcg@10"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", action="append", choices=["doc", "chunks"])
    parser.add_argument("--avg-len", type=float, default=256.0, help="BM25 length normalisation constant")
    parser.add_argument("--sweep", action="store_true", help="also sweep fusion settings offline")
    parser.add_argument("--thesaurus", action="store_true", help="expand BM25 queries with the domain thesaurus")
    args = parser.parse_args()
    report = [run_variant(v, args.avg_len, args.sweep, args.thesaurus) for v in args.variant or ["doc"]]
    print(f"{'variant':<8} {'mode':<12} {'nDCG@10':>8} {'R@100':>7} {'p50 ms':>7}")
    for result in report:
        for mode, row in result["modes"].items():
            scores = f"{row['ndcg@10']:>8.4f} {row['recall@100']:>7.4f} {row['p50_ms']:>7.2f}"
            print(f"{result['variant']:<8} {mode:<12} {scores}")
        if result["thesaurus"]:
            print(f"{result['variant']:<8} thesaurus: {result['thesaurus']}")
        for row in result.get("sweep", [])[:12]:
            print(f"{result['variant']:<8}   {row['fusion']:<34} {row['ndcg@10']:.4f}")
    out = CACHE.parent / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scifact.json").write_text(json.dumps(report, indent=2))
    print("published: BM25 0.665-0.679, MiniLM dense 0.645, txtai convex hybrid 0.713", flush=True)


if __name__ == "__main__":
    main()
