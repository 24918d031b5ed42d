"""Running the time rules for every customer up to a moment (expiry, birthdays, win-back,
pending points, warnings). The till calls it on a timer; simulate before every step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from cashier_app.engine.automation import AutoEvent
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t

BATCH = 200  # customers per transaction: short write locks, the till keeps selling


def run_automations(ledger: Ledger, until: datetime | None = None) -> list[AutoEvent]:
    """Carry out everything due by ``until``; returns the events in time order."""
    until = until or ledger.clock()
    happened: list[AutoEvent] = []
    while True:
        with ledger.db.write() as conn:
            program = ledger.program(conn)
            due = (
                conn.execute(
                    select(t.accounts.c.customer_id)
                    .where(t.accounts.c.next_due_at <= until)
                    .order_by(t.accounts.c.next_due_at, t.accounts.c.customer_id)
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
            for customer_id in due:
                state = ledger.load_state(conn, program, customer_id)
                _, events = ledger.catch_up(conn, program, state, until)
                happened += events
        if len(due) < BATCH:
            break
    happened.sort(key=lambda e: (e.at, e.customer))
    return happened
