"""anonymised customers: when a customer's personal data was erased, and the erased phones
(as one-way hashes), so a registration made before the erasure at an offline till and
pushed after it is erased on arrival instead of bringing the person back; the feed's
changes found by their key

Revision ID: s0012
Revises: s0011
Create Date: 2026-11-23 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0012"
down_revision: str | None = "s0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "anonymised_phones",
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_hash", name=op.f("pk_anonymised_phones")),
    )
    # An erasure rewrites the customer's earlier changes in the feed: found by their key.
    with op.batch_alter_table("changes") as batch:
        batch.create_index(batch.f("ix_changes_key"), ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("changes") as batch:
        batch.drop_index(batch.f("ix_changes_key"))
    op.drop_table("anonymised_phones")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("anonymised_at")
