"""Schema by Alembic: a round-2 catalog is adopted in place, a newer schema refused, `kb db upgrade`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from kb.catalog import Catalog
from kb.catalog.schema import USER_VERSION, _config, current_revision, head_revision
from kb.errors import ConfigError
from search.cli import main
from tests.kb import pg

ROUND2 = Path(__file__).parent / "fixtures" / "round2_catalog.sql"


def test_a_round2_catalog_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    script = ROUND2.read_text(encoding="utf-8")
    plaintext = script.splitlines()[1].split(": ")[1]
    with sqlite3.connect(path) as conn:
        conn.executescript(script)
    with Catalog(path) as catalog:
        assert current_revision(catalog.db) == head_revision()
        assert [d.id for d in catalog.list_documents(states=["Punjab"])[0]] == ["cm-window"]  # states backfilled
        assert catalog.facet_counts("states") == {"Haryana": 1, "Punjab": 1}
        assert [v.version for v in catalog.versions("cm-window")] == [1, 2]
        assert catalog.require_document("jk-grievance").status == "withdrawn"
        assert catalog.verify_key(plaintext) is not None
        assert catalog.queue_load() == (1, 5, 0) and catalog.write_intents() == {"cm-window": 3}
        assert catalog.index_model() == "sentence-transformers/all-MiniLM-L6-v2"
        assert catalog.begin_write("cm-window") == 3
    with sqlite3.connect(path) as conn:  # round-2 code (user_version 2 at most) now refuses it
        assert conn.execute("PRAGMA user_version").fetchone()[0] == USER_VERSION


def test_a_newer_schema_is_refused(catalog_url: str) -> None:
    Catalog(catalog_url).close()
    engine = sa.create_engine(catalog_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        with pytest.raises(ConfigError, match="newer than this program"):
            Catalog(catalog_url)
        result = CliRunner().invoke(main, ["db", "upgrade"], env={"KB_CATALOG_URL": catalog_url})
        assert result.exit_code == 1 and "newer than this program" in result.output
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})
        engine.dispose()


def test_an_older_shared_catalog_waits_for_kb_db_upgrade() -> None:
    url = pg.create_database()
    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0001")
        engine.dispose()
        with pytest.raises(ConfigError, match="kb db upgrade"):
            Catalog(url)
        result = CliRunner().invoke(main, ["db", "upgrade"], env={"KB_CATALOG_URL": url})
        assert result.exit_code == 0 and f"from schema 0001 to {head_revision()}" in result.output
        with Catalog(url) as catalog:
            assert catalog.list_documents() == ([], 0)
    finally:
        pg.drop_database(url)
