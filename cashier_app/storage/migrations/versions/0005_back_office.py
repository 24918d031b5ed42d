"""the manager's back office: an append-only audit log with the acting user and till,
local settings (backups), anonymised customers, and the indexes the reports read by

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("till", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
    # Written after the batch (it rebuilds the table, and its triggers with it).
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    op.create_table(
        "local_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_local_settings")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_customers_registered_at"), ["registered_at"])
        batch_op.create_index(batch_op.f("ix_customers_group_id"), ["group_id"])
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_last_purchase_at"), ["last_purchase_at"])
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_returns_at"), ["at"])
    with op.batch_alter_table("lot_movements", schema=None) as batch_op:
        batch_op.create_index("ix_lot_movements_at_kind", ["at", "kind"])
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index("ix_receipts_shift", ["shift_id"])
    # The customer-name search (FTS) follows the table the batch rebuilt: its triggers
    # were on the old table, so they are made again.
    _name_search_triggers()


def _name_search_triggers() -> None:
    for name in ("customer_names_ai", "customer_names_ad", "customer_names_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(
        "CREATE TRIGGER customer_names_ai AFTER INSERT ON customers BEGIN "
        "INSERT INTO customer_names(rowid, name) VALUES (new.rowid, new.name); END"
    )
    op.execute(
        "CREATE TRIGGER customer_names_ad AFTER DELETE ON customers BEGIN "
        "INSERT INTO customer_names(customer_names, rowid, name) "
        "VALUES ('delete', old.rowid, old.name); END"
    )
    op.execute(
        "CREATE TRIGGER customer_names_au AFTER UPDATE OF name ON customers BEGIN "
        "INSERT INTO customer_names(customer_names, rowid, name) "
        "VALUES ('delete', old.rowid, old.name); "
        "INSERT INTO customer_names(rowid, name) VALUES (new.rowid, new.name); END"
    )


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_receipts_shift")
    with op.batch_alter_table("lot_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_lot_movements_at_kind")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_at"))
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_last_purchase_at"))
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_group_id"))
        batch_op.drop_index(batch_op.f("ix_customers_registered_at"))
        batch_op.drop_column("anonymised_at")
    _name_search_triggers()
    op.drop_table("local_settings")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_column("till")
        batch_op.drop_column("user_id")
