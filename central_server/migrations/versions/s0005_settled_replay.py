"""replay a customer once their events settle

Revision ID: s0005
Revises: s0004
Create Date: 2026-11-22 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0005"
down_revision: str | None = "s0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dirty_customers") as batch:
        batch.add_column(sa.Column("first_marked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_marked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dirty_customers") as batch:
        batch.drop_column("last_marked_at")
        batch.drop_column("first_marked_at")
