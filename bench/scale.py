"""Search at scale: exact vs HNSW vs HNSW + int8, store alone and end to end, with and without a filter.

    .venv/bin/python -m bench.scale [--sizes 10000 100000] [--million] [--rounds 5] [--queries 40]
        [--work /tmp/kb-scale] [--skip-e2e] [--variants hnsw int8] [--reuse]

For each size a synthetic KB (``bench/synthetic.py``: real sentences from ``content/``, real BM25
vectors, the product's payloads) is written once with indexing off, then copied into three variants:
``exact`` (as a KB is before any build: one plain segment), ``hnsw`` and ``int8`` (HNSW over scalar
int8 vectors, rescored with the float32 originals), the last two built with ``optimize()`` and
timed. Dense vectors are mixtures of real MiniLM embeddings of SciFact (``bench/scifact_data.py``,
cached) with a little noise, so neighbourhoods look like real text's, and the queries are SciFact's
300 real query vectors; without the cache they fall back to random unit vectors (worst case for
HNSW recall; the table says which).

Measured: recall@10 of each index against exact search (deterministic), HNSW build seconds, then in
``--rounds`` interleaved rounds (the variants' order rotates; a warm-up round first, not counted)
store-alone dense and hybrid latencies and end-to-end ``Searcher.search`` latencies (query embedding
included, fresh query texts so the query-vector cache never answers), each with and without a state
filter. p50/p99 over all samples of all rounds, the spread as the min-max of the rounds' p50s, and the
load average of every round. RSS comes from a fresh child process per variant that opens the store
and searches (VmRSS, and its anonymous part), disk from the blocks the index occupies.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.scifact_data import CACHE

VARIANTS: tuple[str, ...] = ("exact", "hnsw", "int8")  # --variants narrows it (exact always first)
STATE = "Kerala"
EF_SWEEP = (16, 32, 64, 128, 256)
TEXTS = [
    "grievance redressal portal for citizens",
    "online land records mutation",
    "single window service delivery",
    "electronic health records in district hospitals",
    "school attendance monitoring with mobile apps",
    "property tax collection online",
]


def real_vectors() -> tuple[np.ndarray | None, np.ndarray | None]:
    """SciFact's cached MiniLM document and query vectors, or (None, None)."""
    docs, queries = CACHE / "scifact-doc-dense.npy", CACHE / "scifact-queries-dense.npy"
    if docs.exists() and queries.exists():
        return np.load(docs).astype(np.float32), np.load(queries).astype(np.float32)
    return None, None


def corpus_vectors(n: int, base: np.ndarray | None, seed: int = 11) -> np.ndarray:
    """``n`` unit vectors: mixtures of two real embeddings plus noise, or random ones without ``base``."""
    rng = np.random.default_rng(seed)
    if base is None:
        out = rng.standard_normal((n, 384)).astype(np.float32)
    else:
        out = np.empty((n, base.shape[1]), dtype=np.float32)
        for start in range(0, n, 50_000):
            m = min(50_000, n - start)
            a, b = rng.integers(0, len(base), m), rng.integers(0, len(base), m)
            w = rng.uniform(0.15, 0.45, (m, 1)).astype(np.float32)
            noise = rng.standard_normal((m, base.shape[1])).astype(np.float32) * 0.02
            out[start : start + m] = base[a] * (1 - w) + base[b] * w + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def open_variant(kb_dir: Path, variant: str, hnsw_ef: int = 64) -> Any:
    from kb.settings import Settings
    from kb.store import open_store

    settings = Settings(
        kb_dir=kb_dir,
        dense_model="minilm",
        indexing_threshold_kb=0 if variant == "exact" else 10_000,
        quantization="int8" if variant == "int8" else "none",
        hnsw_ef=hnsw_ef,
        torch_threads=1,  # as kb serve runs the query encoder
    )
    return settings, open_store(settings)


