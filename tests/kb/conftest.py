"""Catalog fixtures over both databases: every test that takes ``catalog_url`` runs on SQLite and PostgreSQL.

PostgreSQL gets one fresh database per test module (creating one per test would cost more than the
tests); each test starts from empty tables, so tests stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb.catalog import Catalog
from kb.catalog.tables import metadata
from tests.kb import pg


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` for SQLite, else the URL of this module's PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    url = pg.create_database()
    try:
        yield url
    finally:
        pg.drop_database(url)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database for this module only (tests of PostgreSQL behaviour: locks, SKIP LOCKED)."""
    url = pg.create_database()
    try:
        yield url
    finally:
        pg.drop_database(url)


def empty_tables(url: str) -> None:
    """Delete every row (the schema stays), so a test sees a fresh catalog in a shared database."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            for table in reversed(metadata.sorted_tables):
                if table.name in existing:
                    conn.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture
def catalog_url(backend: str | None, tmp_path: Path) -> str:
    """An empty catalog's URL on this module's backend."""
    if backend is None:
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    empty_tables(backend)
    return backend


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    with Catalog(catalog_url) as opened:
        yield opened
