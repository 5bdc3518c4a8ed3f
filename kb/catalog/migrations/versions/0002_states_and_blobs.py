"""document_states (portable state filters and facets) and originals stored in the database.

``document_states`` replaces SQLite's ``json_each`` over ``documents.states``; it is filled from
the documents already there. ``blobs`` / ``blob_chunks`` hold originals in 1 MB pieces for shared
deployments (unused while originals stay in the local folder).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    states = op.create_table(
        "document_states",
        sa.Column("document_id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, primary_key=True),
    )
    op.create_index("document_states_state", "document_states", ["state"])
    rows = op.get_bind().execute(sa.text("SELECT id, states FROM documents")).all()
    pairs = {(str(doc_id), str(state)) for doc_id, raw in rows for state in json.loads(raw or "[]")}
    if pairs:
        op.bulk_insert(states, [{"document_id": d, "state": s} for d, s in sorted(pairs)])
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("pieces", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("blob_id", sa.Text, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blob_chunks")
    op.drop_table("blobs")
    op.drop_table("document_states")
