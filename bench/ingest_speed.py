"""Ingest throughput against the raw model, and in-process search latency, on ``content/``.

    .venv/bin/python -m bench.ingest_speed [--content content]

Two runs side by side in one process so machine noise hits both: (1) the raw sentence-transformers
``encode`` of exactly the chunk texts we embed, batch 32; (2) our whole ``kb ingest`` path (read,
convert, chunk, dense + BM25, write to Qdrant Edge, catalog, blobs). The ratio is the cost of
everything around the model. Then search latency p50/p99 for hybrid, dense and sparse queries.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", type=Path, default=Path("content"))
    args = parser.parse_args()

    from ingest.service import Ingestor
    from kb.catalog import Catalog
    from kb.embedding import configure_offline_runtime
    from kb.settings import Settings
    from kb.store import open_store
    from search.retrieval import Searcher
    from search.schemas import SearchRequest

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        settings = Settings(kb_dir=Path(tmp) / "kb")
        configure_offline_runtime(settings)
        with open_store(settings) as store, Catalog(settings.resolved_catalog_url()) as catalog:
            ingestor = Ingestor(settings, store=store, catalog=catalog)
            ingestor.warm_up()
            started = time.perf_counter()
            report = ingestor.ingest_paths([args.content])
            ours = time.perf_counter() - started
            chunks = [d.embedding_text for r in catalog.all_active() for d in ingestor._from_catalog(r).chunks]

            dense: Any = ingestor.embedding.get_component("dense")
            model = dense.embedding_backend.model
            started = time.perf_counter()
            model.encode(chunks, batch_size=32, normalize_embeddings=True)
            raw = time.perf_counter() - started

            searcher = Searcher(settings, store)
            searcher.warm_up()
            latency: dict[str, Any] = {}
            for mode in ("hybrid", "dense", "sparse"):
                times = []
                for _ in range(5):
                    for query in QUERIES:
                        t0 = time.perf_counter()
                        searcher.search(SearchRequest(query=query, mode=mode))
                        times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                latency[mode] = {"p50_ms": round(statistics.median(times), 1), "p99_ms": round(times[-1], 1)}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "documents": len(report.documents),
        "chunks": len(chunks),
        "ours_s": round(ours, 1),
        "raw_encode_s": round(raw, 1),
        "ratio": round(ours / raw, 2),
        "chunks_per_s": round(len(chunks) / ours, 1),
        "peak_rss_mb": round(peak_mb),
        "search": latency,
    }
    print(f"{'run':<28} {'seconds':>8} {'chunks/s':>9}")
    print(f"{'raw model encode (batch 32)':<28} {raw:>8.1f} {len(chunks) / raw:>9.1f}")
    print(f"{'kb ingest (everything)':<28} {ours:>8.1f} {len(chunks) / ours:>9.1f}")
    print(f"ratio ours/raw {result['ratio']}, peak RSS {result['peak_rss_mb']} MB")
    for mode, row in latency.items():
        print(f"search {mode:<7} p50 {row['p50_ms']:>6.1f} ms  p99 {row['p99_ms']:>6.1f} ms")
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest_speed.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
