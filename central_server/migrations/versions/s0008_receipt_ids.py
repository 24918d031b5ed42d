"""every sale's receipt id, once (a receipt id used again is refused)

Revision ID: s0008
Revises: s0007
Create Date: 2026-11-23 03:10:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0008"
down_revision: str | None = "s0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "receipt_ids",
        sa.Column("receipt_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id", name=op.f("pk_receipt_ids")),
    )
    events = sa.table(
        "events", sa.column("id", sa.String), sa.column("kind", sa.String), sa.column("payload")
    )
    conn = op.get_bind()
    seen: dict[str, str] = {}
    for event_id, payload in conn.execute(
        sa.select(events.c.id, events.c.payload).where(events.c.kind == "sale")
    ):
        try:
            receipt = json.loads(payload).get("receipt_id")
        except (ValueError, AttributeError):
            continue
        if isinstance(receipt, str) and len(receipt) <= 36:
            seen.setdefault(receipt, event_id)
    if seen:
        op.bulk_insert(table, [{"receipt_id": r, "event_id": e} for r, e in seen.items()])


def downgrade() -> None:
    op.drop_table("receipt_ids")
