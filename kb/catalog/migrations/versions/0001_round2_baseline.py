"""Round-2 catalog (durable jobs, write intents), created or adopted.

Catalogs made before Alembic (SQLite, ``PRAGMA user_version`` 1 or 2) have these tables already:
this revision creates only what is missing and adds the columns round 2 added, so an existing
catalog is adopted in place instead of being stamped blindly.

Revision ID: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

T = sa.Text


def _tables() -> dict[str, list[sa.Column[Any]]]:
    return {
        "documents": [
            sa.Column("id", T, primary_key=True),
            sa.Column("title", T, nullable=False),
            sa.Column("type", T, nullable=False),
            sa.Column("sector", T, nullable=False),
            sa.Column("states", T, nullable=False),
            sa.Column("year", sa.Integer),
            sa.Column("status", T, nullable=False),
            sa.Column("current_version", sa.Integer, nullable=False),
            sa.Column("source_path", T),
            sa.Column("owner_key_id", T),
            sa.Column("metadata", T, nullable=False),
            sa.Column("created_at", T, nullable=False),
            sa.Column("updated_at", T, nullable=False),
        ],
        "versions": [
            sa.Column("document_id", T, primary_key=True),
            sa.Column("version", sa.Integer, primary_key=True),
            sa.Column("blob_sha256", T, nullable=False),
            sa.Column("filename", T, nullable=False),
            sa.Column("media_type", T, nullable=False),
            sa.Column("size_bytes", sa.Integer, nullable=False),
            sa.Column("metadata", T, nullable=False),
            sa.Column("fingerprint", T, nullable=False),
            sa.Column("chunk_count", sa.Integer, nullable=False),
            sa.Column("created_at", T, nullable=False),
            sa.Column("created_by", T, nullable=False),
            sa.Column("job_id", T),
        ],
        "sections": [
            sa.Column("document_id", T, primary_key=True),
            sa.Column("version", sa.Integer, primary_key=True),
            sa.Column("position", sa.Integer, primary_key=True),
            sa.Column("heading_path", T, nullable=False),
            sa.Column("page", sa.Integer),
            sa.Column("text", T, nullable=False),
        ],
        "api_keys": [
            sa.Column("id", T, primary_key=True),
            sa.Column("key_hash", T, nullable=False, unique=True),
            sa.Column("role", T, nullable=False),
            sa.Column("states", T, nullable=False),
            sa.Column("label", T, nullable=False),
            sa.Column("created_at", T, nullable=False),
            sa.Column("revoked_at", T),
        ],
        "jobs": [
            sa.Column("id", T, primary_key=True),
            sa.Column("kind", T, nullable=False),
            sa.Column("status", T, nullable=False),
            sa.Column("document_id", T),
            sa.Column("key_id", T),
            sa.Column("error", T),
            sa.Column("detail", T, nullable=False),
            sa.Column("created_at", T, nullable=False),
            sa.Column("updated_at", T, nullable=False),
            *_added_job_columns(),
        ],
        "write_intents": [
            sa.Column("document_id", T, primary_key=True),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("started_at", T, nullable=False),
        ],
        "properties": [sa.Column("name", T, primary_key=True), sa.Column("value", T, nullable=False)],
        "audit": [
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", T, nullable=False),
            sa.Column("actor", T, nullable=False),
            sa.Column("action", T, nullable=False),
            sa.Column("document_id", T),
            sa.Column("version", sa.Integer),
            sa.Column("detail", T, nullable=False),
        ],
    }


def _added_job_columns() -> list[sa.Column[Any]]:
    """Job columns round 2 added (round-1 catalogs lack them)."""
    return [
        sa.Column("blob_sha256", T),
        sa.Column("size_bytes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("request", T, nullable=False, server_default="{}"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_until", T),
    ]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in _tables().items():
        if name not in existing:
            op.create_table(name, *columns)
    if "documents" not in existing:
        op.create_index("documents_source", "documents", ["source_path"])
    if "jobs" not in existing:
        op.create_index("jobs_status", "jobs", ["status", "created_at"])
    added: dict[str, list[sa.Column[Any]]] = {"versions": [sa.Column("job_id", T)], "jobs": _added_job_columns()}
    inspector = sa.inspect(op.get_bind())
    for table, columns in added.items():
        have = {c["name"] for c in inspector.get_columns(table)}
        for column in columns:
            if column.name not in have:
                op.add_column(table, column)


def downgrade() -> None:
    for name in reversed(list(_tables())):
        op.drop_table(name)
