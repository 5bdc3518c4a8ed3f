"""The SQLite connection and schema of the catalog.

The catalog is the source of truth (documents, versions, sections, keys, jobs, audit); the vector
index is derived from it and can always be rebuilt (``kb reindex``). One connection per process,
guarded by a lock, because the API's background worker and request threads share it; WAL mode lets
a CLI read while the server writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    sector TEXT NOT NULL,
    states TEXT NOT NULL,           -- JSON list of canonical names
    year INTEGER,
    status TEXT NOT NULL,           -- active | withdrawn
    current_version INTEGER NOT NULL,
    source_path TEXT,               -- absolute path of the file it was ingested from (CLI), else NULL
    owner_key_id TEXT,              -- API key that created it; NULL for CLI/admin
    metadata TEXT NOT NULL,         -- JSON of the current version's metadata
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source_path);
CREATE TABLE IF NOT EXISTS versions (
    document_id TEXT NOT NULL REFERENCES documents(id),
    version INTEGER NOT NULL,
    blob_sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    fingerprint TEXT NOT NULL,      -- hash of bytes + metadata + pipeline version
    chunk_count INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (document_id, version)
);
CREATE TABLE IF NOT EXISTS sections (
    document_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL,
    heading_path TEXT NOT NULL,     -- JSON list
    page INTEGER,
    text TEXT NOT NULL,
    PRIMARY KEY (document_id, version, position)
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,             -- contributor | admin
    states TEXT NOT NULL,           -- JSON list
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,           -- queued | running | done | failed
    document_id TEXT,
    key_id TEXT,
    error TEXT,
    detail TEXT NOT NULL,           -- JSON
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS properties (
    name TEXT PRIMARY KEY,          -- e.g. index_model: the dense model the index was built with
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,            -- 'cli', 'key:<id>', 'system'
    action TEXT NOT NULL,           -- create | update | withdraw | remove | key_create | key_revoke ...
    document_id TEXT,
    version INTEGER,
    detail TEXT NOT NULL            -- JSON
);
"""


def utc_now() -> str:
    """Timestamps are ISO 8601 UTC strings: sortable, readable, portable across SQLite and JSON."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Database:
    """A lock-guarded SQLite connection with the catalog schema applied."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: everything inside commits together or not at all."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] | list[object] = ()) -> list[sqlite3.Row]:
        """Run a read and return all rows."""
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def close(self) -> None:
        """Close the connection; the object is unusable afterwards."""
        with self._lock:
            self._conn.close()
