"""What officials look for: ``usage_events`` (searches, document views and downloads, without who).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text, nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("surface", sa.Text, nullable=False),
        sa.Column("query", sa.Text),
        sa.Column("filters", sa.Text, nullable=False, server_default="{}"),
        sa.Column("results", sa.Integer),
        sa.Column("matched", sa.Boolean),
        sa.Column("document_id", sa.Text, index=True),
    )


def downgrade() -> None:
    op.drop_table("usage_events")
