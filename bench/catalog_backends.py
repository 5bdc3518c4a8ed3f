"""Catalog operations and end-to-end ingest on SQLite vs PostgreSQL, interleaved, in one run.

    .venv/bin/python -m bench.catalog_backends [--documents 10000] [--rounds 5] [--ingest-pairs 5]

1. Fills one SQLite and one PostgreSQL catalog with the same N synthetic documents (one version and
   one section each), then times, alternating the backends (A B A B) after a warm-up: recording a
   new version (intent + commit), listing a page with a state filter, and facet counts.
2. Ingests ``content/`` (``kb ingest``'s path: read, convert, chunk, embed, Qdrant Edge, catalog,
   originals) into a fresh KB per run, the catalog (and so the originals) on SQLite or on a fresh
   PostgreSQL database, A B A B after one warm-up pair, the model loaded once beforehand (it is the
   same for both, and what the 1.2x target is about is everything else). The load average is printed
   beside each run: the machine is shared.

``--documents 0`` or ``--ingest-pairs 0`` leaves a part out. Needs the local PostgreSQL that
scripts/pg-start starts. Prints tables and writes ``.bench/out/catalog_backends.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from kb.catalog import Catalog
from kb.metadata import build_metadata
from kb.models import Section
from kb.vocab import STATES

ADMIN_DSN = "host=/var/run/postgresql dbname=postgres"
SECTORS = ["health", "land_records", "education", "agriculture", "grievance_redressal"]


def _pg_database() -> tuple[str, str]:
    name = f"kbbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg:///{name}?host=/var/run/postgresql"


def _drop(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _record(catalog: Catalog, i: int, text: str = "Text of the practice.") -> None:
    doc_id = f"doc-{i:06d}"
    meta = build_metadata(
        {
            "id": doc_id,
            "type": "case_study",
            "states": [STATES[i % len(STATES)]],
            "sector": SECTORS[i % len(SECTORS)],
            "year": 2000 + i % 25,
        },
        default_id=doc_id,
        default_title=f"Practice {i}",
    )
    catalog.record_version(
        meta=meta,
        version=catalog.begin_write(doc_id),
        blob_sha256=f"{i:064x}",
        filename=f"{doc_id}.md",
        media_type="text/markdown",
        size_bytes=len(text),
        fingerprint=str(i),
        sections=[Section(text, ("Summary",), None)],
        chunk_count=1,
        actor="bench",
    )
    catalog.clear_intent(doc_id)


def _time(action: Callable[[Catalog], object], catalog: Catalog, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action(catalog)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(documents: int, rounds: int) -> dict[str, Any]:
    pg_name, pg_url = _pg_database()
    folder = Path(tempfile.mkdtemp(prefix="kb-catalog-bench-"))
    catalogs = {"sqlite": Catalog(f"sqlite:///{folder / 'catalog.sqlite'}"), "postgresql": Catalog(pg_url)}
    try:
        fill: dict[str, float] = {}
        for name, catalog in catalogs.items():
            started = time.perf_counter()
            for i in range(documents):
                _record(catalog, i)
            fill[name] = time.perf_counter() - started
        operations: dict[str, Callable[[Catalog], object]] = {
            "record a version": lambda c: _record(c, 7, text=f"Edited {time.perf_counter()}"),
            "list 50, one state": lambda c: c.list_documents(states=["Haryana"], limit=50),
            "facet counts by state": lambda c: c.facet_counts("states"),
            "facet counts by sector": lambda c: c.facet_counts("sector"),
        }
        samples: dict[str, dict[str, list[float]]] = {op: {n: [] for n in catalogs} for op in operations}
        for op, action in operations.items():
            for catalog in catalogs.values():
                _time(action, catalog, 3)  # warm-up
            for _ in range(rounds):  # interleaved: A B A B
                for name, catalog in catalogs.items():
                    samples[op][name].extend(_time(action, catalog, 5))
        return {"documents": documents, "fill_seconds": fill, "samples_ms": samples}
    finally:
        for catalog in catalogs.values():
            catalog.close()
        _drop(pg_name)


def _ingest_once(ingestor_for: Callable[[str | None, Path], Any], content: Path, pg: bool) -> dict[str, Any]:
    """One timed ingest of ``content`` into a fresh KB; the catalog on a fresh PostgreSQL database when ``pg``."""
    folder = Path(tempfile.mkdtemp(prefix="kb-ingest-bench-"))
    pg_name, pg_url = _pg_database() if pg else (None, None)
    try:
        ingestor, close = ingestor_for(pg_url, folder / "kb")
        try:
            load = os.getloadavg()[0]
            started = time.perf_counter()
            report = ingestor.ingest_paths([content])
            seconds = time.perf_counter() - started
        finally:
            close()
        return {
            "seconds": seconds,
            "load": load,
            "documents": len(report.added) + len(report.updated),
            "failed": len(report.failed),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if pg_name:
            _drop(pg_name)


def run_ingest(content: Path, pairs: int) -> dict[str, list[dict[str, Any]]]:
    """``kb ingest content/`` with the catalog on each backend: a warm-up pair, then ``pairs`` pairs A B."""
    from ingest.service import Ingestor
    from kb.embedding import configure_offline_runtime
    from kb.settings import Settings
    from kb.store import open_store

    configure_offline_runtime(Settings())

    def ingestor_for(url: str | None, kb_dir: Path) -> tuple[Ingestor, Callable[[], None]]:
        settings = Settings(kb_dir=kb_dir, catalog_url=url)
        store = open_store(settings)
        catalog = Catalog(settings.resolved_catalog_url())  # migrated here, outside the timing
        ingestor = Ingestor(settings, store=store, catalog=catalog)
        ingestor.warm_up()  # the first loads the model; later ones get it from the embedders' cache

        def close() -> None:
            catalog.close()
            store.close()

        return ingestor, close

    runs: dict[str, list[dict[str, Any]]] = {"sqlite": [], "postgresql": []}
    for pair in range(pairs + 1):  # pair 0 warms both up (page cache, PostgreSQL's buffers) and is not kept
        for backend in ("sqlite", "postgresql"):
            measured = _ingest_once(ingestor_for, content, backend == "postgresql")
            print(
                f"  {'warm-up' if pair == 0 else f'pair {pair}'} {backend:<10} {measured['seconds']:7.1f} s"
                f"  {measured['documents']} documents, {measured['failed']} failed, load {measured['load']:.1f}",
                flush=True,
            )
            if pair:
                runs[backend].append(measured)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ingest-pairs", type=int, default=5)
    parser.add_argument("--content", type=Path, default=Path("content"))
    args = parser.parse_args()
    if args.ingest_pairs and not args.content.is_dir():
        parser.error(f"--content {args.content}: no such folder")
    result: dict[str, Any] = {"load_at_start": os.getloadavg()}
    if args.documents:
        result["operations"] = run(args.documents, args.rounds)
        _print_operations(result["operations"])
    if args.ingest_pairs:
        result["ingest"] = run_ingest(args.content, args.ingest_pairs)
        _print_ingest(result["ingest"], args.content)
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "catalog_backends.json").write_text(json.dumps(result, indent=2))


def _print_operations(result: dict[str, Any]) -> None:
    print(
        f"{result['documents']} documents; fill: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in result["fill_seconds"].items())
    )
    print(f"{'operation':<24} {'sqlite p50 ms':>14} {'postgres p50 ms':>16} {'ratio':>6}  spread (p10-p90)")
    for op, by_backend in result["samples_ms"].items():
        lite, pg = by_backend["sqlite"], by_backend["postgresql"]
        ratio = statistics.median(pg) / statistics.median(lite)
        spread = " / ".join(f"{_q(v, 0.1):.2f}-{_q(v, 0.9):.2f}" for v in (lite, pg))
        print(f"{op:<24} {statistics.median(lite):>14.2f} {statistics.median(pg):>16.2f} {ratio:>6.2f}  {spread}")


def _print_ingest(runs: dict[str, list[dict[str, Any]]], content: Path) -> None:
    lite = [r["seconds"] for r in runs["sqlite"]]
    pg = [r["seconds"] for r in runs["postgresql"]]
    ratios = [p / s for s, p in zip(lite, pg, strict=True)]
    loads = [r["load"] for r in runs["sqlite"] + runs["postgresql"]]
    print(f"\nkb ingest {content}/: {len(lite)} pairs A B, load average {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'catalog':<12} {'median s':>9} {'min-max s':>14}")
    for name, values in (("sqlite", lite), ("postgresql", pg)):
        print(f"{name:<12} {statistics.median(values):>9.1f} {min(values):>6.1f}-{max(values):<7.1f}")
    print(
        f"PostgreSQL / SQLite: median of the pairs' ratios {statistics.median(ratios):.2f} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f}); target <= 1.20"
    )


def _q(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    main()
