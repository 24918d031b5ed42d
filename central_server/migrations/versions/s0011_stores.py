"""stores: a till's store, staff per store, card prefixes of revoked tills freed

Revision ID: s0011
Revises: s0010
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0011"
down_revision: str | None = "s0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every till and every user so far is the store "main"'s: nothing changes for a network
    # of one store, and a second store's tills get none of these users until they are
    # given to that store or to all stores.
    with op.batch_alter_table("devices") as batch:
        batch.add_column(
            sa.Column("store", sa.String(length=40), server_default="main", nullable=False)
        )
        batch.add_column(sa.Column("released_prefix", sa.String(length=4), nullable=True))
        batch.alter_column("card_prefix", existing_type=sa.String(length=4), nullable=True)
    with op.batch_alter_table("enrol_codes") as batch:
        batch.add_column(
            sa.Column("store", sa.String(length=40), server_default="main", nullable=False)
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("store", sa.String(length=40), nullable=True))
    with op.batch_alter_table("changes") as batch:
        batch.add_column(sa.Column("store", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("not_store", sa.String(length=40), nullable=True))
    op.execute("UPDATE users SET store = 'main'")
    op.execute("UPDATE changes SET store = 'main' WHERE kind = 'user'")


def downgrade() -> None:
    with op.batch_alter_table("changes") as batch:
        batch.drop_column("not_store")
        batch.drop_column("store")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("store")
    with op.batch_alter_table("enrol_codes") as batch:
        batch.drop_column("store")
    with op.batch_alter_table("devices") as batch:
        batch.alter_column("card_prefix", existing_type=sa.String(length=4), nullable=False)
        batch.drop_column("released_prefix")
        batch.drop_column("store")
