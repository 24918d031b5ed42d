"""each receipt of a customer holds when that customer first bought here, so the sales
report tells new from loyal customers by reading the moment index alone (a year of a
million receipts) instead of asking, receipt by receipt, whether the customer bought before

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ["at", "customer_id", "total", "discount", "redeemed"]
_AFTER = [*_BEFORE, "first_purchase_at"]


def upgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_purchase_at", sa.DateTime(), nullable=True))
    # The moments are copied as stored (UTC text), never read back into values.
    receipts = sa.table(
        "receipts", sa.column("customer_id"), sa.column("at"), sa.column("first_purchase_at")
    )
    earlier = receipts.alias("earlier")
    first = (
        sa.select(sa.func.min(earlier.c.at))
        .where(earlier.c.customer_id == receipts.c.customer_id)
        .scalar_subquery()
    )
    op.execute(
        receipts.update().where(receipts.c.customer_id.is_not(None)).values(first_purchase_at=first)
    )
    op.drop_index("ix_receipts_at", table_name="receipts")
    op.create_index("ix_receipts_at", "receipts", _AFTER)


def downgrade() -> None:
    op.drop_index("ix_receipts_at", table_name="receipts")
    op.create_index("ix_receipts_at", "receipts", _BEFORE)
    # SQLite's own DROP COLUMN (3.35+): a batch copy of receipts would trip the foreign
    # keys of its lines and returns.
    op.execute("ALTER TABLE receipts DROP COLUMN first_purchase_at")
