"""The central server's tables (PostgreSQL in production, SQLite for one shop or a demo)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names, so batch migrations on SQLite can find them (the server's own
# database: it shares no table with a till's ledger, and imports nothing of its storage).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of a 256-bit token
    # The till's card numbers are 2 + this prefix + a 7-digit sequence (EAN-13). None once
    # the prefix of a revoked till was freed for another (CentralLedger.release_prefix), which
    # keeps it in ``released_prefix`` (migration s0011).
    Column("card_prefix", String(4), unique=True),
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_seq", BigInteger, nullable=False, default=0),
    # The store (shop) the till belongs to, named with its enrolment code: it receives
    # the staff of that store and of all stores only (migration s0011).
    Column("store", String(40), nullable=False, server_default="main"),
    Column("released_prefix", String(4)),
)

enrol_codes = Table(
    "enrol_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_by", String(36)),
    Column("store", String(40), nullable=False, server_default="main"),  # the till's store
)

events = Table(
    "events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("device_id", ForeignKey("devices.id"), nullable=False),
    Column("device_seq", BigInteger, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("customer_id", String(36)),
    Column("program_version", Integer),
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("device_id", "device_seq", name="uq_events_device_seq"),
)
Index("ix_events_customer", events.c.customer_id, events.c.at)

program_versions = Table(
    "program_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("phone", String(20), nullable=False, unique=True),
    Column("data", Text, nullable=False),  # name, birthday, group, cards, registered_at
    Column("registered_at", DateTime(timezone=True), nullable=False),
    # Personal data erased on the customer's request (migration s0012): the phone is the
    # placeholder of engine/anonymise.py, the data holds no name or birthday.
    Column("anonymised_at", DateTime(timezone=True)),
)

# The phones of anonymised customers as one-way hashes (migration s0012): a registration
# of one of them made before the erasure at a till that was offline is erased on arrival
# (ledger/customer_changes.py), so the person does not come back with it.
anonymised_phones = Table(
    "anonymised_phones",
    metadata,
    Column("phone_hash", String(64), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("anonymised_at", DateTime(timezone=True), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    # Lots, debt, profile, tier basis: the replay's result, as tills receive it.
    Column("snapshot", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The replay as of its last event, to resume from when new events come after it.
    Column("replay_state", Text),
    # When the customer's next automatic event falls due (migration s0006): the replayer
    # replays customers whose moment has passed, events or not (docs/automations.md).
    Column("next_due_at", DateTime(timezone=True)),
)
Index("ix_accounts_next_due_at", accounts.c.next_due_at)

overdrafts = Table(
    "overdrafts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("receipt", String(40)),
    Column("points", String(24), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Events the replay could not apply (one that slipped past the checks on arrival, or a
# fault in the rules) or that the program could not have produced (engine/plausibility):
# kept as they are, left out of the replay until released, listed for an administrator;
# the customer's other events and everyone else's go on.
quarantine = Table(
    "quarantine",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # held (left out of the replay), released (replayed again) or rejected (never applied)
    Column("state", String(10), nullable=False, server_default="held"),
    Column("decided_at", DateTime(timezone=True)),
)

# Every sale's receipt id, once: a till names the receipt's accrual lot after it, so a
# receipt id used again (a forged sale) would give two customers the same lot.
receipt_ids = Table(
    "receipt_ids",
    metadata,
    Column("receipt_id", String(36), primary_key=True),
    Column("event_id", String(36), nullable=False),
)

# Every card number the tills are told of, with the phone of the customer who holds it
# (a phone is one customer, merges included): a registration with a card another customer
# holds (a pre-printed card handed out twice, or a forged one) keeps its customer but not
# the card, which would otherwise stop every new till loading the snapshot; it is listed
# in the reconciliation report.
card_numbers = Table(
    "card_numbers",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("phone", String(20), nullable=False),
)

card_conflicts = Table(
    "card_conflicts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("number", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# What tills pull: every change gets the next cursor value from ``cursor_counter``, whose
# row lock is held until commit, so values become visible in order and a reader polling
# "cursor > N" can never skip a row that commits late.
changes = Table(
    "changes",
    metadata,
    Column("cursor", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("key", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    # Who may see the change (migration s0011): tills of ``store`` only when it is set, and
    # not those of ``not_store`` when that is set. Staff changes carry them (a PIN hash
    # goes to the tills of the user's store only); every other change goes to every till.
    Column("store", String(40)),
    Column("not_store", String(40)),
)
# An erasure rewrites the customer's earlier changes (ledger/customer_changes.py, s0012).
Index("ix_changes_key", changes.c.key)

cursor_counter = Table(
    "cursor_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
    Column("secret", Boolean, nullable=False, default=False),
)

# The same phone registered at two offline tills: the earliest registration keeps the
# customer, the other id becomes an alias whose events count for it.
customer_aliases = Table(
    "customer_aliases",
    metadata,
    Column("alias", String(36), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("merged_at", DateTime(timezone=True), nullable=False),
)

merges = Table(
    "merges",
    metadata,
    Column("alias", String(36), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Distributed to tills (migration s0002): the catalogue to every till, the staff with PIN
# hashes to the tills of their store (migration s0011).
products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("pin_hash", Text, nullable=False),  # argon2, as the tills check it
    Column("active", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The store whose tills get this user; None: every store's (the network's
    # administrators). Users from before migration s0011 are the store "main"'s.
    Column("store", String(40)),
)

# Customers whose events arrived but are not replayed yet (migration s0005): a push only
# stores events and adds a mark here per customer; the replayer catches up in the
# background and before every pull, deleting exactly the marks it read (see
# CentralLedger.catch_up), so marks are never updated and a push never waits for a replay.
# ``since`` is the order key of the earliest new event ("" means replay the whole history:
# a new customer, a merge).
dirty_marks = Table(
    "dirty_marks",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("since", String(96), nullable=False),
    Column("marked_at", DateTime(timezone=True), nullable=False),
)
Index("ix_dirty_marks_customer", dirty_marks.c.customer_id)
