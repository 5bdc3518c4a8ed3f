"""Sections remember whether their text was read by OCR, and the engine's confidence there.

``kb reindex`` and the consistency repair rebuild chunks from the catalog's sections; without these
columns a rebuilt index lost every chunk's ``ocr`` flag and ``ocr_confidence``. Sections stored
before this migration are text-layer sections (``ocr`` false) unless their document is ingested
again; the migration cannot tell an old OCR section from the catalog alone.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sections") as batch:
        batch.add_column(sa.Column("ocr", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("ocr_confidence", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("sections") as batch:
        batch.drop_column("ocr_confidence")
        batch.drop_column("ocr")
