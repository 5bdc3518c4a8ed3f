"""Schema management: Alembic migrations run from code, adopted round-1/2 catalogs, newer ones refused.

Opening a catalog (:func:`ensure_schema`) never guesses:

- an empty database is migrated to the newest revision at once (``kb serve`` and ``kb ingest`` on a
  fresh PostgreSQL need no separate step);
- a SQLite catalog made by earlier code (``PRAGMA user_version`` 1 or 2, no ``alembic_version``) or
  at an older revision is upgraded in place, as round 1 did: it has one owner, so nobody races it;
- a PostgreSQL catalog at an older revision is refused with "run kb db upgrade": several replicas
  may share it, and an operator should decide when its schema changes;
- a revision this code does not know (written by a newer program) is refused on both.

Migrations run in one transaction under a lock (PostgreSQL advisory lock, SQLite ``BEGIN
IMMEDIATE``), so two processes that start together migrate once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from kb.catalog.db import Database
from kb.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
LEGACY_USER_VERSION = 2  # round 2's PRAGMA user_version, the last before Alembic
USER_VERSION = 3  # set after migrating, so round-2 code refuses a catalog it no longer understands
_MIGRATION_LOCK = 0x6B625F6462  # "kb_db": the advisory lock id for migrations on PostgreSQL


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


@lru_cache(maxsize=1)
def _revisions() -> tuple[str, frozenset[str]]:
    """(head, all revisions) of the shipped scripts, read once per process (every open checks them)."""
    script = ScriptDirectory.from_config(_config())
    head = script.get_current_head()
    assert head is not None
    return head, frozenset(s.revision for s in script.walk_revisions())


def head_revision() -> str:
    """The newest revision this code ships."""
    return _revisions()[0]


def _known(revision: str) -> bool:
    return revision in _revisions()[1]


def current_revision(db: Database) -> str | None:
    """The revision the database is at (None: empty, or a catalog from before Alembic)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _state(conn: Connection, dialect: str) -> tuple[str | None, bool, int]:
    """(revision, has tables, SQLite user_version) as one consistent read."""
    revision = MigrationContext.configure(conn).get_current_revision()
    tables = bool(sa.inspect(conn).get_table_names())
    user_version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0) if dialect == "sqlite" else 0
    return revision, tables, user_version


def _refuse_newer(db: Database, revision: str | None, user_version: int) -> None:
    if (revision is not None and not _known(revision)) or user_version > USER_VERSION:
        found = revision or f"user_version {user_version}"
        raise ConfigError(
            f"the catalog {db.where} has schema {found}, newer than this program's {head_revision()}; "
            "upgrade the program (it would not understand the catalog)"
        )


def upgrade(db: Database) -> tuple[str | None, str]:
    """Migrate to the newest revision (``kb db upgrade``); returns (before, after)."""
    with db.engine.connect().execution_options(kb_write=True) as conn, conn.begin():
        if db.dialect == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        before, _tables, user_version = _state(conn, db.dialect)
        _refuse_newer(db, before, user_version)
        command.upgrade(_config(conn), "head")
        if db.dialect == "sqlite":
            conn.exec_driver_sql(f"PRAGMA user_version={USER_VERSION}")
    return before, head_revision()


def upgrade_catalog(target: str) -> tuple[str | None, str]:
    """``kb db upgrade``: migrate the catalog at ``target`` (a URL or SQLite path); (before, after)."""
    db = Database(target)
    try:
        return upgrade(db)
    finally:
        db.close()


def open_database(target: str | Path) -> Database:
    """A :class:`Database` whose schema this code understands (migrated if it may be), else ConfigError."""
    db = Database(target)
    try:
        ensure_schema(db)
    except BaseException:
        db.close()
        raise
    return db


def ensure_schema(db: Database) -> None:
    """Called on every open: migrate what may be migrated unattended, refuse the rest (module doc)."""
    with db.engine.connect() as conn:
        revision, tables, user_version = _state(conn, db.dialect)
        conn.rollback()
    _refuse_newer(db, revision, user_version)
    if revision == head_revision():
        return
    if not tables or db.dialect == "sqlite":
        upgrade(db)
        return
    raise ConfigError(
        f"the catalog {db.where} has schema {revision or 'from before migrations'}, older than this "
        f"program's {head_revision()}; run `kb db upgrade` once (stop or upgrade the other processes first)"
    )