def build(size: int, work: Path, base: np.ndarray | None) -> dict[str, Any]:
    """The template KB and its three variants; HNSW build seconds and disk per variant."""
    from bench.synthetic import build_synthetic_kb
    from kb.settings import Settings
    from kb.store.indexing import disk_usage

    template = work / f"{size}" / "template"
    shutil.rmtree(work / f"{size}", ignore_errors=True)
    started = time.perf_counter()
    # quantization off in the template: a shard keeps a quantization once configured (kb/store/edge.py),
    # so an int8 template would make the "hnsw" copy int8 too
    settings = Settings(kb_dir=template, dense_model="minilm", indexing_threshold_kb=0, quantization="none")
    build_synthetic_kb(template, size, vectors=corpus_vectors(size, base), settings=settings)
    out: dict[str, Any] = {"write_s": time.perf_counter() - started}
    for variant in VARIANTS:
        target = work / f"{size}" / variant
        subprocess.run(["cp", "-a", "--sparse=always", str(template), str(target)], check=True)
        _, store = open_variant(target, variant)
        started = time.perf_counter()
        if variant != "exact":
            store.optimize()
        out[f"{variant}_build_s"] = time.perf_counter() - started
        out[f"{variant}_info"] = store.info()
        store.close()
        out[f"{variant}_disk_mb"] = disk_usage(target / "index") / 2**20
    shutil.rmtree(template)
    return out


def reused(size: int, work: Path) -> dict[str, Any]:
    """``--reuse``: the variants an earlier run built (a 1M build takes hours here), measured again."""
    from kb.store.indexing import disk_usage

    out: dict[str, Any] = {}
    for variant in VARIANTS:
        _, store = open_variant(work / f"{size}" / variant, variant)
        out[f"{variant}_info"] = store.info()
        store.close()
        out[f"{variant}_disk_mb"] = disk_usage(work / f"{size}" / variant / "index") / 2**20
    return out


def recall(stores: dict[str, Any], queries: np.ndarray) -> dict[str, float]:
    """Mean share of exact search's top 10 that each index finds, dense only, no filter and a state filter."""
    from kb.store.indexing import IndexParams

    out: dict[str, float] = {}
    state = {"field": "meta.states", "operator": "in", "value": [STATE]}
    for filters, tag in ((None, ""), (state, "_filtered")):
        truth = [
            {c.document.id for c in stores["exact"].query(dense=q.tolist(), limit=10, filters=filters)} for q in queries
        ]
        for variant in VARIANTS[1:]:
            store = stores[variant]
            params: IndexParams = store.index
            for ef in EF_SWEEP if not filters else (params.hnsw_ef,):
                store.index = replace(params, hnsw_ef=ef)
                found = [
                    len(t & {c.document.id for c in store.query(dense=q.tolist(), limit=10, filters=filters)}) / 10
                    for q, t in zip(queries, truth, strict=True)
                ]
                out[f"{variant}_ef{ef}{tag}"] = float(np.mean(found))
            store.index = params
    return out


def timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _store_kinds(store: Any, q: list[float], sparse: Any) -> dict[str, float]:
    """One store-alone query of each kind against one variant, in ms."""
    state = {"field": "meta.states", "operator": "in", "value": [STATE]}
    return {
        "store_dense": timed(lambda: store.query(dense=q, limit=10)),
        "store_dense_state": timed(lambda: store.query(dense=q, limit=10, filters=state)),
        "store_hybrid": timed(lambda: store.query(dense=q, sparse=sparse, fusion="dbsf", limit=10)),
        "store_hybrid_state": timed(
            lambda: store.query(dense=q, sparse=sparse, fusion="dbsf", limit=10, filters=state)
        ),
    }


def _e2e_kinds(searcher: Any, text: str) -> dict[str, float]:
    """One end-to-end search (query embedding included) with and without a state filter, in ms."""
    from search.schemas import SearchRequest

    plain = SearchRequest(query=text, top_k=10)
    filtered = SearchRequest.model_validate({"query": text + " s", "top_k": 10, "filters": {"states": [STATE]}})
    return {"e2e": timed(lambda: searcher.search(plain)), "e2e_state": timed(lambda: searcher.search(filtered))}


