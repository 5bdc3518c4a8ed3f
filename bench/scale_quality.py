"""SciFact quality of the approximate indexes: nDCG@10 and recall@10 against exact search, per hnsw_ef.

    .venv/bin/python -m bench.scale_quality [--ef 16 32 64 128]

The SciFact corpus (5,183 abstracts, cached MiniLM vectors from ``bench/scifact_data.py``) and real
BM25 vectors go into three shards, queried the way ``bench.scifact`` queries (prefetch 100 per list,
fusion inside Qdrant): ``exact`` (no HNSW, today's default below the threshold), ``hnsw`` and ``int8``
(HNSW over int8 scalar-quantised vectors, rescored with the float32 originals), both forced to build
with a low threshold and ``optimize()``. Quality figures are deterministic, so this runs fine on a busy
machine; the decision bars are nDCG@10 of hybrid DBSF within 0.002 of exact, and recall@10 of the
dense list against exact search >= 0.99.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Any

from haystack import Document
from haystack.dataclasses import SparseEmbedding

from bench.scifact import LIMIT, _rank_documents, _score
from bench.scifact_data import load_queries, passages, query_vectors
from kb.settings import Settings
from kb.store import Bm25Encoder, open_store

VARIANTS: dict[str, dict[str, Any]] = {
    "exact": {"indexing_threshold_kb": 0, "quantization": "none"},
    "hnsw": {"quantization": "none"},
    "int8": {"quantization": "int8"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ef", type=int, nargs="+", default=[16, 32, 64, 128])
    args = parser.parse_args()
    settings = Settings(dense_model="minilm")
    units = passages("doc", settings)
    queries = load_queries()
    qvecs = query_vectors(queries, settings)
    bm25 = Bm25Encoder()
    sparse_docs = bm25.embed_documents([f"{t}\n{x}" for t, x in zip(units.titles, units.texts, strict=True)])
    sparse_queries = [bm25.embed_query(q.text) for q in queries]
    ids = [str(uuid.uuid4()) for _ in units.doc_ids]
    owner = dict(zip(ids, units.doc_ids, strict=True))
    documents = [
        Document(
            id=pid,
            content=text,
            meta={"document_id": doc_id},
            embedding=vec.tolist(),
            sparse_embedding=SparseEmbedding(indices=sv.indices, values=sv.values),
        )
        for pid, doc_id, text, vec, sv in zip(ids, units.doc_ids, units.texts, units.dense, sparse_docs, strict=True)
    ]
    rows: list[dict[str, Any]] = []
    exact_dense: list[set[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant, extra in VARIANTS.items():
            for ef in args.ef if variant != "exact" else [args.ef[0]]:
                config = {"kb_dir": Path(tmp) / variant, "dense_model": "minilm", "indexing_threshold_kb": 1000}
                kb_settings = Settings.model_validate({**config, **extra, "hnsw_ef": ef})
                with open_store(kb_settings, dense_dim=384) as store:
                    if store.count_documents() == 0:
                        store.write_documents(documents)
                        store.optimize()
                    info = store.info()
                    dense_runs, hybrid_runs, dense_sets = [], [], []
                    for qvec, sq in zip(qvecs, sparse_queries, strict=True):
                        dense = store.query(dense=qvec.tolist(), limit=LIMIT, prefetch_limit=LIMIT)
                        hybrid = store.query(
                            dense=qvec.tolist(), sparse=sq, fusion="dbsf", limit=LIMIT, prefetch_limit=LIMIT
                        )
                        top10 = store.query(dense=qvec.tolist(), limit=10)  # ef matters only above `limit`
                        dense_sets.append({c.document.id for c in top10})
                        dense_runs.append(_rank_documents([(c.document.id, c.score) for c in dense], owner))
                        hybrid_runs.append(_rank_documents([(c.document.id, c.score) for c in hybrid], owner))
                if variant == "exact":
                    exact_dense = dense_sets
                recall = statistics.fmean(len(a & b) / 10 for a, b in zip(dense_sets, exact_dense, strict=True))
                rows.append(
                    {
                        "variant": variant,
                        "ef": ef if variant != "exact" else "-",
                        "unindexed": info["unindexed_vectors"],
                        "dense_ndcg": _score(dense_runs, queries)["ndcg@10"],
                        "hybrid_ndcg": _score(hybrid_runs, queries)["ndcg@10"],
                        "recall10": recall,
                    }
                )
    print(f"SciFact, {len(ids)} abstracts, {len(queries)} queries; recall@10: dense top 10 (limit 10) vs exact")
    print("| index | hnsw_ef | unindexed vectors | dense nDCG@10 | hybrid DBSF nDCG@10 | dense recall@10 vs exact |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['variant']} | {r['ef']} | {r['unindexed']} | {r['dense_ndcg']:.4f} | {r['hybrid_ndcg']:.4f} "
            f"| {r['recall10']:.4f} |"
        )


if __name__ == "__main__":
    main()
