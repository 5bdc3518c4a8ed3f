"""Alembic environment: run the migrations on the connection the catalog hands over.

The caller (:func:`kb.catalog.schema.upgrade`) opens the transaction, takes the migration lock and
passes the connection in ``config.attributes``, so a migration commits with the caller or not at all.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
