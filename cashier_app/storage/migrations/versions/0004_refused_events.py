"""operations the central server refused: the till's dead-letter list

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refused_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("refused_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("sent_as_seq", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_refused_events_event_id_events")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_refused_events")),
    )


def downgrade() -> None:
    op.drop_table("refused_events")
