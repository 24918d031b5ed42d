"""automatic events on the server: each account's next due moment

Revision ID: s0006
Revises: s0005
Create Date: 2026-11-23 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0006"
down_revision: str | None = "s0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_accounts_next_due_at", ["next_due_at"], unique=False)
    # Unknown until each account is replayed again: look at every one once, from the moment
    # of its last replay (a look that changes nothing sends nothing to the tills).
    op.execute("UPDATE accounts SET next_due_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_next_due_at")
        batch_op.drop_column("next_due_at")
