"""a return's points are called what a receipt's running totals call them: points taken
back and points given back (the returns table said points_taken and points_returned).
Only the ledger's column names change; a return event keeps its recorded names

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 11:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's own RENAME COLUMN (3.25+): in place, with no copy of a table that return lines
# and reports point at.
_NAMES = (("points_taken", "points_taken_back"), ("points_returned", "points_given_back"))


def upgrade() -> None:
    for old, new in _NAMES:
        op.execute(f"ALTER TABLE returns RENAME COLUMN {old} TO {new}")


def downgrade() -> None:
    for old, new in _NAMES:
        op.execute(f"ALTER TABLE returns RENAME COLUMN {new} TO {old}")
