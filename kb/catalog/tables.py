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
    # public | restricted (read only by keys of the document's states and admins); a column, not
    # only metadata, so listings and facet counts can leave restricted documents out in SQL
    sa.Column("visibility", sa.Text, nullable=False, server_default="public"),
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
    # text read by OCR and the engine's mean word confidence (0-100): reindex keeps the chunk flags
    sa.Column("ocr", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("ocr_confidence", sa.Float),
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
    # publish without review (trusted state IT teams); admins always may
    sa.Column("can_publish", sa.Boolean, nullable=False, server_default=sa.false()),
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

# -- the exchange ------------------------------------------------------------------------------

# A contributor's new document or new version waiting for a curator: the original and the request
# that would publish it are kept, nothing is indexed until a curator approves (then an ordinary
# ingestion job publishes it, and the previous published version stays visible until that moment).
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("document_id", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),  # create | update
    # submitted | changes_requested | rejected | approved | published | superseded
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("key_id", sa.Text),  # who submitted it (the owner of a new document)
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("states", sa.Text, nullable=False),  # JSON list: whose curators decide
    sa.Column("visibility", sa.Text, nullable=False, server_default="public"),
    sa.Column("blob_sha256", sa.Text, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("request", sa.Text, nullable=False),  # JSON: the job request that publishes it
    sa.Column("metadata", sa.Text, nullable=False),  # JSON: the validated metadata
    sa.Column("preview", sa.Text, nullable=False),  # JSON: converted sections, for the reviewer
    sa.Column("warnings", sa.Text, nullable=False, server_default="[]"),  # JSON list of strings
    sa.Column("note", sa.Text),  # the curator's last note
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.Text),
    sa.Column("job_id", sa.Text),  # the job that prepared it
    sa.Column("publish_job_id", sa.Text),  # the job that publishes it, once approved
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)

# A state taking up another state's practice: one row per (practice, adopting state), its changes
# in adoption_history so "piloting since March, adopted in October" stays readable.
adoptions = sa.Table(
    "adoptions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("document_id", sa.Text, nullable=False, index=True),
    sa.Column("state", sa.Text, nullable=False, index=True),
    sa.Column("status", sa.Text, nullable=False),  # exploring | piloting | adopted | dropped
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("contact", sa.Text, nullable=False, server_default=""),
    sa.Column("adopter_document_id", sa.Text),  # the adopting state's own write-up, if any
    sa.Column("key_id", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.UniqueConstraint("document_id", "state", name="adoptions_document_state"),
)

adoption_history = sa.Table(
    "adoption_history",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("adoption_id", sa.Text, nullable=False, index=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
)

# An official asking the owning state about a practice; the owner state's people answer or close.
knowledge_requests = sa.Table(
    "knowledge_requests",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("document_id", sa.Text, nullable=False, index=True),
    sa.Column("states", sa.Text, nullable=False),  # JSON: the owning states, whose inbox it is in
    sa.Column("status", sa.Text, nullable=False),  # open | answered | closed
    sa.Column("key_id", sa.Text),  # who asked
    sa.Column("asker_states", sa.Text, nullable=False, server_default="[]"),  # JSON
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)

request_messages = sa.Table(
    "request_messages",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.Text, nullable=False, index=True),
    sa.Column("key_id", sa.Text),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
)

# What officials look for (issue 17): one row per search, document view or download. Deliberately no
# key, no client address, no user agent: the rows say what was sought and read, never by whom.
usage_events = sa.Table(
    "usage_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),  # search | view | download
    sa.Column("surface", sa.Text, nullable=False),  # api | web | assistant
    sa.Column("query", sa.Text),  # normalised (lower case, single spaces, at most 200 characters)
    sa.Column("filters", sa.Text, nullable=False, server_default="{}"),  # JSON
    sa.Column("results", sa.Integer),
    sa.Column("matched", sa.Boolean),  # anything passed the relevance floor
    sa.Column("document_id", sa.Text, index=True),
)
