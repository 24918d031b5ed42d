"""the groups report finds the customers' group moves of a period from an index of those
events alone (a partial index: the millions of sales are not in it, and a sale writes
nothing more)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 08:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_group_moves",
        "events",
        ["at"],
        sqlite_where=sa.text("kind = 'customer_group_changed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_group_moves", table_name="events")
