"""The catalog's database connection: SQLite (the embedded default) or PostgreSQL, by URL.

The catalog is the source of truth (documents, versions, sections, keys, jobs, audit); the vector
index is derived from it and can always be rebuilt (``kb reindex``). Queries are SQLAlchemy Core,
written once for both databases; what differs lives here:

- **SQLite**: one connection per process, guarded by a lock (the API's worker and request threads
  share it); WAL lets a CLI read while the server writes; writes start with ``BEGIN IMMEDIATE`` so
  two processes never both read-then-write (the version number and job claims rely on that).
- **PostgreSQL**: a connection pool, READ COMMITTED transactions; writers that must not interleave
  take row locks (``FOR UPDATE``, ``SKIP LOCKED`` for job claims) or a per-document advisory lock.

A full disk becomes :class:`~kb.errors.StorageFullError` on either, and the transaction is rolled back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from kb.errors import StorageFullError

DISK_FULL_SQLSTATE = "53100"  # PostgreSQL's disk_full


def utc_now(*, plus_seconds: float = 0.0) -> str:
    """Timestamps are ISO 8601 UTC strings: sortable, readable, portable across databases and JSON."""
    return (datetime.now(UTC) + timedelta(seconds=plus_seconds)).isoformat(timespec="seconds")


def catalog_url(target: Path | str) -> str:
    """A SQLAlchemy URL for a catalog given as a URL or as the path of a SQLite file."""
    if isinstance(target, str) and "://" in target:
        return target
    return f"sqlite:///{Path(target)}"


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC from the OS, SQLite's ``database or disk is full``, or PostgreSQL's SQLSTATE 53100."""
    if isinstance(exc, OSError) and exc.errno == 28:
        return True
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(orig, "sqlstate", None) == DISK_FULL_SQLSTATE:
        return True
    return type(orig).__name__ == "OperationalError" and "full" in str(orig).lower()


class Database:
    """An engine for the catalog URL plus the few things that differ between SQLite and PostgreSQL."""

    def __init__(self, target: Path | str) -> None:
        """Connect (lazily); the schema is checked by whoever opens it (:func:`kb.catalog.schema.ensure_schema`)."""
        self.url = catalog_url(target)
        parsed = sa.make_url(self.url)
        self.dialect = parsed.get_backend_name()
        self.path: Path | None = Path(parsed.database) if self.dialect == "sqlite" and parsed.database else None
        self.where = str(self.path) if self.path else parsed.render_as_string(hide_password=True)
        if self.dialect == "sqlite":
            self.engine = self._sqlite_engine()
            self._lock: AbstractContextManager[Any] | threading.RLock = threading.RLock()
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10)
            self._lock = nullcontext()

    def _sqlite_engine(self) -> Engine:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            self.url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
                dbapi_conn.execute(f"PRAGMA {pragma}")  # FULL: a commit (a 202) survives a power cut

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("kb_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit of work: everything inside commits together or not at all.

        A full disk surfaces as :class:`StorageFullError` (and the transaction is rolled back), so
        callers report it like any other refusal instead of a bare driver error.
        """
        with self._lock:
            try:
                with self.engine.connect().execution_options(kb_write=True) as conn, conn.begin():
                    yield conn
            except BaseException as exc:
                if is_disk_full(exc):
                    raise StorageFullError(f"the catalog {self.where} cannot be written: the disk is full") from exc
                raise

    def query(self, statement: sa.Executable, params: Mapping[str, Any] | None = None) -> list[RowMapping]:
        """Run a read and return all rows, by column name."""
        with self._lock, self.engine.connect() as conn:
            return list(conn.execute(statement, dict(params or {})).mappings().all())

    def scalar(self, statement: sa.Executable) -> Any:
        """The first column of the first row of a read (None without rows)."""
        with self._lock, self.engine.connect() as conn:
            return conn.execute(statement).scalar()

    def lock_document(self, conn: Connection, document_id: str) -> None:
        """Serialise writers of one document until the transaction ends (also before its first row).

        SQLite's ``BEGIN IMMEDIATE`` already serialises all writers; PostgreSQL takes an advisory
        transaction lock keyed on the id, which covers a document that does not exist yet (where a
        ``FOR UPDATE`` would find no row to lock).
        """
        if self.dialect == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(document_id, 0))))

    def upsert(self, conn: Connection, table: sa.Table, values: Mapping[str, Any], keys: Sequence[str]) -> None:
        """Insert a row or update the existing one with the same ``keys`` (no ``INSERT OR REPLACE``)."""
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(table).values(**values)
        update = {k: statement.excluded[k] for k in values if k not in keys}
        conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=update))

    def close(self) -> None:
        """Release the connections; the object is unusable afterwards."""
        with self._lock:
            self.engine.dispose()
