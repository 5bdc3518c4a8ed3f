"""``kb db upgrade``: bring the catalog's schema to this program's version (Alembic migrations).

An empty database is migrated automatically when any command opens it, and a SQLite catalog of one
owner is upgraded in place; a shared PostgreSQL catalog at an older revision waits for this command,
so an operator upgrades it once, not every replica at start-up at the same time.
"""

from __future__ import annotations

from pathlib import Path

import click

from search.cli.common import kb_dir_option, make_settings


@click.group("db")
def db() -> None:
    """The catalog database (KB_CATALOG_URL, default SQLite under KB_DIR)."""


@db.command("upgrade")
@kb_dir_option
def upgrade(kb_dir: Path | None) -> None:
    """Migrate the catalog to this program's schema (refuses one written by a newer program)."""
    import sqlalchemy as sa

    from kb.catalog.schema import upgrade_catalog

    url = make_settings(kb_dir).resolved_catalog_url()
    before, after = upgrade_catalog(url)
    where = sa.make_url(url).render_as_string(hide_password=True)
    if before == after:
        click.echo(f"the catalog {where} is up to date (schema {after})")
    else:
        click.echo(f"upgraded the catalog {where} from schema {before or 'none'} to {after}")
