"""Query embedding alone, per encoder (``KB_QUERY_ENCODER``): one thread, and two threads at once.

    .venv/bin/python -m bench.query_encoder [--rounds 5] [--queries 100]

What the server's query pool can gain depends on how much of an embedding releases the GIL: torch's
eager forward of a ten-token query is mostly Python and dispatcher work, ONNX Runtime's is one C++
call. Each round runs every encoder (torch, onnx, onnx-int8) with one thread and then with two
threads sharing the work, all with one intra-op thread (as ``kb serve``), fresh query texts each
time, after a warm-up round; the encoders alternate inside every round. Reported: queries/s as
median (min-max) over rounds, the two-thread/one-thread ratio, and the load average of each round.
Quality is a separate, deterministic figure: ``KB_QUERY_ENCODER=... python -m bench.scifact``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from typing import Any

from kb.onnx_query import QueryEncoder

ENCODERS: tuple[QueryEncoder, ...] = ("torch", "onnx", "onnx-int8")
BASE = "how did the state government reduce the pendency of land mutation cases"


def rate(embedder: Any, texts: list[str], threads: int) -> float:
    """Queries/s embedding ``texts`` split over ``threads`` threads."""
    parts = [texts[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=lambda p=p: [embedder.run(text=t) for t in p]) for p in parts]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=int, default=100, help="queries per measurement")
    args = parser.parse_args()

    from kb.embedding import configure_offline_runtime, make_text_embedder
    from kb.settings import Settings

    configure_offline_runtime(Settings(torch_threads=1))
    embedders = {}
    for name in ENCODERS:
        embedders[name] = make_text_embedder(Settings(query_encoder=name, torch_threads=1))
        embedders[name].warm_up()
    samples: dict[tuple[str, int], list[float]] = {}
    loads = []
    for round_no in range(args.rounds + 1):
        order = ENCODERS if round_no % 2 else ENCODERS[::-1]
        for threads in (1, 2):
            for name in order:
                texts = [f"{BASE} {name} r{round_no} t{threads} q{i}" for i in range(args.queries)]
                value = rate(embedders[name], texts, threads)
                if round_no:
                    samples.setdefault((name, threads), []).append(value)
        if round_no:
            loads.append(os.getloadavg()[0])
    print(f"{args.rounds} interleaved rounds after a warm-up, {args.queries} fresh queries per cell")
    print(f"load average per round: {', '.join(f'{x:.1f}' for x in loads)} (2 cores); median (min-max)\n")
    print("| encoder | 1 thread q/s | 2 threads q/s | 2 / 1 threads |")
    print("|---|---|---|---|")
    for name in ENCODERS:
        one, two = samples[(name, 1)], samples[(name, 2)]
        ratio = [b / a for a, b in zip(one, two, strict=True)]

        def cell(values: list[float], digits: int = 0) -> str:
            return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"

        print(f"| {name} | {cell(one)} | {cell(two)} | {cell(ratio, 2)} |")


if __name__ == "__main__":
    main()
