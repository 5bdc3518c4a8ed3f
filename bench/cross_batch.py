"""Does filling embedding batches across small documents make `kb ingest` faster? Measured, A/B.

    .venv/bin/python -m bench.cross_batch [--documents 120] [--rounds 3]

Variant A (:class:`OneAtATime`) embeds each document's chunks in their own model calls, as
``kb ingest`` did before :mod:`ingest.batches`: a folder of one- and two-chunk documents (circulars,
orders, notes) calls the model with batches of one or two where it could take 32. Variant B, the
product's ``Ingestor``, prepares documents until their fresh chunks fill a batch, embeds them in
one call, then writes each document exactly as A does (blob -> intent -> index upsert -> commit ->
drop stale -> clear intent, ``Ingestor._store``), its vectors taken from that call.

Runs: one warm-up of each variant (model load, caches, page cache), then A B A B ... ``rounds``
times, each into a fresh KB, the model loaded before the clock starts. Prints medians and spread
(min-max) of chunks/s, and the gain of B's median over A's; writes ``.bench/out/cross_batch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from ingest.service import Ingestor
from kb.catalog import Catalog
from kb.embedding import configure_offline_runtime
from kb.settings import Settings
from kb.store import open_store

WORDS = (
    "district tehsildar mutation pendency grievance portal citizen service delivery review weekly order "
    "circular department officer register record land revenue village panchayat scheme beneficiary"
).split()


def write_corpus(folder: Path, documents: int, seed: int = 11) -> None:
    """``documents`` small Markdown notes of 60-260 words (one or two chunks each)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(documents):
        words = rng.randint(60, 260)
        body = " ".join(rng.choice(WORDS) for _ in range(words))
        (folder / f"note-{n:04d}.md").write_text(
            f"---\ntitle: Office note {n}\ntype: guideline\nstates: [Haryana]\nsector: land_records\nyear: 2023\n"
            f"---\n# Office note {n}\n\n## Order\n\n{body.capitalize()}.\n",
            encoding="utf-8",
        )


class OneAtATime(Ingestor):
    """Variant A, the way `kb ingest` worked before ingest/batches.py: every file embedded alone."""

    group_chunks = 1


def run_once(variant: str, corpus: Path) -> tuple[float, int]:
    """(seconds, chunks) of one ingest of ``corpus`` into a fresh KB; the model loads untimed."""
    with tempfile.TemporaryDirectory(prefix="kb-cross-") as tmp:
        settings = Settings(kb_dir=Path(tmp) / "kb")
        configure_offline_runtime(settings)
        with open_store(settings) as store, Catalog(settings.resolved_catalog_url()) as catalog:
            kind = Ingestor if variant == "B" else OneAtATime
            ingestor = kind(settings, store=store, catalog=catalog)
            ingestor.warm_up()
            started = time.perf_counter()
            report = ingestor.ingest_paths([corpus])
            seconds = time.perf_counter() - started
            assert not report.failed, report.failed
            return seconds, sum(int(d["chunks"]) for d in report.documents)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-cross-corpus-") as tmp:
        corpus = Path(tmp) / "notes"
        write_corpus(corpus, args.documents)
        warm = Path(tmp) / "warm"
        write_corpus(warm, 8, seed=3)
        for variant in ("A", "B"):
            run_once(variant, warm)
        rates: dict[str, list[float]] = {"A": [], "B": []}
        loads: list[float] = []  # 1-minute load average after each run: other work on the machine
        chunks = 0
        for _ in range(args.rounds):
            for variant in ("A", "B"):
                seconds, chunks = run_once(variant, corpus)
                rates[variant].append(chunks / seconds)
                load = os.getloadavg()[0]
                loads.append(load)
                print(f"  {variant}: {seconds:6.1f} s  {chunks / seconds:6.1f} chunks/s  load {load:.1f}", flush=True)
    medians = {v: statistics.median(r) for v, r in rates.items()}
    gain = medians["B"] / medians["A"] - 1
    print(f"\n{args.documents} documents, {chunks} chunks, {args.rounds} rounds after a warm-up\n")
    print(f"{'variant':<46} {'median chunks/s':>15} {'min':>7} {'max':>7}")
    labels = {"A": "A: one document per embedding call (before)", "B": "B: batches filled across documents (now)"}
    for variant, label in labels.items():
        print(f"{label:<46} {medians[variant]:>15.1f} {min(rates[variant]):>7.1f} {max(rates[variant]):>7.1f}")
    print(f"\ngain of B over A (medians): {gain * 100:+.1f} %; load average {min(loads):.1f}-{max(loads):.1f}")
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    result = {"documents": args.documents, "chunks": chunks, "rates": rates, "medians": medians, "gain": gain}
    result["load_average"] = loads
    (out / "cross_batch.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
