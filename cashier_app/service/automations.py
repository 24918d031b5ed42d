"""Running the time rules for every customer up to a moment (expiry, birthdays, win-back,
pending points, warnings). The window runs them at start and on a timer, one batch per
writer task (cashier_app/ui/automations.py); the ``automations`` command and simulate run
them all at once. Who runs them once tills are enrolled: docs/automations.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from cashier_app.engine import automation
from cashier_app.engine.automation import AutoEvent
from cashier_app.service.ledger import Ledger, check_moment
from cashier_app.storage import schema as t

BATCH = 200  # customers per transaction: short write locks, the till keeps selling


@dataclass(frozen=True, slots=True)
class AutomationBatch:
    events: list[AutoEvent]  # what happened, in time order
    more: bool  # customers may still be due by the same moment: run another batch


def run_automation_batch(
    ledger: Ledger, until: datetime | None, limit: int = BATCH
) -> AutomationBatch:
    """One transaction: the automatic events of at most ``limit`` customers due by
    ``until`` (None: now), the soonest due first."""
    a = t.accounts.c
    happened: list[AutoEvent] = []
    with ledger.write(until) as (conn, until):
        program = ledger.program(conn)
        due = (
            conn.execute(
                select(a.customer_id)
                .where(a.next_due_at <= until)
                .order_by(a.next_due_at, a.customer_id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        for customer_id in due:
            state = ledger.load_state(conn, program, customer_id)
            _, events = ledger.catch_up(conn, program, state, until)
            if events:
                happened += events
                continue
            # Nothing was due after all: the moment stored was only "look again" (an account
            # pulled from the server, a new program). Store the real one, or this customer
            # would be picked again and again.
            nxt = automation.next_due(
                program, state.bonus, state.standing.account, state.standing.profile
            )
            conn.execute(
                update(t.accounts)
                .where(a.customer_id == customer_id)
                .values(next_due_at=nxt.at if nxt else None)
            )
    happened.sort(key=lambda e: (e.at, e.customer))
    return AutomationBatch(happened, more=len(due) == limit)


def next_automation_at(ledger: Ledger) -> datetime | None:
    """The moment the next automatic event falls due at this till, if any."""
    with ledger.db.read() as conn:
        moment: datetime | None = conn.execute(select(func.min(t.accounts.c.next_due_at))).scalar()
    return moment


def run_automations(ledger: Ledger, until: datetime | None = None) -> list[AutoEvent]:
    """Carry out everything due by ``until`` (None: by each batch's moment, read under
    its write lock); returns the events in time order."""
    check_moment(until)
    happened: list[AutoEvent] = []
    while True:
        batch = run_automation_batch(ledger, until)
        happened += batch.events
        if not batch.more:
            break
    happened.sort(key=lambda e: (e.at, e.customer))
    return happened
