"""route eval suites: the route called, max_tokens and the eval key; a run's route and cost

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("eval_suites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("max_tokens", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("cost_usd", sa.Numeric(precision=20, scale=10), nullable=False, server_default="0")
        )


def downgrade() -> None:
    raise NotImplementedError("migrations are forward-only")
