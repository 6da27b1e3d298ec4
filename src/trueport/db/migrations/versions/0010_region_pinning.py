"""region pinning: tenants' allowed regions, tenant routes' regions, tenant credentials' region

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allowed_regions", sa.JSON(), nullable=True))
    with op.batch_alter_table("tenant_routes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regions", sa.JSON(), nullable=True))
    with op.batch_alter_table("provider_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=64), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("migrations are forward-only")
