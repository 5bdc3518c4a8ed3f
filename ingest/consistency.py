"""Do the catalog and the index agree? ``kb check`` asks, ``kb check --repair`` mends.

The catalog is the source of truth; the index must hold, for every active document, exactly the
chunks of its current version, and nothing for any other document. Disagreement can only come from a
crash or a failure between the index write and the catalog commit (see ``Ingestor._store``), or from
someone editing one of them by hand; start-up reconciliation handles the first through write intents,
this module finds every kind.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ingest.service import Ingestor
from kb.catalog import Catalog
from kb.store import ChunkStore


@dataclass
class ConsistencyReport:
    """What disagrees, by document id; empty lists mean the index matches the catalog."""

    documents: int = 0
    chunks: int = 0
    orphans: list[str] = field(default_factory=list)  # in the index, not active in the catalog
    missing: list[str] = field(default_factory=list)  # active in the catalog, no chunks in the index
    mismatched: list[str] = field(default_factory=list)  # chunks of another version, or too few/many
    pending: list[str] = field(default_factory=list)  # a write intent left by an interrupted write
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Every document that needs reconciling, once each, in a stable order."""
        return sorted(set(self.orphans) | set(self.missing) | set(self.mismatched) | set(self.pending))

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "documents": self.documents,
            "chunks": self.chunks,
            "orphans": self.orphans,
            "missing": self.missing,
            "mismatched": self.mismatched,
            "pending": self.pending,
            "repaired": self.repaired,
        }


def check_consistency(catalog: Catalog, store: ChunkStore) -> ConsistencyReport:
    """Compare every active document's current version with the chunks the index holds for it."""
    expected = {r.id: r for r in catalog.all_active()}
    chunk_counts = {r.id: catalog.version(r.id).chunk_count for r in expected.values()}
    found: Counter[str] = Counter()
    wrong_version: set[str] = set()
    for chunk in store.scroll():
        meta = chunk.meta
        document_id = str(meta.get("document_id"))
        found[document_id] += 1
        record = expected.get(document_id)
        if record is not None and meta.get("version") != record.current_version:
            wrong_version.add(document_id)
    report = ConsistencyReport(documents=len(expected), chunks=sum(found.values()))
    report.orphans = sorted(d for d in found if d not in expected)
    report.missing = sorted(d for d in expected if found[d] == 0)
    report.mismatched = sorted(d for d in expected if found[d] and (d in wrong_version or found[d] != chunk_counts[d]))
    report.pending = sorted(catalog.write_intents())
    return report


def repair(ingestor: Ingestor, report: ConsistencyReport) -> ConsistencyReport:
    """Reconcile every document the report names (index rebuilt from the catalog, stored vectors reused)."""
    for document_id in report.problems:
        ingestor.reconcile(document_id)
        report.repaired.append(document_id)
    return report
