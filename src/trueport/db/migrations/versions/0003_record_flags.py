"""request_records.fallback and served_from: fallback answers, cache and idempotent replays

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_records") as batch:
        batch.add_column(sa.Column("fallback", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("served_from", sa.String(length=16), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("migrations are forward-only")
