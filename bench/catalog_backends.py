"""Catalog operations on SQLite vs PostgreSQL, interleaved, at N documents.

    .venv/bin/python -m bench.catalog_backends [--documents 10000] [--rounds 5]

Fills one SQLite and one PostgreSQL catalog with the same N synthetic documents (one version and
one section each), then times, alternating the backends (A B A B) after a warm-up: recording a new
version (intent + commit), listing a page with a state filter, and facet counts. Needs the local
PostgreSQL that scripts/pg-start starts. Prints a table and writes ``.bench/out/catalog_backends.json``.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = run(args.documents, args.rounds)
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
    out = Path(".bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "catalog_backends.json").write_text(json.dumps(result, indent=2))


def _q(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    main()
