"""replay in the background

Revision ID: s0004
Revises: s0003
Create Date: 2026-11-22 11:35:13.019752
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0004"
down_revision: str | None = "s0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dirty_customers",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("since", sa.String(length=96), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_dirty_customers")),
    )


def downgrade() -> None:
    op.drop_table("dirty_customers")
