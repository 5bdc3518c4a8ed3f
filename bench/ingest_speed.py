"""Ingest throughput against the raw model and against txtai, and search latency, on ``content/``.

    .venv/bin/python -m bench.ingest_speed [--content content] [--pairs 5]

Interleaved so machine noise hits every side alike: a warm-up of each side first (not counted), then
``--pairs`` rounds of (1) the raw sentence-transformers ``encode`` of exactly the chunk texts we embed,
batch 32; (2) our whole ``kb ingest`` path into a fresh KB (read, convert, chunk, dense + BM25, write
to Qdrant Edge, catalog, blobs); (3) txtai's hybrid index of the same chunk texts with the same
packaged MiniLM weights (in its own venv, ``bench/peer.py``; skipped with a message when absent). The
order inside a round alternates (raw/ours/txtai, then txtai/ours/raw), and every side runs torch with
the same number of threads (``--threads``, default 1: with two, a busy neighbour makes OpenMP threads
fight and whichever side has more threads loses most). Ratios are taken within a round
(ours/raw, txtai/raw) and reported as median and min-max, with the load average of every round.

Then search latency, interleaved the same way: ours (``Searcher.search``: hybrid, grouped, snippets,
facets) for hybrid, dense and sparse, and txtai's hybrid ``search`` (ids and scores only), with a
query text never seen before each time (our LRU of query vectors would otherwise answer).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.peer import MISSING, TxtaiPeer

QUERIES = [
    "how did a state cut mutation pendency",
    "complaints heard by video from the block office",
    "Antyodaya SARAL",
    "family id for welfare schemes",
    "online registration of land deeds",
    "MoU between J&K and Haryana",
    "telemedicine for remote villages",
    "cyber security policy for government departments",
]


def spread(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def ingest_once(content: Path, root: Path, n: int) -> tuple[float, Any, list[str]]:
    """Seconds for our whole ingest of ``content`` into a fresh KB, its settings, and the texts it
    embedded (context + passage, read back from the KB it wrote)."""
    from ingest.service import Ingestor
    from kb.catalog import Catalog
    from kb.settings import Settings
    from kb.store import open_store

    settings = Settings(kb_dir=root / f"kb{n}", dense_model="minilm")  # the model raw and txtai run
    with open_store(settings) as store, Catalog(settings.resolved_catalog_url()) as catalog:
        ingestor = Ingestor(settings, store=store, catalog=catalog)
        ingestor.warm_up()  # the model is cached per process: loaded once, by the warm-up round
        started = time.perf_counter()
        ingestor.ingest_paths([content])
        seconds = time.perf_counter() - started
        texts = (
            [d.embedding_text for r in catalog.all_active() for d in ingestor._from_catalog(r).chunks] if not n else []
        )
        return seconds, settings, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--pairs", type=int, default=5, help="counted rounds after one warm-up round")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads on every side (1: steadiest on a shared machine)"
    )
    args = parser.parse_args()

    from kb.embedding import configure_offline_runtime, make_document_embedder
    from kb.settings import Settings

    configure_offline_runtime(Settings(torch_threads=args.threads))
    minilm = Settings(dense_model="minilm")
    peer = TxtaiPeer(threads=args.threads) if TxtaiPeer.available() else None
    if peer is None:
        print(MISSING)
    model_path = minilm.resolved_model_path()
    times: dict[str, list[float]] = {"raw": [], "ours": [], "txtai": []}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        root = Path(tmp)
        _, first, chunks = ingest_once(args.content, root, 0)  # warm-up of ours; gives the chunk texts
        embedder: Any = make_document_embedder(minilm)
        embedder.warm_up()
        model = embedder.embedding_backend.model
        model.encode(chunks[:64], batch_size=32, normalize_embeddings=True)  # warm-up of raw
        if peer is not None:
            peer.call("index", model=model_path, texts=chunks[:64])  # warm-up of txtai

        def raw() -> float:
            started = time.perf_counter()
            model.encode(chunks, batch_size=32, normalize_embeddings=True)
            return time.perf_counter() - started

        def ours(n: int) -> float:
            return ingest_once(args.content, root, n)[0]

        def txtai() -> float:
            assert peer is not None
            return float(peer.call("index", model=model_path, texts=chunks)["seconds"])

        for n in range(1, args.pairs + 1):
            sides: list[tuple[str, Callable[[], float]]] = [("raw", raw), ("ours", partial(ours, n))]
            if peer is not None:
                sides.append(("txtai", txtai))
            for name, run in sides if n % 2 else sides[::-1]:
                times[name].append(run())
            loads.append(os.getloadavg()[0])
            print(f"round {n}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items() if v), flush=True)
        latency = search_latency(first, peer, rounds=5)
    if peer is not None:
        peer.close()
    report(chunks, times, loads, latency)


def search_latency(settings: Any, peer: TxtaiPeer | None, rounds: int) -> dict[str, list[float]]:
    """Per-query milliseconds, ours by mode and txtai's hybrid, interleaved query by query."""
    from kb.store import open_store
    from search.retrieval import Searcher
    from search.schemas import SearchRequest

    samples: dict[str, list[float]] = {"ours hybrid": [], "ours dense": [], "ours sparse": [], "txtai hybrid": []}
    with open_store(settings) as store:
        searcher = Searcher(settings, store)
        searcher.warm_up()
        searcher.search(SearchRequest(query="warm up"))
        if peer is not None:
            peer.call("search", queries=["warm up"])
        for r in range(rounds + 1):
            for i, query in enumerate(QUERIES):
                text = f"{query} r{r}q{i}"  # never seen before: no cache hit on either side
                for mode in ("hybrid", "dense", "sparse"):
                    started = time.perf_counter()
                    searcher.search(SearchRequest(query=f"{text}{mode[0]}", mode=mode))  # a miss per mode too
                    if r:
                        samples[f"ours {mode}"].append((time.perf_counter() - started) * 1000)
                if peer is not None:
                    ms = peer.call("search", queries=[text])["ms"][0]
                    if r:
                        samples["txtai hybrid"].append(ms)
    return {k: v for k, v in samples.items() if v}


def report(chunks: list[str], times: dict[str, list[float]], loads: list[float], latency: dict[str, Any]) -> None:
    n = len(chunks)
    print(f"\n{n} chunks, {len(times['raw'])} interleaved rounds after a warm-up; load average per round: ")
    print(", ".join(f"{x:.1f}" for x in loads) + " (2 cores); median (min-max)\n")
    print("| side | seconds | ms per chunk | / raw encode (same round) |")
    print("|---|---|---|---|")
    result: dict[str, Any] = {"chunks": n, "loads": loads, "times": times}
    for name, label in (
        ("raw", "raw model encode (batch 32)"),
        ("ours", "kb ingest (everything)"),
        ("txtai", "txtai hybrid index"),
    ):
        if not times[name]:
            continue
        ratio = [t / r for t, r in zip(times[name], times["raw"], strict=True)]
        per_chunk = [t / n * 1000 for t in times[name]]
        print(f"| {label} | {spread(times[name], 1)} | {spread(per_chunk, 1)} | {spread(ratio)} |")
        result[f"{name}_per_raw"] = statistics.median(ratio)
    print("\n| search (fresh queries) | p50 ms | p99 ms |")
    print("|---|---|---|")
    for name, values in latency.items():
        values = sorted(values)
        p99 = values[max(0, int(len(values) * 0.99) - 1)]
        print(f"| {name} | {statistics.median(values):.1f} | {p99:.1f} |")
    result["search_ms"] = latency
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"\npeak RSS of this process {result['peak_rss_mb']} MB")
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest_speed.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
