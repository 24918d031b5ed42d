"""The ledger's own consistency check (``cashier-app check --accounts``): every customer's
stored projection (balance, pending, debt, tier basis, profile, the points left in each
lot) against the engine's replay of that customer's recorded events, which is what the
central server and every other till compute from the same events (docs/sync.md).

The till applies a customer's events in the order it records them (device sequence); the
replay applies them by their moment. The two agree when a customer's events on one till
are dated in the order they were recorded, which holds for every event stamped by the
till's clock, since the clock is read under the write lock (``Ledger.write``). An event
given an earlier moment than one recorded before it (``--at``) breaks it and is reported.

A till enrolled with a central server holds its customers as the server's snapshots, which
count other tills' events this ledger does not have: only the order is checked there.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, select

from cashier_app.engine.errors import LoyaltyError, ProgramError
from cashier_app.engine.events import EventKind
from cashier_app.engine.program import Program, parse_program
from cashier_app.engine.replay import CustomerReplay, RecordedEvent, replay_customer
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.storage.queries import open_lots


@dataclass
class AccountsCheck:
    customers: int = 0  # replayed and compared
    events: int = 0
    enrolled: bool = False  # accounts are the server's: only the order was checked
    problems: list[str] = field(default_factory=list)


def check_accounts(ledger: Ledger) -> AccountsCheck:
    """Replay every customer registered at this till and compare; reads only."""
    report = AccountsCheck()
    with ledger.db.read() as conn:
        report.enrolled = conn.execute(select(t.sync_state.c.id)).first() is not None
        programs = _programs(conn)
        for customer, rows in _events_by_customer(conn):
            events = [_recorded(r) for r in rows]
            report.events += len(events)
            report.problems += _out_of_order(customer, events)
            if report.enrolled or not programs:
                continue
            if not any(e.kind == EventKind.CUSTOMER_REGISTERED for e in events):
                continue  # registered elsewhere: its history is not in this ledger
            report.customers += 1
            report.problems += _compare(conn, customer, events, programs)
    return report


def _programs(conn: Connection) -> dict[int, Program]:
    rows = conn.execute(select(t.program_versions.c.version, t.program_versions.c.document))
    programs = {}
    for version, document in rows:
        try:
            programs[version] = parse_program(json.loads(document))
        except (ValueError, ProgramError):
            continue  # the events that name it are reported as not replayable
    return programs


def _events_by_customer(conn: Connection) -> Iterator[tuple[str, Iterator[Row[Any]]]]:
    e = t.events.c
    rows = conn.execute(
        select(t.events)
        .where(e.customer_id.is_not(None))
        .order_by(e.customer_id, e.device_id, e.device_seq)
    )
    return itertools.groupby(rows, key=lambda r: str(r.customer_id))


def _recorded(r: Row[Any]) -> RecordedEvent:
    return RecordedEvent(
        r.id, r.device_id, r.device_seq, r.kind, r.at, r.program_version, json.loads(r.payload)
    )


def _out_of_order(customer: str, events: Iterable[RecordedEvent]) -> list[str]:
    """Events of the customer dated before one the same till recorded earlier."""
    problems = []
    for before, after in itertools.pairwise(events):  # by device, then device sequence
        if before.device_id == after.device_id and after.at < before.at:
            problems.append(
                f"customer {customer}: event #{after.device_seq} ({after.kind}) is dated "
                f"{after.at.isoformat()}, {_seconds(before.at - after.at)} s before event "
                f"#{before.device_seq} ({before.kind}) recorded ahead of it"
            )
    return problems


def _compare(
    conn: Connection, customer: str, events: list[RecordedEvent], programs: dict[int, Program]
) -> list[str]:
    account = conn.execute(select(t.accounts).where(t.accounts.c.customer_id == customer)).first()
    if account is None:
        return [f"customer {customer}: has events but no stored account"]
    latest = programs[max(programs)]
    try:
        state = replay_customer(
            events,
            lambda version: latest if version is None else programs[version],
            until=account.updated_at,
        )
    # A check reports every customer it cannot replay instead of stopping at the first.
    except (LoyaltyError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        return [f"customer {customer}: the events cannot be replayed ({exc})"]
    return [f"customer {customer}: {p}" for p in _differences(conn, customer, account, state)]


def _differences(
    conn: Connection, customer: str, stored: Row[Any], replayed: CustomerReplay
) -> Iterator[str]:
    at = stored.updated_at
    p = replayed.standing.profile
    fields: list[tuple[str, Any, Any]] = [
        ("balance", stored.balance, replayed.standing.account.balance(at)),
        ("pending", stored.pending, replayed.standing.account.pending(at)),
        ("debt", stored.debt, replayed.standing.account.debt),
        ("tier basis", stored.tier_basis, replayed.standing.tier_basis),
        ("sales count", stored.sales_count, p.sales_count),
        ("sales net total", stored.sales_net_total, p.sales_net_total),
        ("last purchase", stored.last_purchase_at, p.last_purchase_at),
        ("win-back stage", stored.winback_stage, p.winback_stage),
        ("birthday bonus year", stored.birthday_year_done, p.birthday_year_done),
    ]
    for name, mine, theirs in fields:
        if mine != theirs:
            yield f"{name} stored {_text(mine)}, replayed {_text(theirs)}"
    lots = dict(
        conn.execute(
            select(t.lots.c.id, t.lots.c.remaining).where(
                t.lots.c.customer_id == customer, open_lots()
            )
        ).all()
    )
    again = {lot.id: lot.remaining for lot in replayed.standing.account.lots if lot.remaining > 0}
    for lot_id in sorted(lots.keys() | again.keys()):
        mine, theirs = lots.get(lot_id, Decimal(0)), again.get(lot_id, Decimal(0))
        if mine != theirs:
            yield f"lot {lot_id} has {_text(mine)} points left stored, {_text(theirs)} replayed"


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return "none" if value is None else str(value)


def _seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():.3f}"
