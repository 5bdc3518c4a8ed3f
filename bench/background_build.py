"""The background HNSW build while searches and writes go on: how long, and what searches feel.

    .venv/bin/python -m bench.background_build KB_DIR [--seconds-before 5]

Copies ``KB_DIR`` (a KB without HNSW, e.g. ``/tmp/kb-scale/100000/exact`` from ``bench.scale``) to a
temp folder, opens it as ``kb serve`` would (default threshold) and starts the background build
(:mod:`kb.store.indexing`: copy with writes held, HNSW in a nice'd child process, journal, swap). One
thread searches in a loop (hybrid, as the product asks) and writes a chunk every 50 searches, before
and during the build; printed: copy, build and total seconds, search p50/p99/max before and during,
the longest gap between two answers (the swap), write p50/max, and recall of the swapped-in index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document

from kb.settings import Settings
from kb.store import Bm25Encoder, open_store


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def _loop(store: Any, until: Any, vectors: np.ndarray, sparse: Any) -> dict[str, list[float]]:
    searches: list[float] = []
    writes: list[float] = []
    gaps: list[float] = []
    last = time.perf_counter()
    i = 0
    while not until():
        q = vectors[i % len(vectors)].tolist()
        started = time.perf_counter()
        store.query(dense=q, sparse=sparse, fusion="dbsf", limit=10)
        now = time.perf_counter()
        searches.append((now - started) * 1000)
        gaps.append((now - last) * 1000)
        last = now
        i += 1
        if i % 50 == 0:
            doc = Document(id=f"bench-late-{i}-{time.time_ns()}", content="late chunk", embedding=q)
            started = time.perf_counter()
            store.write_documents([doc])
            writes.append((time.perf_counter() - started) * 1000)
            last = time.perf_counter()
        time.sleep(0.002)
    return {"search": searches, "write": writes, "gap": gaps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kb_dir", type=Path)
    parser.add_argument("--seconds-before", type=float, default=5.0)
    args = parser.parse_args()
    vectors = np.random.default_rng(5).standard_normal((200, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sparse = Bm25Encoder().embed_query("grievance redressal portal for citizens")
    with tempfile.TemporaryDirectory(dir=args.kb_dir.parent) as tmp:
        kb_dir = Path(tmp) / "kb"
        subprocess.run(["cp", "-a", "--sparse=always", str(args.kb_dir), str(kb_dir)], check=True)
        store = open_store(Settings(kb_dir=kb_dir, dense_model="minilm"))
        try:
            print(f"load average {os.getloadavg()}; before: {store.info()['unindexed_vectors']} unindexed vectors")
            deadline = time.perf_counter() + args.seconds_before
            before = _loop(store, lambda: time.perf_counter() > deadline, vectors, sparse)
            started = time.perf_counter()
            assert store.index_if_needed(), "nothing to build: is the KB past the threshold, without HNSW?"
            build = store._build  # type: ignore[attr-defined]
            during = _loop(store, lambda: not build.is_alive(), vectors, sparse)
            total = time.perf_counter() - started
            info = store.info()
        finally:
            store.close()
    print(f"load average {os.getloadavg()}; build error: {build.error}; swapped: {build.swapped}")
    print(f"background build {total:.1f} s (copy and swap included); after: {info['unindexed_vectors']} unindexed")
    print("| phase | searches | p50 ms | p99 ms | max ms | longest gap ms | writes | write p50 ms | write max ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, got in (("before", before), ("during build", during)):
        s, w = got["search"], got["write"]
        print(
            f"| {name} | {len(s)} | {statistics.median(s):.2f} | {_pct(s, 0.99):.2f} | {max(s):.1f} | "
            f"{max(got['gap']):.1f} | {len(w)} | {statistics.median(w) if w else float('nan'):.2f} | "
            f"{max(w) if w else float('nan'):.1f} |"
        )


if __name__ == "__main__":
    main()