def measure(stores: dict[str, Any], searchers: dict[str, Any], queries: np.ndarray, rounds: int, per: int) -> Any:
    """Interleaved rounds (warm-up first): samples[kind][variant] -> list of per-round latency lists."""
    from kb.store import Bm25Encoder

    bm25 = Bm25Encoder()
    kinds = ["store_dense", "store_dense_state", "store_hybrid", "store_hybrid_state"]
    if searchers:
        kinds += ["e2e", "e2e_state"]
    samples: dict[str, dict[str, list[list[float]]]] = {k: {v: [] for v in VARIANTS} for k in kinds}
    loads: list[float] = []
    counter = 0
    for round_ in range(rounds + 1):
        loads.append(os.getloadavg()[0])
        order = VARIANTS[round_ % len(VARIANTS) :] + VARIANTS[: round_ % len(VARIANTS)]
        for variant in order:
            store = stores[variant]
            got: dict[str, list[float]] = {k: [] for k in kinds}
            # store-alone queries first, then end to end: torch's worker threads spin for a while
            # after an inference and would slow a store query measured right after one
            time.sleep(0.3)
            for i in range(per):
                q = queries[(round_ * per + i) % len(queries)].tolist()
                for kind, ms in _store_kinds(store, q, bm25.embed_query(TEXTS[i % len(TEXTS)])).items():
                    got[kind].append(ms)
            for i in range(per if searchers else 0):
                counter += 1
                text = f"{TEXTS[i % len(TEXTS)]} {counter}"  # never the same twice: no query-cache hits
                for kind, ms in _e2e_kinds(searchers[variant], text).items():
                    got[kind].append(ms)
            if round_:  # round 0 is the warm-up
                for kind in kinds:
                    samples[kind][variant].append(got[kind])
    return samples, loads


