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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kb.errors import ConfigError, StorageFullError

# 2: durable jobs (the upload's original and request are stored with the job), write intents,
#    versions remember the job that made them (so a retried job is recognised).
SCHEMA_VERSION = 2

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
    job_id TEXT,                    -- the upload job that made it, NULL for CLI ingests
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
    updated_at TEXT NOT NULL,
    blob_sha256 TEXT,               -- the stored original the job ingests
    size_bytes INTEGER NOT NULL DEFAULT 0,
    request TEXT NOT NULL DEFAULT '{}',  -- JSON: filename, metadata, actor, owner, target id
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TEXT                -- a running job whose lease passed is taken up again
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created_at);
CREATE TABLE IF NOT EXISTS write_intents (
    document_id TEXT PRIMARY KEY,   -- a version being written to the index, not yet committed
    version INTEGER NOT NULL,
    started_at TEXT NOT NULL
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


# Columns added after a table first shipped: (table, column, definition) for ALTER TABLE.
_ADDED_COLUMNS = (
    ("versions", "job_id", "TEXT"),
    ("jobs", "blob_sha256", "TEXT"),
    ("jobs", "size_bytes", "INTEGER NOT NULL DEFAULT 0"),
    ("jobs", "request", "TEXT NOT NULL DEFAULT '{}'"),
    ("jobs", "attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("jobs", "lease_until", "TEXT"),
)


def utc_now(*, plus_seconds: float = 0.0) -> str:
    """Timestamps are ISO 8601 UTC strings: sortable, readable, portable across SQLite and JSON."""
    return (datetime.now(UTC) + timedelta(seconds=plus_seconds)).isoformat(timespec="seconds")


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's way of saying ENOSPC (``database or disk is full``) or an OS write failing for space."""
    if isinstance(exc, OSError) and exc.errno == 28:
        return True
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()


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
            self._conn.execute("PRAGMA synchronous=FULL")  # a commit (a 202) survives a power cut
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    def _migrate(self) -> None:
        """Create or upgrade the schema; refuse a catalog written by a newer version of the code."""
        found = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            self._conn.close()
            raise ConfigError(
                f"the catalog {self.path} has schema version {found}, newer than this program's "
                f"{SCHEMA_VERSION}; upgrade the program (it would not understand the catalog)"
            )
        self._conn.executescript(_SCHEMA)
        for table, column, definition in _ADDED_COLUMNS:
            existing = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in existing:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: everything inside commits together or not at all.

        A full disk surfaces as :class:`StorageFullError` (and the transaction is rolled back), so
        callers report it like any other refusal instead of a bare ``sqlite3`` error.
        """
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if is_disk_full(exc):
                    raise StorageFullError(f"the catalog {self.path} cannot be written: the disk is full") from exc
                raise
            try:
                yield self._conn
            except BaseException as exc:
                self._conn.execute("ROLLBACK")
                if is_disk_full(exc):
                    raise StorageFullError(f"the catalog {self.path} cannot be written: the disk is full") from exc
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if is_disk_full(exc):
                    raise StorageFullError(f"the catalog {self.path} cannot be written: the disk is full") from exc
                raise

    def query(self, sql: str, params: tuple[object, ...] | list[object] = ()) -> list[sqlite3.Row]:
        """Run a read and return all rows."""
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def close(self) -> None:
        """Close the connection; the object is unusable afterwards."""
        with self._lock:
            self._conn.close()
