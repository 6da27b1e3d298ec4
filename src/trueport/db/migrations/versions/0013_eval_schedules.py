"""eval suites: a cron schedule and when the suite is next due

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("eval_suites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_eval_suites_next_run_at"), ["next_run_at"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("migrations are forward-only")