def rss_probe(kb_dir: str, variant: str) -> None:
    """Child process: open the variant, serve the benchmark's query mix (dense and hybrid, with and
    without a state filter: the BM25 index and the payload indexes are read too), print VmRSS and
    RssAnon (MB) as JSON."""
    from kb.store import Bm25Encoder

    _, queries = real_vectors()
    qs = queries if queries is not None else corpus_vectors(200, None, seed=3)
    _, store = open_variant(Path(kb_dir), variant)
    bm25 = Bm25Encoder()
    for i, q in enumerate(qs[:200]):
        _store_kinds(store, q.tolist(), bm25.embed_query(TEXTS[i % len(TEXTS)]))
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    mb: dict[str, Any] = {k: int(status[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}
    mb["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    by_part = _mapped_rss_by_part(Path(kb_dir).resolve())
    mb["index_mapped"] = sum(by_part.values())
    mb["index_mapped_by_part"] = dict(sorted(by_part.items(), key=lambda kv: -kv[1]))
    store.close()
    print(json.dumps(mb))


def _mapped_rss(folder: Path) -> float:
    """MB of this process's resident pages mapped from files under ``folder`` (the index's share of RssFile)."""
    return sum(_mapped_rss_by_part(folder).values())


def _mapped_rss_by_part(folder: Path) -> dict[str, float]:
    """Resident MB mapped from the index's files, by part of a segment (the folder under the
    segment: ``payload_storage``, ``vector_storage-dense``, ``vector_index-bm25``, ...)."""
    totals: dict[str, float] = {}
    part: str | None = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
            path = fields[5] if len(fields) >= 6 else ""
            part = _segment_part(path, folder) if path.startswith(str(folder)) else None
        elif part is not None and fields and fields[0] == "Rss:":
            totals[part] = totals.get(part, 0.0) + int(fields[1]) / 1024
    return totals


def _segment_part(path: str, folder: Path) -> str:
    parts = Path(path).relative_to(folder).parts
    if "segments" in parts and len(parts) > parts.index("segments") + 2:
        return parts[parts.index("segments") + 2]
    return parts[-2] if len(parts) > 1 else parts[0]


def rss(kb_dir: Path, variant: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--rss-probe", str(kb_dir), variant],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def run_size(size: int, args: argparse.Namespace, base: np.ndarray | None, queries: np.ndarray) -> None:
    from search.retrieval import Searcher

    built = reused(size, args.work) if args.reuse else build(size, args.work, base)
    stores, searchers, settings_of = {}, {}, {}
    for variant in VARIANTS:
        settings_of[variant], stores[variant] = open_variant(args.work / f"{size}" / variant, variant)
    rec = recall(stores, queries)
    if not args.skip_e2e:
        for variant in VARIANTS:
            searchers[variant] = Searcher(settings_of[variant], stores[variant])
            searchers[variant].warm_up()
    samples, loads = measure(stores, searchers, queries, args.rounds, args.queries)
    for store in stores.values():
        store.close()
    memory = {v: rss(args.work / f"{size}" / v, v) for v in VARIANTS}
    memory["empty"] = rss(args.work / f"{size}" / "empty", "exact")  # the process without chunks
    print(f"\n## {size:,} chunks ({'SciFact-derived' if base is not None else 'random'} vectors)")
    builds = ", ".join(f"{v} {built[f'{v}_build_s']:.0f} s" for v in VARIANTS[1:] if f"{v}_build_s" in built)
    print(f"write {built.get('write_s', 0):.0f} s; builds: {builds or 'reused (see the run that built them)'}")
    print("load average per round: " + ", ".join(f"{x:.1f}" for x in loads) + " (first: warm-up)")
    print("\n| recall@10 vs exact | " + " | ".join(f"ef={ef}" for ef in EF_SWEEP) + " | state filter (ef=64) |")
    print("|---|" + "---|" * (len(EF_SWEEP) + 1))
    for variant in VARIANTS[1:]:
        cells = [f"{rec[f'{variant}_ef{ef}']:.4f}" for ef in EF_SWEEP]
        print(f"| {variant} | " + " | ".join(cells) + f" | {rec[f'{variant}_ef64_filtered']:.4f} |")
    print("\n| measure | " + " | ".join(f"{v} p50 / p99 ms (p50 spread)" for v in VARIANTS) + " |")
    print("|---|" + "---|" * len(VARIANTS))
    for kind, per_variant in samples.items():
        cells = []
        for variant in VARIANTS:
            rounds = per_variant[variant]
            flat = [x for r in rounds for x in r]
            meds = [statistics.median(r) for r in rounds]
            cells.append(f"{statistics.median(flat):.2f} / {pct(flat, 0.99):.2f} ({min(meds):.2f}-{max(meds):.2f})")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    empty = memory["empty"]
    print(f"\nRSS of a process with an empty store: {empty['VmRSS']:.0f} MB ({empty['RssAnon']:.0f} MB anonymous)")
    print(
        "| variant | segments | unindexed | disk MB | RSS MB | anon MB | file-backed MB | RSS over empty MB "
        "| index files resident MB | anon over empty MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for variant in VARIANTS:
        info, mem = built[f"{variant}_info"], memory[variant]
        print(
            f"| {variant} | {info['segments']} | {info['unindexed_vectors']} | {built[f'{variant}_disk_mb']:.0f} | "
            f"{mem['VmRSS']:.0f} | {mem['RssAnon']:.0f} | {mem['RssFile']:.0f} | {mem['VmRSS'] - empty['VmRSS']:.0f} "
            f"| {mem['index_mapped']:.0f} | {mem['RssAnon'] - empty['RssAnon']:.0f} |"
        )
    for variant in VARIANTS:
        parts = memory[variant].get("index_mapped_by_part", {})
        print(f"{variant}: index files resident by part (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in parts.items()))
    sys.stdout.flush()


def main() -> None:
    global VARIANTS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 chunks (about an hour here)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=int, default=40, help="queries per variant per round")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-scale"))
    parser.add_argument("--skip-e2e", action="store_true", help="store alone only (no model)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS[1:], default=list(VARIANTS[1:]))
    parser.add_argument("--reuse", action="store_true", help="measure the variants under --work again, no build")
    parser.add_argument("--rss-probe", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    VARIANTS = ("exact", *args.variants)
    if args.rss_probe:
        rss_probe(*args.rss_probe)
        return
    from kb.embedding import configure_offline_runtime
    from kb.settings import Settings

    configure_offline_runtime(Settings())
    base, queries = real_vectors()
    if queries is None:
        queries = corpus_vectors(300, None, seed=3)
    sizes = [*args.sizes, *([1_000_000] if args.million else [])]
    print(f"bench.scale sizes {sizes}, {args.rounds} rounds x {args.queries} queries, load {os.getloadavg()}")
    for size in sizes:
        run_size(size, args, base, queries)


if __name__ == "__main__":
    main()
