"""customers to replay as insert-only marks, so a push never waits for a replay

Revision ID: s0005
Revises: s0004
Create Date: 2026-11-22 13:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "s0005"
down_revision: str | None = "s0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    marks = op.create_table(
        "dirty_marks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("since", sa.String(length=96), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dirty_marks")),
    )
    op.create_index("ix_dirty_marks_customer", "dirty_marks", ["customer_id"])
    waiting = op.get_bind().execute(sa.text("SELECT customer_id, since FROM dirty_customers"))
    rows = [{"customer_id": c, "since": k, "marked_at": datetime.now(UTC)} for c, k in waiting]
    if rows:
        op.bulk_insert(marks, rows)
    op.drop_table("dirty_customers")


def downgrade() -> None:
    op.create_table(
        "dirty_customers",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("since", sa.String(length=96), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_dirty_customers")),
    )
    op.execute(
        "INSERT INTO dirty_customers (customer_id, since) "
        "SELECT customer_id, MIN(since) FROM dirty_marks GROUP BY customer_id"
    )
    op.drop_index("ix_dirty_marks_customer", table_name="dirty_marks")
    op.drop_table("dirty_marks")
