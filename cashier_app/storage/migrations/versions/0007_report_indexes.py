"""the reports read the receipts and the lot movements of a period from their indexes
alone: the moment indexes also hold what the reports sum (a receipt's customer, total,
discount and redeemed points; a movement's lot and points), and the shift index what the
shift report sums, so a year of a million receipts is read in index order instead of a
million scattered table rows; and the customers' birthdays are indexed by month and day,
which the birthdays report asks for

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same names and leading columns as before, so every query that used them still does;
# no index is added to what a sale writes.
_RECEIPTS = ["at", "customer_id", "total", "discount", "redeemed"]
_MOVEMENTS = ["at", "kind", "lot_id", "points"]
_SHIFTS = ["shift_id", "total", "discount", "redeemed", "accrued"]
# A birthday is stored as ISO text: its month and day are its last five characters.
_BIRTHDAY_DAY = "substr(birthday, 6, 5)"


def upgrade() -> None:
    op.drop_index("ix_receipts_at", table_name="receipts")
    op.create_index("ix_receipts_at", "receipts", _RECEIPTS)
    op.drop_index("ix_lot_movements_at_kind", table_name="lot_movements")
    op.create_index("ix_lot_movements_at_kind", "lot_movements", _MOVEMENTS)
    op.drop_index("ix_receipts_shift", table_name="receipts")
    op.create_index("ix_receipts_shift", "receipts", _SHIFTS)
    op.create_index("ix_customers_birthday_day", "customers", [sa.text(_BIRTHDAY_DAY)])


def downgrade() -> None:
    op.drop_index("ix_customers_birthday_day", table_name="customers")
    op.drop_index("ix_receipts_shift", table_name="receipts")
    op.create_index("ix_receipts_shift", "receipts", ["shift_id"])
    op.drop_index("ix_lot_movements_at_kind", table_name="lot_movements")
    op.create_index("ix_lot_movements_at_kind", "lot_movements", ["at", "kind"])
    op.drop_index("ix_receipts_at", table_name="receipts")
    op.create_index("ix_receipts_at", "receipts", ["at"])
