"""The catalog's tables, defined once for SQLAlchemy Core (SQLite and PostgreSQL alike).

These definitions are what the code queries; the schema in a database is made by the Alembic
migrations in :mod:`kb.catalog.migrations` (which freeze each step, so they do not import this).
Timestamps are ISO 8601 UTC strings and lists/objects JSON text, as in round 1: sortable, readable
and identical on both databases, so the records built from rows do not depend on the backend.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("sector", sa.Text, nullable=False),
    sa.Column("states", sa.Text, nullable=False),  # JSON list, as returned; filtered through document_states
    sa.Column("year", sa.Integer),
    sa.Column("status", sa.Text, nullable=False),  # active | withdrawn
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("source_path", sa.Text, index=True),
    sa.Column("owner_key_id", sa.Text),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)

# One row per (document, state): state filters and facets become plain joins on any database
# (round 1 used SQLite's json_each over documents.states).
document_states = sa.Table(
    "document_states",
    metadata,
    sa.Column("document_id", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, primary_key=True, index=True),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("document_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("blob_sha256", sa.Text, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("chunk_count", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("job_id", sa.Text),
)

sections = sa.Table(
    "sections",
    metadata,
    sa.Column("document_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("heading_path", sa.Text, nullable=False),
    sa.Column("page", sa.Integer),
    sa.Column("text", sa.Text, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("key_hash", sa.Text, nullable=False, unique=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("states", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.Text),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # queued | running | done | failed
    sa.Column("document_id", sa.Text),
    sa.Column("key_id", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.Column("blob_sha256", sa.Text),
    sa.Column("size_bytes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("request", sa.Text, nullable=False, server_default="{}"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_until", sa.Text),
)

write_intents = sa.Table(
    "write_intents",
    metadata,
    sa.Column("document_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Text, nullable=False),
)

properties = sa.Table(
    "properties",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("document_id", sa.Text),
    sa.Column("version", sa.Integer),
    sa.Column("detail", sa.Text, nullable=False),
)

# Originals kept in the database (a shared deployment has no shared folder): a blob row once the
# whole file is in, its bytes as pieces of at most 1 MB, so neither side ever holds a file twice.
blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("pieces", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)

blob_chunks = sa.Table(
    "blob_chunks",
    metadata,
    sa.Column("blob_id", sa.Text, primary_key=True),  # the sha256, or an upload's temporary id until complete
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
