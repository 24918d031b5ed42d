"""the customer base filters and sorts a million customers by name, consent, balance and
tier basis from indexes (the balance and tier basis ones are kept up by each sale's
projection update: a few microseconds a sale)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 08:25:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customers_name", "customers", ["name"])
    op.create_index("ix_customers_consent_at", "customers", ["consent_at"])
    op.create_index("ix_accounts_balance", "accounts", ["balance"])
    op.create_index("ix_accounts_tier_basis", "accounts", ["tier_basis"])


def downgrade() -> None:
    op.drop_index("ix_accounts_tier_basis", table_name="accounts")
    op.drop_index("ix_accounts_balance", table_name="accounts")
    op.drop_index("ix_customers_consent_at", table_name="customers")
    op.drop_index("ix_customers_name", table_name="customers")
