"""Which parts of a search hold Python's GIL: why two clients do not give twice one client's rate.

    .venv/bin/python -m bench.gil_probe [--kb-dir /tmp/kb-gil] [--chunks 20000] [--seconds 3]

A probe thread sleeps 1 ms in a loop and records how late it wakes. A thread that releases the GIL
while it works (a C call that says so) lets the probe in at once; one that holds it (Python code, or a
C call that does not release it) makes the probe wait: for Python code until the interpreter's switch
interval (set to 0.5 ms here), for a C call until the call returns. Each part of a search runs in a
loop beside the probe for ``--seconds``: idle (the baseline), the store's hybrid query alone, the
ONNX query encoder alone and the whole ``Searcher.search``. A part whose probe delays stay near the
idle ones can run on the second core beside another search; the rest serialise.

The KB is a synthetic one (``bench/synthetic.py``), built once under ``--kb-dir``, MiniLM only.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.scale import TEXTS, pct


def probe_delays(work: Callable[[], object] | None, seconds: float) -> tuple[list[float], int]:
    """Wake-up delays (ms) of a thread sleeping 1 ms while ``work`` runs in a loop, and the loop count."""
    stop = threading.Event()
    delays: list[float] = []
    done = [0]

    def probe() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            time.sleep(0.001)
            delays.append((time.perf_counter() - started - 0.001) * 1000)

    def loop() -> None:
        while work is not None and not stop.is_set():
            work()
            done[0] += 1

    threads = [threading.Thread(target=probe), threading.Thread(target=loop)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return delays, done[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kb-dir", type=Path, default=Path("/tmp/kb-gil"))
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    from bench.synthetic import build_synthetic_kb
    from kb.embedding import configure_offline_runtime
    from kb.settings import Settings
    from kb.store import Bm25Encoder, open_store
    from search.retrieval import Searcher
    from search.schemas import SearchRequest

    settings = Settings(kb_dir=args.kb_dir, dense_model="minilm", torch_threads=1)  # as kb serve
    configure_offline_runtime(settings)
    if not (args.kb_dir / "index").exists():
        build_synthetic_kb(args.kb_dir, args.chunks, settings=settings)
    sys.setswitchinterval(0.0005)
    store = open_store(settings)
    searcher = Searcher(settings, store)
    searcher.warm_up()
    bm25 = Bm25Encoder()
    vector = searcher.text_embedder.run(text=TEXTS[0])["embedding"]
    sparse = bm25.embed_query(TEXTS[1])
    counter = itertools.count()
    parts: dict[str, Callable[[], object] | None] = {
        "idle": None,
        "store hybrid query": lambda: store.query(dense=vector, sparse=sparse, fusion="dbsf", limit=10),
        "ONNX query encoder": lambda: searcher.text_embedder.run(text=f"{TEXTS[2]} {next(counter)}"),
        "Searcher.search": lambda: searcher.search(SearchRequest(query=f"{TEXTS[3]} {next(counter)}", top_k=10)),
    }
    print(f"bench.gil_probe: {store.count_documents():,} chunks, load {os.getloadavg()[0]:.1f}")
    print("| running beside the probe | calls | ms per call | probe delay p50 ms | p90 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for name, work in parts.items():
        delays, calls = probe_delays(work, args.seconds)
        per_call = f"{args.seconds * 1000 / calls:.2f}" if calls else ""
        cells = " | ".join(f"{pct(delays, q):.2f}" for q in (0.5, 0.9, 0.99))
        print(f"| {name} | {calls} | {per_call} | {cells} |")
    store.close()


if __name__ == "__main__":
    main()
