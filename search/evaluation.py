"""Retrieval evaluation: Recall@5/10, MRR@10 and nDCG@10, overall and per query kind.

Two query formats: ours (``tests/eval/queries.jsonl``: ``{"q", "relevant", "filters"?, "kind"}``) and
BEIR (a folder with ``queries.jsonl(.gz)`` and ``qrels-test.tsv`` / ``qrels/test.tsv``). Metrics
follow the usual IR definitions (binary relevance for recall/MRR, graded gains for nDCG with
log2 discounts, as pytrec_eval and BEIR compute them) so figures compare with published ones.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb.errors import InputError
from search.schemas import SearchFilters
from search.validation import describe

METRICS = ("recall@5", "recall@10", "mrr@10", "ndcg@10", "answered")


@dataclass(frozen=True)
class EvalQuery:
    """One query with its graded relevant document ids."""

    qid: str
    text: str
    relevant: dict[str, int]
    kind: str = "all"
    filters: SearchFilters = field(default_factory=SearchFilters)


def recall_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    hits = {d for d, g in relevant.items() if g > 0}
    return len(hits & set(ranked[:k])) / len(hits) if hits else 0.0


def mrr_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    for rank, doc in enumerate(ranked[:k], 1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / idcg if idcg else 0.0


def score_query(ranked: list[str], relevant: dict[str, int]) -> dict[str, float]:
    """The metrics of one query; ``answered`` is 1 when anything was returned (what a query without
    relevant documents, gibberish or off-topic, should not get once the relevance floor applies)."""
    return {
        "answered": 1.0 if ranked else 0.0,
        "recall@5": recall_at(ranked, relevant, 5),
        "recall@10": recall_at(ranked, relevant, 10),
        "mrr@10": mrr_at(ranked, relevant, 10),
        "ndcg@10": ndcg_at(ranked, relevant, 10),
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, Any]:
    summary: dict[str, Any] = {m: round(sum(r[m] for r in rows) / len(rows), 4) if rows else 0.0 for m in METRICS}
    summary["queries"] = len(rows)
    return summary


def evaluate(queries: list[EvalQuery], rank: Callable[[EvalQuery], list[str]]) -> dict[str, Any]:
    """``{"overall": {metric..., "queries"}, "by_kind": {kind: {...}}}`` for a ranking function."""
    per_kind: dict[str, list[dict[str, float]]] = {}
    everything: list[dict[str, float]] = []
    for query in queries:
        row = score_query(rank(query), query.relevant)
        everything.append(row)
        per_kind.setdefault(query.kind, []).append(row)
    return {"overall": _mean(everything), "by_kind": {k: _mean(v) for k, v in sorted(per_kind.items())}}


def load_queries(path: Path) -> list[EvalQuery]:
    """Our JSONL format; a bad line is an InputError naming the line and the problem."""
    queries: list[EvalQuery] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            filters = dict(row.get("filters") or {})
            if "state" in filters:
                filters["states"] = filters.pop("state")
            relevant = row["relevant"]
            if isinstance(relevant, list):
                relevant = {doc: 1 for doc in relevant}
            queries.append(
                EvalQuery(
                    qid=str(row.get("id", number)),
                    text=row["q"],
                    relevant={str(k): int(v) for k, v in relevant.items()},
                    kind=str(row.get("kind", "all")),
                    filters=SearchFilters.model_validate(filters),
                )
            )
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from None
        except KeyError as exc:
            raise InputError(f"{path}:{number}: missing key {exc}") from None
        except ValidationError as exc:
            raise InputError(f"{path}:{number}: invalid filter {describe(exc)}") from None
    if not queries:
        raise InputError(f"{path}: no queries")
    return queries


def _open_text(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from handle


def _first(folder: Path, *names: str) -> Path:
    for name in names:
        if (folder / name).exists():
            return folder / name
    raise InputError(f"{folder}: no {' or '.join(names)} (is this a BEIR folder?)")


def load_beir_queries(folder: Path, split: str = "test") -> list[EvalQuery]:
    """BEIR queries that have judgements in ``split``."""
    qrels_path = _first(folder, f"qrels-{split}.tsv", f"qrels/{split}.tsv")
    qrels: dict[str, dict[str, int]] = {}
    for line in _open_text(qrels_path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3 or not parts[2].lstrip("-").isdigit():
            continue  # header
        qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    texts = {}
    for line in _open_text(_first(folder, "queries.jsonl.gz", "queries.jsonl")):
        row = json.loads(line)
        texts[str(row["_id"])] = row["text"]
    return [EvalQuery(qid=q, text=texts[q], relevant=rel) for q, rel in qrels.items() if q in texts]


def iter_beir_corpus(folder: Path) -> Iterator[dict[str, str]]:
    """``{"_id", "title", "text"}`` rows of a BEIR corpus."""
    for line in _open_text(_first(folder, "corpus.jsonl.gz", "corpus.jsonl")):
        row = json.loads(line)
        yield {"_id": str(row["_id"]), "title": row.get("title") or "", "text": row.get("text") or ""}
