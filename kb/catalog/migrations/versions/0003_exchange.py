"""The exchange: review before publishing, visibility, adoptions and knowledge-transfer requests.

Adds ``documents.visibility`` (public | restricted) and ``api_keys.can_publish``. Contributor keys
that existed before review did keep publishing directly (``can_publish`` true), so an upgrade does
not silently change what an integration's 202 leads to; new contributor keys need a curator unless
created with ``kb keys create --publish``. ``kb keys publish KEY --off`` puts an old key under review.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("visibility", T, nullable=False, server_default="public"))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("can_publish", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE api_keys SET can_publish = TRUE WHERE role = 'contributor'")
    op.create_table(
        "submissions",
        sa.Column("id", T, primary_key=True),
        sa.Column("document_id", T, nullable=False, index=True),
        sa.Column("kind", T, nullable=False),
        sa.Column("status", T, nullable=False),
        sa.Column("key_id", T),
        sa.Column("title", T, nullable=False),
        sa.Column("states", T, nullable=False),
        sa.Column("visibility", T, nullable=False, server_default="public"),
        sa.Column("blob_sha256", T, nullable=False),
        sa.Column("filename", T, nullable=False),
        sa.Column("request", T, nullable=False),
        sa.Column("metadata", T, nullable=False),
        sa.Column("preview", T, nullable=False),
        sa.Column("warnings", T, nullable=False, server_default="[]"),
        sa.Column("note", T),
        sa.Column("decided_by", T),
        sa.Column("decided_at", T),
        sa.Column("job_id", T),
        sa.Column("publish_job_id", T),
        sa.Column("created_at", T, nullable=False),
        sa.Column("updated_at", T, nullable=False),
    )
    op.create_index("submissions_status", "submissions", ["status", "created_at"])
    op.create_table(
        "adoptions",
        sa.Column("id", T, primary_key=True),
        sa.Column("document_id", T, nullable=False, index=True),
        sa.Column("state", T, nullable=False, index=True),
        sa.Column("status", T, nullable=False),
        sa.Column("note", T, nullable=False, server_default=""),
        sa.Column("contact", T, nullable=False, server_default=""),
        sa.Column("adopter_document_id", T),
        sa.Column("key_id", T),
        sa.Column("created_at", T, nullable=False),
        sa.Column("updated_at", T, nullable=False),
        sa.UniqueConstraint("document_id", "state", name="adoptions_document_state"),
    )
    op.create_table(
        "adoption_history",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adoption_id", T, nullable=False, index=True),
        sa.Column("status", T, nullable=False),
        sa.Column("note", T, nullable=False, server_default=""),
        sa.Column("at", T, nullable=False),
        sa.Column("actor", T, nullable=False),
    )
    op.create_table(
        "knowledge_requests",
        sa.Column("id", T, primary_key=True),
        sa.Column("document_id", T, nullable=False, index=True),
        sa.Column("states", T, nullable=False),
        sa.Column("status", T, nullable=False),
        sa.Column("key_id", T),
        sa.Column("asker_states", T, nullable=False, server_default="[]"),
        sa.Column("message", T, nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("updated_at", T, nullable=False),
    )
    op.create_table(
        "request_messages",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", T, nullable=False, index=True),
        sa.Column("key_id", T),
        sa.Column("body", T, nullable=False),
        sa.Column("at", T, nullable=False),
    )


def downgrade() -> None:
    for table in ("request_messages", "knowledge_requests", "adoption_history", "adoptions", "submissions"):
        op.drop_table(table)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("can_publish")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("visibility")
