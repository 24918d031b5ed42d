"""card numbers, once each: a card another customer holds is not handed on

Revision ID: s0010
Revises: s0009
Create Date: 2026-11-23 03:30:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0010"
down_revision: str | None = "s0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    numbers = op.create_table(
        "card_numbers",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_card_numbers")),
    )
    op.create_table(
        "card_conflicts",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_card_conflicts")),
    )
    # The cards the customers hold now; a card two customers were given keeps the first
    # (by id) and is taken off the others, whose data the snapshot sends.
    customers = sa.table(
        "customers", sa.column("id", sa.String), sa.column("phone"), sa.column("data")
    )
    conn = op.get_bind()
    held: dict[str, str] = {}
    for cid, phone, data in conn.execute(
        sa.select(customers.c.id, customers.c.phone, customers.c.data).order_by(customers.c.id)
    ):
        doc = json.loads(data)
        cards = [c for c in doc.get("cards") or [] if isinstance(c, str) and len(c) <= 32]
        mine = [c for c in cards if held.setdefault(c, phone) == phone]
        if mine != (doc.get("cards") or []):
            doc["cards"] = mine
            conn.execute(
                customers.update()
                .where(customers.c.id == cid)
                .values(data=json.dumps(doc, ensure_ascii=False))
            )
    if held:
        op.bulk_insert(numbers, [{"number": n, "phone": p} for n, p in held.items()])


def downgrade() -> None:
    op.drop_table("card_conflicts")
    op.drop_table("card_numbers")
