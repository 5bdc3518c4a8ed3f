"""A real PostgreSQL for tests: fresh databases on the local server that scripts/test starts.

``KB_TEST_PG`` names the server as a libpq connection string (default: the Debian cluster's socket,
``host=/var/run/postgresql dbname=postgres``). Tests that need it skip, saying why, when no server
answers (scripts/test starts one as root; a developer without root gets the SQLite half).
"""

from __future__ import annotations

import os
import uuid
from functools import lru_cache

import psycopg
import pytest

ADMIN_DSN = os.environ.get("KB_TEST_PG", "host=/var/run/postgresql dbname=postgres")


@lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with psycopg.connect(ADMIN_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL at '{ADMIN_DSN}' ({first}); scripts/test starts it as root (pg_ctlcluster 15 main start)"
    return None


def require() -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)


def create_database(prefix: str = "kbtest", template: str | None = None) -> str:
    """A new database, empty or a copy of the database of the URL ``template`` (which nothing may be
    connected to: PostgreSQL copies it file by file); returns its SQLAlchemy URL."""
    require()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{_name(template)}"' if template else ""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    params = psycopg.conninfo.conninfo_to_dict(ADMIN_DSN)
    host = params.get("host", "/var/run/postgresql")
    port = f"&port={params['port']}" if "port" in params else ""
    user = f"{params['user']}@" if "user" in params else ""
    return f"postgresql+psycopg://{user}/{name}?host={host}{port}"


def _name(url: str) -> str:
    return url.split("/")[3].split("?")[0]


def drop_database(url: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_name(url)}" WITH (FORCE)')
