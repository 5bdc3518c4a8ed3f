"""Dense model layouts side by side: ingest time, index size, RSS and our eval set by kind.

    .venv/bin/python -m bench.indian_languages [--rounds 5] [--model minilm --model minilm+e5:chunk ...]

For each ``KB_DENSE_MODEL`` value (``minilm+e5`` with KB_E5_SCOPE=document, the default;
``minilm+e5:chunk`` with an e5 vector per chunk), ``kb ingest content/`` into a fresh KB as a child
process (one warm-up each, then ``--rounds`` rounds interleaved A B, B A, ... so a busy machine slows all alike),
with wall time, the child's peak RSS and the index's size on disk (allocated blocks: Edge's files
are sparse); then ``kb eval tests/eval/queries.jsonl`` on the last KB in dense, sparse and hybrid
mode, nDCG@10 by kind and recall@5 of the Hindi and other-language queries. Prints the load average
beside every timing: on a shared machine compare the medians of one run, never across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KB = str(ROOT / ".venv" / "bin" / "kb")
MODES = ("dense", "sparse", "hybrid")


def _env(model: str) -> dict[str, str]:
    """``model`` is a KB_DENSE_MODEL value, optionally with a KB_E5_SCOPE after a colon (``minilm+e5:chunk``)."""
    dense, _, scope = model.partition(":")
    extra = {"KB_E5_SCOPE": scope} if scope else {}
    quiet = {"HF_HUB_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False"}
    return {**os.environ, "KB_DENSE_MODEL": dense, **quiet, **extra}


def _run(args: list[str], model: str) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS (MB), stdout and CPU seconds (user + system) of a ``kb`` child process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen([KB, *args], env=_env(model), stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"kb {' '.join(args)} failed with KB_DENSE_MODEL={model}")
    return seconds, usage.ru_maxrss // 1024, text, usage.ru_utime + usage.ru_stime


def _disk_mb(path: Path) -> float:
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file()) / 1e6


def ingest(model: str, kb_dir: Path, corpus: Path) -> dict[str, float]:
    shutil.rmtree(kb_dir, ignore_errors=True)
    load = os.getloadavg()[0]
    seconds, rss, _, cpu = _run(["ingest", str(corpus), "--kb-dir", str(kb_dir)], model)
    return {"seconds": seconds, "cpu": cpu, "rss_mb": rss, "index_mb": _disk_mb(kb_dir / "index"), "load": load}


def evaluate(model: str, kb_dir: Path, queries: Path) -> dict[str, Any]:
    modes = [arg for mode in MODES for arg in ("--mode", mode)]
    seconds, rss, text, _ = _run(["eval", str(queries), *modes, "--json", "--kb-dir", str(kb_dir)], model)
    report: dict[str, Any] = json.loads(text)
    report["rss_mb"], report["seconds"] = rss, seconds
    return report


def option_b(dual_kb: Path, work: Path) -> Path:
    """Option (b) of issue 15: e5 vectors only for non-English chunks. Simulated on a copy of the
    minilm+e5 KB by deleting the ``e5`` vector of every chunk not in Hindi; only its non-Latin
    queries are meaningful (e5 + BM25); its Latin-script queries would be MiniLM + BM25, as minilm."""
    from kb.store import EdgeStore
    from kb.store.filters import parse_filters
    from kb.store.filters_edge import to_edge_filter

    target = work / "option-b"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(dual_kb, target)
    import qdrant_edge as qe

    with EdgeStore(target / "index", dense_names=("dense", "e5")) as store:
        english = to_edge_filter(parse_filters({"field": "meta.language", "operator": "!=", "value": "hi"}))
        assert english is not None
        store.shard.update(qe.UpdateOperation.delete_vectors_by_filter(english, ["e5"]))
        store.flush()
    return target


def _print_eval(model: str, report: dict[str, Any], kinds_only: tuple[str, ...] = ()) -> None:
    print(f"{model}: kb eval RSS {report['rss_mb']} MB")
    for mode in MODES:
        data = report["modes"][mode]
        kinds = {k: v for k, v in data["by_kind"].items() if not kinds_only or k in kinds_only}
        row = " ".join(f"{k} {v['ndcg@10']:.3f}" for k, v in sorted(kinds.items()))
        r5 = {k: kinds[k]["recall@5"] for k in ("hindi", "other_language") if k in kinds}
        overall = "" if kinds_only else f"nDCG@10 {data['overall']['ndcg@10']:.3f} | "
        print(f"  {mode:<7} {overall}{row} | recall@5 {r5}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", action="append", help="KB_DENSE_MODEL[:KB_E5_SCOPE] values (default: minilm, minilm+e5)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-warm-up", action="store_true", help="skip the warm-up ingest of each model")
    parser.add_argument("--eval-only", action="store_true", help="evaluate the KBs of an earlier run (no timing)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "content")
    parser.add_argument("--queries", type=Path, default=ROOT / "tests" / "eval" / "queries.jsonl")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-indian-languages")
    args = parser.parse_args()
    models: list[str] = args.model or ["minilm", "minilm+e5"]
    runs: dict[str, list[dict[str, float]]] = {m: [] for m in models}
    for model in (
        [] if args.eval_only or args.no_warm_up else models
    ):  # warm-up: page cache, Python bytecode, model files
        ingest(model, args.work / model, args.corpus)
    for round_ in range(0 if args.eval_only else args.rounds):
        order = models if round_ % 2 == 0 else list(reversed(models))
        for model in order:
            run = ingest(model, args.work / model, args.corpus)
            runs[model].append(run)
            print(
                f"round {round_ + 1} {model:<22} {run['seconds']:6.1f} s wall {run['cpu']:6.1f} s CPU"
                f"  load {run['load']:.2f}",
                flush=True,
            )
    if not args.eval_only:
        print(
            f"\n{'model':<22} {'wall median s':>13} {'min-max':>13} {'CPU median s':>12}"
            f" {'RSS MB':>7} {'index MB':>9} {'load':>10}"
        )
    for model in [] if args.eval_only else models:
        secs = [r["seconds"] for r in runs[model]]
        loads = [r["load"] for r in runs[model]]
        print(
            f"{model:<22} {statistics.median(secs):13.1f} {min(secs):6.1f}-{max(secs):<6.1f}"
            f" {statistics.median(r['cpu'] for r in runs[model]):12.1f}"
            f" {max(r['rss_mb'] for r in runs[model]):7.0f} {runs[model][-1]['index_mb']:9.1f}"
            f" {min(loads):4.1f}-{max(loads):<4.1f}"
        )
    print()
    for model in models:
        _print_eval(model, evaluate(model, args.work / model, args.queries))
    if "minilm+e5" in models:
        b_kb = option_b(args.work / "minilm+e5", args.work)
        _print_eval(
            "(b) e5 for Hindi chunks only", evaluate("minilm+e5", b_kb, args.queries), ("hindi", "other_language")
        )


if __name__ == "__main__":
    main()
