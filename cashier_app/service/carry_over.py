"""The operations a restored ledger would lose, read from the ledger it replaces and
applied again to the restored one (service/restore.py).

Events are immutable and carry their own ids and device sequence numbers, so they are
carried over as they are, with their outbox rows (sent or not: an event the central server
already holds, pushed again, comes back ``duplicate`` and is marked sent). What they wrote
besides the customer's points is copied as recorded: the receipt and its lines, a return
and its lines, a new customer with their cards, a shift, and the staff, program versions
and groups those rows refer to. The customers' points are not copied but worked out again:
each affected customer's state in the backup, with the carried events applied by the
engine's replay (the rules every till and the central server apply to the same events), so
``cashier-app check --accounts`` holds on the result.

A customer the backup does not know and whose registration is not carried (one registered
at another till and pulled since) is copied with their balance as it was stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from cashier_app.engine.events import EventKind
from cashier_app.engine.program import Program, parse_program
from cashier_app.engine.replay import CustomerReplay, RecordedEvent, apply, start
from cashier_app.engine.returns import Spend
from cashier_app.service.ledger import CustomerState, Ledger, zero_account_values
from cashier_app.storage import schema as t

Rows = list[dict[str, Any]]


@dataclass
class Carried:
    """Everything read from the replaced ledger that the restored one needs."""

    events: Rows = field(default_factory=list)  # in device-sequence order
    outbox: Rows = field(default_factory=list)
    rows: dict[str, Rows] = field(default_factory=dict)  # table -> rows, in insert order
    accounts: Rows = field(default_factory=list)  # customers copied with their balance
    lots: Rows = field(default_factory=list)
    # What automatic events (expiry, birthday bonuses) logged for these customers since the
    # backup: the replay counts them in the balances, these keep the log and the messages.
    automatic: Rows = field(default_factory=list)
    messages: Rows = field(default_factory=list)
    device: dict[str, Any] | None = None

    def add(self, table: Table, rows: Sequence[Any]) -> None:
        self.rows.setdefault(table.name, []).extend(dict(r._mapping) for r in rows)


# The order rows go in, so every foreign key finds what it points at.
TABLES = (
    t.program_versions,
    t.customer_groups,
    t.users,
    t.customers,
    t.cards,
    t.receipts,
    t.receipt_lines,
    t.returns,
    t.return_lines,
    t.shifts,
    t.lot_movements,
)
KEYS = {
    "program_versions": ("version",),
    "customer_groups": ("id",),
    "users": ("id",),
    "customers": ("id",),
    "cards": ("number",),
    "receipts": ("id",),
    "receipt_lines": ("receipt_id", "line_no"),
    "returns": ("id",),
    "return_lines": ("return_id", "line_no"),
    "shifts": ("id",),
}
# Rows a carried event changes after the backup was made: copied over the backup's own.
UPDATED = {"receipts", "receipt_lines", "shifts", "cards"}


def read_carried(
    conn: Connection, events: Rows, known_customers: set[str], since: datetime
) -> Carried:
    """The rows ``events`` wrote, read from the replaced ledger (raises DatabaseError
    where it cannot be read). ``known_customers``: those the backup holds; ``since``: when
    the backup was made."""
    out = Carried(events=events)
    ids = [e["id"] for e in events]
    out.outbox = [
        dict(r._mapping) for r in conn.execute(select(t.outbox).where(t.outbox.c.event_id.in_(ids)))
    ]
    out.add(t.program_versions, conn.execute(select(t.program_versions)).all())
    out.add(t.customer_groups, conn.execute(select(t.customer_groups)).all())
    out.add(t.users, conn.execute(select(t.users)).all())
    payloads = [(e, json.loads(e["payload"])) for e in events]
    customers = {e["customer_id"] for e in events if e["customer_id"]}
    registered = {
        e["customer_id"] for e, _ in payloads if e["kind"] == EventKind.CUSTOMER_REGISTERED
    }
    copied = customers - known_customers - registered
    new = (registered | copied) - known_customers
    out.add(t.customers, conn.execute(select(t.customers).where(t.customers.c.id.in_(new))).all())
    out.add(
        t.cards, conn.execute(select(t.cards).where(t.cards.c.customer_id.in_(customers))).all()
    )
    receipts = {
        p.get("receipt_id") for e, p in payloads if e["kind"] in (EventKind.SALE, EventKind.RETURN)
    }
    out.add(t.receipts, conn.execute(select(t.receipts).where(t.receipts.c.id.in_(receipts))).all())
    out.add(
        t.receipt_lines,
        conn.execute(
            select(t.receipt_lines).where(t.receipt_lines.c.receipt_id.in_(receipts))
        ).all(),
    )
    returns = conn.execute(select(t.returns).where(t.returns.c.event_id.in_(ids))).all()
    out.add(t.returns, returns)
    out.add(
        t.return_lines,
        conn.execute(
            select(t.return_lines).where(t.return_lines.c.return_id.in_([r.id for r in returns]))
        ).all(),
    )
    shifts = {p.get("shift_id") for e, p in payloads if e["kind"].startswith("shift_")}
    out.add(t.shifts, conn.execute(select(t.shifts).where(t.shifts.c.id.in_(shifts))).all())
    out.add(
        t.lot_movements,
        conn.execute(
            select(t.lot_movements)
            .where(t.lot_movements.c.event_id.in_(ids))
            .order_by(t.lot_movements.c.id)
        ).all(),
    )
    out.accounts = [
        dict(r._mapping)
        for r in conn.execute(select(t.accounts).where(t.accounts.c.customer_id.in_(copied)))
    ]
    m, cm = t.lot_movements, t.customer_messages
    out.automatic = [
        dict(r._mapping)
        for r in conn.execute(
            select(m)
            .where(m.c.event_id.is_(None), m.c.customer_id.in_(customers), m.c.at > since)
            .order_by(m.c.id)
        )
    ]
    out.messages = [
        dict(r._mapping)
        for r in conn.execute(
            select(cm).where(cm.c.customer_id.in_(customers), cm.c.at > since).order_by(cm.c.id)
        )
    ]
    out.lots = [
        dict(r._mapping)
        for r in conn.execute(select(t.lots).where(t.lots.c.customer_id.in_(copied)))
    ]
    return out


def apply_carried(
    ledger: Ledger, conn: Connection, carried: Carried, copied_customers: set[str]
) -> None:
    """Write ``carried`` into the restored ledger (the caller's write transaction)."""
    for table in TABLES:
        rows = carried.rows.get(table.name, [])
        _put(conn, table, rows)
    if carried.accounts:
        conn.execute(insert(t.accounts), carried.accounts)
    if carried.lots:
        conn.execute(insert(t.lots), carried.lots)
    conn.execute(insert(t.events), carried.events)
    kept_seqs = {r["device_seq"] for r in carried.outbox}
    clash = conn.execute(
        select(t.outbox.c.event_id).where(t.outbox.c.device_seq.in_(kept_seqs))
    ).first()
    if clash is not None:  # not expected: the backup's outbox ends before the carried ones
        raise RuntimeError("a carried outbox number is taken in the backup")
    conn.execute(insert(t.outbox), carried.outbox)
    _replay(ledger, conn, carried, copied_customers)
    _log_again(conn, carried)
    _counters(conn, carried)


def _put(conn: Connection, table: Table, rows: Rows) -> None:
    """Insert what the backup lacks; rows an event changed since (a receipt a return
    touched, a shift closed) replace the backup's."""
    if not rows:
        return
    if table.name == "lot_movements":
        conn.execute(insert(table), [{k: v for k, v in r.items() if k != "id"} for r in rows])
        return
    keys = KEYS[table.name]
    for row in rows:
        where = [table.c[k] == row[k] for k in keys]
        present = conn.execute(select(table.c[keys[0]]).where(*where)).first() is not None
        if not present:
            conn.execute(insert(table).values(row))
        elif table.name in UPDATED:
            conn.execute(update(table).where(*where).values(row))


def _replay(ledger: Ledger, conn: Connection, carried: Carried, copied: set[str]) -> None:
    programs: dict[int | None, Program] = {}

    def program_at(version: int | None) -> Program:
        if version not in programs:
            if version is None:
                programs[version] = ledger.program(conn)
            else:
                doc = conn.execute(
                    select(t.program_versions.c.document).where(
                        t.program_versions.c.version == version
                    )
                ).scalar_one()
                programs[version] = parse_program(json.loads(doc))
        return programs[version]

    by_customer: dict[str, list[RecordedEvent]] = {}
    for e in carried.events:
        if e["customer_id"] and e["customer_id"] not in copied:
            by_customer.setdefault(e["customer_id"], []).append(_recorded(e))
    program = ledger.program(conn)
    for customer, events in by_customer.items():
        first = events[0]
        if first.kind == EventKind.CUSTOMER_REGISTERED:
            conn.execute(insert(t.accounts).values(zero_account_values(customer, first.at)))
            state = start(first, program_at(first.program_version))
            events = events[1:]
        else:
            state = None
        before = ledger.load_state(conn, program, customer)
        if state is None:
            state = CustomerReplay(customer, before.group.id, before.standing)
        else:
            kept = before.standing
            before = replace(before, standing=replace(kept, account=replace(kept.account, lots=())))
        for event in events:
            if event.kind == EventKind.RETURN:
                _known_receipt(conn, state, event.payload["receipt_id"])
            apply(state, event, program_at(event.program_version))
        after: CustomerState = replace(before, standing=state.standing)
        last = events[-1].at if events else first.at
        ledger.save_state(conn, program, before, after, last)


def _known_receipt(conn: Connection, state: CustomerReplay, receipt_id: str) -> None:
    """A return of a sale the backup already holds: its accrual lot and what its
    redemption spent come from the backup, as sync's rebase reads them (sync/apply.py)."""
    if receipt_id in state.receipts:
        return
    sale = conn.execute(select(t.receipts).where(t.receipts.c.id == receipt_id)).first()
    if sale is None:
        return
    spends = conn.execute(
        select(t.lot_movements.c.lot_id, t.lot_movements.c.points, t.lots.c.expires_at)
        .join(t.lots, t.lots.c.id == t.lot_movements.c.lot_id)
        .where(t.lot_movements.c.event_id == sale.event_id, t.lot_movements.c.kind == "spend")
        .order_by(t.lot_movements.c.id)
    ).all()
    state.receipts[receipt_id] = (
        sale.accrual_lot_id,
        [Spend(m.lot_id, m.points, m.expires_at) for m in spends],
    )


def _recorded(e: dict[str, Any]) -> RecordedEvent:
    return RecordedEvent(
        e["id"],
        e["device_id"],
        e["device_seq"],
        e["kind"],
        e["at"],
        e["program_version"],
        json.loads(e["payload"]),
    )


def _log_again(conn: Connection, carried: Carried) -> None:
    """The automatic events' log lines and messages the backup lacks (one recorded before
    the backup is there already: the same customer, kind, moment and points)."""
    m, cm = t.lot_movements, t.customer_messages
    for row in carried.automatic:
        same = [m.c.customer_id == row["customer_id"], m.c.lot_id == row["lot_id"]]
        same += [m.c.kind == row["kind"], m.c.at == row["at"], m.c.points == row["points"]]
        if conn.execute(select(m.c.id).where(*same)).first() is None:
            conn.execute(insert(m).values({k: v for k, v in row.items() if k != "id"}))
    for row in carried.messages:
        told = (cm.c.customer_id == row["customer_id"], cm.c.kind == row["kind"])
        if conn.execute(select(cm.c.id).where(*told, cm.c.at == row["at"])).first() is None:
            conn.execute(insert(cm).values({k: v for k, v in row.items() if k != "id"}))


def _counters(conn: Connection, carried: Carried) -> None:
    """The device's counters go on after everything the replaced ledger numbered, so no
    sequence, receipt or card number is given twice."""
    device = conn.execute(select(t.device)).one()
    seqs = [e["device_seq"] for e in carried.events] + [r["device_seq"] for r in carried.outbox]
    values = {"next_seq": max([device.next_seq, *(s + 1 for s in seqs)])}
    if carried.device is not None:
        for column in ("next_seq", "next_receipt", "next_card"):
            values[column] = max(
                values.get(column, 0), getattr(device, column), carried.device[column]
            )
    conn.execute(update(t.device).where(t.device.c.id == 1).values(values))
