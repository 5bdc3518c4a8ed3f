"""Calibrate the relevance floor (search.relevance): evidence of relevant vs non-relevant top hits.

    .venv/bin/python -m bench.floor --kb-dir KB tests/eval/queries.jsonl tests/eval/no-match.jsonl

For every query: the top 10 documents of the default hybrid search with their fused score, dense
cosine and term coverage, labelled relevant or not; queries without relevant documents (gibberish,
off-topic) should get no strong result. Prints the distributions and a grid of floors with the
no-match queries answered and the recall@10 lost, so the defaults in kb/settings.py can be checked.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from kb.settings import Settings
from kb.store import open_store
from search.evaluation import load_queries
from search.retrieval import Searcher


def collect(searcher: Searcher, paths: list[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        for query in load_queries(path):
            hits, run = searcher.run_query(query.text, query.filters)
            groups = searcher.rank(hits)[:10]
            for rank, (group, found) in enumerate(zip(groups, searcher.judge(groups, run), strict=True), 1):
                rows.append(
                    {
                        "qid": query.qid,
                        "kind": query.kind,
                        "rank": rank,
                        "relevant": query.relevant.get(group.document_id, 0) > 0,
                        "none_relevant": not query.relevant,
                        "wanted": sum(1 for g in query.relevant.values() if g > 0),
                        "fused": group.score,
                        "cosine": found.cosine,
                        "coverage": found.coverage,
                        "e5_cosine": found.e5_cosine,
                    }
                )
    return rows


def outcome(rows: list[dict[str, Any]], floor: float, e5_floor: float, terms: float) -> tuple[int, float]:
    """No-match queries answered and the share of relevant top-10 hits made weak, under the
    product's rule (search.relevance): ``cosine + coverage >= floor`` or ``coverage >= terms``."""

    def strong(r: dict[str, Any]) -> bool:
        if r["cosine"] is not None and r["cosine"] + r["coverage"] >= floor:
            return True
        return (r["e5_cosine"] is not None and r["e5_cosine"] + r["coverage"] >= e5_floor) or r["coverage"] >= terms

    answered = len({r["qid"] for r in rows if r["none_relevant"] and strong(r)})
    relevant = [r for r in rows if r["relevant"]]
    return answered, round(sum(1 for r in relevant if not strong(r)) / max(1, len(relevant)), 4)


def grid(rows: list[dict[str, Any]], terms: float) -> list[tuple[float, float, int, float]]:
    """(MiniLM floor, e5 floor, answered, lost) over a grid of both floors."""
    return [
        (floor / 100, e5_floor / 100, *outcome(rows, floor / 100, e5_floor / 100, terms))
        for floor in range(50, 112, 2)
        for e5_floor in range(70, 132, 2)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb-dir", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    settings = Settings(kb_dir=args.kb_dir)
    with open_store(settings) as store:
        searcher = Searcher(settings, store)
        searcher.warm_up()
        rows = collect(searcher, args.paths)
    if args.json:
        args.json.write_text(json.dumps(rows))
    for label, pick in (
        ("relevant (top 10)", lambda r: r["relevant"]),
        ("non-relevant top 1 of answerable", lambda r: not r["relevant"] and not r["none_relevant"] and r["rank"] == 1),
        ("top 1 of no-match queries", lambda r: r["none_relevant"] and r["rank"] == 1),
    ):
        chosen = [r for r in rows if pick(r)]
        for key, name in (("fused", "fused"), ("cosine", "MiniLM cos"), ("e5_cosine", "e5 cos"), ("coverage", "words")):
            values = sorted(r[key] for r in chosen if r[key] is not None)
            if values:
                q = statistics.quantiles(values, n=20) if len(values) > 1 else values * 19
                print(f"{label:<34} {name:<10} n={len(values):<4} min={values[0]:.3f} p5={q[0]:.3f} "
                      f"p50={statistics.median(values):.3f} p95={q[-1]:.3f} max={values[-1]:.3f}")  # fmt: skip
    table = grid(rows, settings.match_terms)
    current = outcome(rows, settings.match_floor, settings.match_floor_e5, settings.match_terms)
    print(f"the defaults (KB_MATCH_FLOOR {settings.match_floor}, KB_MATCH_FLOOR_E5 {settings.match_floor_e5}, "
          f"KB_MATCH_TERMS {settings.match_terms}): {current[0]} no-match queries answered, {current[1]:.2%} of "
          "the relevant top-10 hits weak")  # fmt: skip
    best = [g for g in table if g[2] == 0]
    best.sort(key=lambda g: (g[3], g[0], g[1]))
    print("floors with no no-match query answered, least relevant hits made weak first (floor, e5 floor, lost):")
    for row in best[:10]:
        print(row[0], row[1], row[3])


if __name__ == "__main__":
    main()
