"""tenant_feature_flags: a tenant's rules for the known feature flags

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_feature_flags",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tenant_feature_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_feature_flags_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ux_tenant_feature_flags_tenant_name", ["tenant_id", "name"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("migrations are forward-only")
