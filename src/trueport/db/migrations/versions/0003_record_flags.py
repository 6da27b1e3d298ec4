"""Record flags (fallback, served_from) and the guard_violations table

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
    op.create_table(
        "guard_violations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=True),
        sa.Column("key_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("detector", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Numeric(6, 4, asdecimal=False), nullable=False),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_guard_violations_request_id", "guard_violations", ["request_id"])
    op.create_index("ix_guard_violations_tenant_created", "guard_violations", ["tenant_id", "created_at"])


def downgrade() -> None:
    raise NotImplementedError("migrations are forward-only")
