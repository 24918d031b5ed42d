"""Tables of the local ledger.

Events are immutable and each has its outbox row, written in the same transaction.
Customers' balances, lots and tiers are projections kept up to date by the service layer
in that same transaction, so a lookup reads a row instead of replaying history.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from cashier_app.storage.types import Money, Points, Quantity, UtcDateTime

# Stable constraint names, so batch migrations on SQLite can find them (Alembic batch.rst).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

device = Table(
    "device",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", String(36), nullable=False),
    Column("name", String(80), nullable=False),
    Column("next_seq", Integer, nullable=False),
    Column("card_prefix", String(4), nullable=False),
    Column("next_card", Integer, nullable=False),
    Column("next_receipt", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

program_versions = Table(
    "program_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", Text, nullable=False),
    Column("installed_at", UtcDateTime(), nullable=False),
)

customer_groups = Table(
    "customer_groups",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("loyalty", String(8), nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("phone", String(20), nullable=False, unique=True),
    Column("phone_last4", String(4), nullable=False, index=True),
    Column("name", String(120), nullable=False, server_default=""),
    Column("birthday", Date),
    Column("group_id", ForeignKey("customer_groups.id"), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("consent_at", UtcDateTime()),
    Column("referrer_id", ForeignKey("customers.id")),
    Column("event_id", String(36), nullable=False),
    # Personal data erased on the customer's request (migration 0005); sums stay.
    Column("anonymised_at", UtcDateTime()),
)
Index("ix_customers_registered_at", customers.c.registered_at)
Index("ix_customers_group_id", customers.c.group_id)
Index("ix_customers_name", customers.c.name)
Index("ix_customers_consent_at", customers.c.consent_at)
# The birthdays report asks for month and day (migration 0007): the ISO text's last five.
Index("ix_customers_birthday_day", func.substr(customers.c.birthday, 6, 5))

cards = Table(
    "cards",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("1")),
)

# The projection a lookup reads: one row per customer.
accounts = Table(
    "accounts",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("balance", Points(), nullable=False),  # spendable less debt, as of updated_at
    Column("pending", Points(), nullable=False),
    Column("debt", Points(), nullable=False),
    Column("tier_basis", Money(), nullable=False),  # all purchases after discounts, less returns
    Column("last_purchase_at", UtcDateTime()),
    Column("sales_count", Integer, nullable=False),
    Column("sales_net_total", Money(), nullable=False),
    Column("winback_stage", Integer, nullable=False),
    Column("birthday_year_done", Integer),
    Column("next_due_at", UtcDateTime(), index=True),  # the next automatic event, if any
    Column("updated_at", UtcDateTime(), nullable=False),
)
Index("ix_accounts_last_purchase_at", accounts.c.last_purchase_at)
# The customer base's filters and sorts at a million customers (migration 0009).
Index("ix_accounts_balance", accounts.c.balance)
Index("ix_accounts_tier_basis", accounts.c.tier_basis)

lots = Table(
    "lots",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("points", Points(), nullable=False),
    Column("remaining", Points(), nullable=False),
    Column("credited_at", UtcDateTime(), nullable=False),
    Column("available_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("receipt_id", String(36)),
    Column("origin_lot_id", String(120)),
    Column("settled", Boolean, nullable=False),
    Column("warned", Boolean, nullable=False),
    Column("event_id", String(36)),
    CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_in_range"),
)
# Open lots only: a customer with 10,000 events still has a handful of these.
Index("ix_lots_open", lots.c.customer_id, sqlite_where=text("remaining > 0"))
Index("ix_lots_customer_credited", lots.c.customer_id, lots.c.credited_at)

lot_movements = Table(
    "lot_movements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("lot_id", String(120)),
    Column("event_id", String(36)),  # the operation that caused it; null for automations
    Column("kind", String(10), nullable=False),
    Column("points", Points(), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)
Index("ix_lot_movements_customer_at", lot_movements.c.customer_id, lot_movements.c.at)
Index("ix_lot_movements_event", lot_movements.c.event_id, sqlite_where=text("event_id IS NOT NULL"))
# Covers what the points report sums (migration 0007): a period is read from the index alone.
Index(
    "ix_lot_movements_at_kind",
    lot_movements.c.at,
    lot_movements.c.kind,
    lot_movements.c.lot_id,
    lot_movements.c.points,
)

receipts = Table(
    "receipts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id")),
    Column("at", UtcDateTime(), nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("program_version", Integer, nullable=False),
    Column("total", Money(), nullable=False),
    Column("discount", Money(), nullable=False),
    Column("discount_percent", Money(), nullable=False),
    Column("redeemed", Points(), nullable=False),
    Column("redeemed_money", Money(), nullable=False),
    Column("paid", Money(), nullable=False),
    Column("accrual_base", Money(), nullable=False),
    Column("accrued", Points(), nullable=False),
    Column("accrual_lot_id", String(120)),
    Column("tier", String(40)),
    Column("basis_amount", Money(), nullable=False),  # after discounts, less returns
    Column("points_taken_back", Points(), nullable=False),
    Column("points_given_back", Points(), nullable=False),
    Column("refunded", Money(), nullable=False),
    Column("payment", String(10)),
    Column("shift_id", String(36)),
    Column("cashier_id", String(36)),
    # When the customer first bought at this till (this receipt's moment for a first
    # purchase): the sales report's new-or-loyal, read from the index (migration 0008).
    Column("first_purchase_at", UtcDateTime()),
)
Index("ix_receipts_customer_at", receipts.c.customer_id, receipts.c.at)
# Covers what the sales reports sum (migrations 0007, 0008): a period is read from the
# index alone.
Index(
    "ix_receipts_at",
    receipts.c.at,
    receipts.c.customer_id,
    receipts.c.total,
    receipts.c.discount,
    receipts.c.redeemed,
    receipts.c.first_purchase_at,
)
Index(
    "ix_receipts_shift",
    receipts.c.shift_id,
    receipts.c.total,
    receipts.c.discount,
    receipts.c.redeemed,
    receipts.c.accrued,
)

receipt_lines = Table(
    "receipt_lines",
    metadata,
    Column("receipt_id", ForeignKey("receipts.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(200)),
    Column("category", String(64)),
    Column("brand", String(64)),
    Column("price", Money(), nullable=False),
    Column("qty", Quantity(), nullable=False),
    Column("no_loyalty", Boolean, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("discount", Money(), nullable=False),
    Column("redeemed_money", Money(), nullable=False),
    Column("accrual_base", Money(), nullable=False),
    Column("discount_eligible", Boolean, nullable=False),
    Column("bonus_eligible", Boolean, nullable=False),
    Column("returned_qty", Quantity(), nullable=False),
    CheckConstraint("returned_qty >= 0 AND returned_qty <= qty", name="returned_in_range"),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("receipt_id", ForeignKey("receipts.id"), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("refunded", Money(), nullable=False),
    Column("points_taken_back", Points(), nullable=False),
    Column("points_given_back", Points(), nullable=False),
    Column("basis_decrease", Money(), nullable=False),
)
Index("ix_returns_at", returns.c.at)

return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", ForeignKey("returns.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("qty", Quantity(), nullable=False),
    Column("refund", Money(), nullable=False),
)

customer_messages = Table(
    "customer_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("lot_id", String(120)),
    Column("points", Points()),
    Column("sent_at", UtcDateTime()),  # delivery belongs to the messaging layer
)
Index("ix_customer_messages_customer", customer_messages.c.customer_id, customer_messages.c.id)

# Immutable: triggers in the migrations refuse UPDATE and DELETE; since migration 0006 the
# one update allowed is a customer_registered payload erased of the person's data
# (engine/anonymise.py), at the customer's request.
events = Table(
    "events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("device_id", String(36), nullable=False),
    Column("device_seq", Integer, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("customer_id", String(36)),
    Column("actor", String(64)),
    Column("program_version", Integer),
    Column("payload", Text, nullable=False),
    UniqueConstraint("device_id", "device_seq", name="uq_events_device_seq"),
)
Index("ix_events_customer_at", events.c.customer_id, events.c.at)
# The groups report's moves of a period (migration 0010); sales are not in it.
Index(
    "ix_events_group_moves",
    events.c.at,
    sqlite_where=text("kind = 'customer_group_changed'"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("event_id", ForeignKey("events.id"), primary_key=True),
    Column("device_seq", Integer, nullable=False, unique=True),
    Column("sent_at", UtcDateTime()),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
)
Index("ix_outbox_unsent", outbox.c.device_seq, sqlite_where=text("sent_at IS NULL"))

# Append-only: triggers (migration 0005) refuse UPDATE and DELETE, as for events.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("actor", String(64)),  # the user's name as it was then
    Column("action", String(40), nullable=False),
    Column("subject", String(120)),
    Column("details", Text, nullable=False),
    Column("user_id", String(36)),
    Column("till", String(80)),  # the till's name as it was then
)


# -- people and goods (migration 0002) ---------------------------------------------------
users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("pin_hash", Text, nullable=False),  # argon2
    Column("failed_pins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UtcDateTime()),
    Column("active", Boolean, nullable=False, server_default=text("1")),
    Column("created_at", UtcDateTime(), nullable=False),
)

shifts = Table(
    "shifts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime()),
)
# At most one open shift per cashier.
Index("ix_shifts_open", shifts.c.user_id, unique=True, sqlite_where=text("closed_at IS NULL"))

products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("barcode", String(32), unique=True),
    Column("name", String(200), nullable=False),
    Column("price", Money(), nullable=False),
    Column("category", String(64)),
    Column("brand", String(64)),
    Column("no_loyalty", Boolean, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("1")),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# -- sync with the central server (migration 0003) ----------------------------------------
sync_state = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_url", Text, nullable=False),
    Column("device_id", String(36), nullable=False),  # as the server knows this till
    Column("token", Text, nullable=False),  # the server keeps only its hash
    Column("cursor", Integer, nullable=False),
    Column("last_success", UtcDateTime()),
    Column("last_error", Text),
    Column("clock_skew_seconds", Integer),
    CheckConstraint("id = 1", name="single_row"),
)

# An event the server refused for good (malformed, out of bounds, an id it holds for
# another till) leaves the outbox for this list, so the events behind it still go out and
# a manager sees what was not sent and why (migration 0004). Sending it again puts it back
# in the outbox under a new sequence number; the event itself never changes.
refused_events = Table(
    "refused_events",
    metadata,
    Column("event_id", ForeignKey("events.id"), primary_key=True),
    Column("refused_at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("sent_as_seq", Integer, nullable=False),
    Column("reviewed_at", UtcDateTime()),
    Column("reviewed_by", String(64)),
)

# This till's own settings (migration 0005): the backup folder and schedule, and the like.
local_settings = Table(
    "local_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
