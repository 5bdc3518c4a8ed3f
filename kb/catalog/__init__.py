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
from kb.errors import ConfigError

__all__ = ["AuditEntry", "Catalog", "DocumentRecord", "JobRecord", "KeyRecord", "VersionRecord"]


class Catalog(DocumentCatalog, KeyCatalog, JobCatalog):
    """All catalog operations over one SQLite database."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path)

    def index_model(self) -> str | None:
        """The dense model the current index was built with (None before the first document)."""
        rows = self.db.query("SELECT value FROM properties WHERE name = 'index_model'")
        return str(rows[0][0]) if rows else None

    def set_index_model(self, model: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO properties VALUES ('index_model', ?)", (model,))

    def check_index_model(self, model: str, *, index_empty: bool) -> None:
        """Refuse to mix models: vectors of two models in one index would rank as noise.

        Same dimension (MiniLM and e5-small are both 384-d) means the store cannot tell; the catalog
        remembers. An empty index adopts the configured model.
        """
        recorded = self.index_model()
        if recorded == model:
            return
        if recorded is None or index_empty:
            self.set_index_model(model)
            return
        raise ConfigError(
            f"the index was built with {recorded} but KB_DENSE_MODEL selects {model}; "
            "run `kb reindex` to rebuild it with the new model (or set KB_DENSE_MODEL back)"
        )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
