"""Fusion sweep on our own evaluation set (``tests/eval/queries.jsonl``) against an indexed KB.

    .venv/bin/python -m bench.fusion_local --kb-dir /tmp/kb-content

Fetches the dense and the BM25 hit lists once per query (filters applied, as in search), then
scores every fusion setting of ``bench/fusion.py`` offline, next to the SciFact sweep, so the default
can be chosen on both benchmarks at once.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from bench import fusion
from bench.scifact import _rank_documents
from kb.settings import Settings
from kb.store import open_store
from search.evaluation import load_queries, ndcg_at
from search.retrieval import Searcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kb-dir", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=Path("tests/eval/queries.jsonl"))
    args = parser.parse_args()
    settings = Settings(kb_dir=args.kb_dir)
    queries = load_queries(args.queries)
    with open_store(settings) as store:
        searcher = Searcher(settings, store)
        searcher.warm_up()
        dense, sparse, owner = [], [], {}
        for query in queries:
            lists = []
            for mode in ("dense", "sparse"):
                hits = searcher.candidates(query.text, query.filters, mode=mode)
                owner.update({h.document.id: str(h.document.meta["document_id"]) for h in hits})
                lists.append([(h.document.id, h.score) for h in hits])
            dense.append(lists[0])
            sparse.append(lists[1])
    configs: dict[str, fusion.Fuser] = {"dbsf": fusion.dbsf()}
    for k in (2, 5, 10, 20, 60):
        for w in (0.5, 0.7, 0.85, 1.0, 1.25):
            configs[f"rrf k={k} w_dense={w}"] = fusion.rrf(k, w, 1.0)
    for a in (0.3, 0.4, 0.5, 0.6):
        configs[f"convex-minmax alpha={a}"] = fusion.convex_minmax(a)
        for c in (5, 10, 20):
            configs[f"saturated alpha={a} c={c}"] = fusion.saturated(a, c)
    rows: list[dict[str, Any]] = []
    for name, fuse in configs.items():
        runs = [_rank_documents(list(fuse(d, s).items()), owner) for d, s in zip(dense, sparse, strict=True)]
        score = statistics.fmean(ndcg_at(r, q.relevant, 10) for r, q in zip(runs, queries, strict=True))
        rows.append({"fusion": name, "ndcg@10": round(score, 4)})
    rows.sort(key=lambda r: -float(r["ndcg@10"]))
    for row in rows:
        print(f"{row['fusion']:<34} {row['ndcg@10']:.4f}")
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "fusion_local.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
