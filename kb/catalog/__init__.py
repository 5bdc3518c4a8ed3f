"""The catalog: the SQLite source of truth for documents, versions, sections, keys, jobs and audit.

Only this package talks to SQLite. The vector index is derived from what is here plus the original
files in the blob store, so ``kb reindex`` can always rebuild it.
"""

from __future__ import annotations

from pathlib import Path

from kb.catalog.db import Database
from kb.catalog.documents import DocumentCatalog
from kb.catalog.jobs import JobCatalog
from kb.catalog.keys import KeyCatalog
from kb.catalog.records import AuditEntry, DocumentRecord, JobRecord, KeyRecord, VersionRecord

__all__ = ["AuditEntry", "Catalog", "DocumentRecord", "JobRecord", "KeyRecord", "VersionRecord"]


class Catalog(DocumentCatalog, KeyCatalog, JobCatalog):
    """All catalog operations over one SQLite database."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
