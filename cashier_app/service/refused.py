"""The operations the central server refused for good: the till's dead-letter list.

Sync moves an event the server will not take (malformed, out of bounds, dated in the
future by a till whose clock ran ahead) out of the outbox, so the events behind it still
go out. The operation stays recorded here, in this till's ledger and its reports; only
the server and the other tills do not have it. A manager reads the list with the
server's reason and either sends an event again (after the cause is gone: the clock set
right, the server updated) or marks it reviewed (the shop settles it another way).
Both are in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.engine import Connection

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import schema as t


@dataclass(frozen=True, slots=True)
class RefusedOperation:
    event_id: str
    kind: str  # sale, return, customer_registered, …
    at: datetime  # when it happened at the till
    customer: str | None  # the customer's name, or their id when the name is empty
    receipt_number: str | None
    reason: str  # as the server gave it
    refused_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None


def refused_operations(
    ledger: Ledger, *, include_reviewed: bool = False, actor: Actor = OPERATOR
) -> list[RefusedOperation]:
    """Newest first."""
    actor.require(Permission.REVIEW_REFUSED_EVENTS)
    r, e, c = t.refused_events, t.events, t.customers
    query = (
        select(
            r.c.event_id,
            e.c.kind,
            e.c.at,
            e.c.customer_id,
            c.c.name,
            t.receipts.c.number,
            r.c.reason,
            r.c.refused_at,
            r.c.reviewed_at,
            r.c.reviewed_by,
        )
        .join(e, e.c.id == r.c.event_id)
        .outerjoin(c, c.c.id == e.c.customer_id)
        .outerjoin(t.receipts, t.receipts.c.event_id == e.c.id)
        .order_by(r.c.refused_at.desc(), e.c.device_seq.desc())
    )
    if not include_reviewed:
        query = query.where(r.c.reviewed_at.is_(None))
    with ledger.db.read() as conn:
        rows = conn.execute(query).all()
    return [
        RefusedOperation(
            row.event_id,
            row.kind,
            row.at,
            row.name or row.customer_id,
            row.number,
            row.reason,
            row.refused_at,
            row.reviewed_at,
            row.reviewed_by,
        )
        for row in rows
    ]


def send_again(
    ledger: Ledger, event_id: str, *, actor: Actor = OPERATOR, at: datetime | None = None
) -> None:
    """Put a refused event back in the outbox, at the end of the queue: the server checks
    it afresh on the next sync (and refuses it again if the cause is still there)."""
    actor.require(Permission.REVIEW_REFUSED_EVENTS)
    with ledger.db.write() as conn:
        row = _refused(conn, event_id)
        seq, _ = ledger.take_sequence(conn)
        conn.execute(delete(t.refused_events).where(t.refused_events.c.event_id == event_id))
        conn.execute(insert(t.outbox).values(event_id=event_id, device_seq=seq))
        ledger.audit(
            conn,
            "refused_event_sent_again",
            event_id,
            actor.name,
            {"reason": row.reason, "at": at or ledger.clock()},
        )


def mark_reviewed(
    ledger: Ledger, event_id: str, *, actor: Actor = OPERATOR, at: datetime | None = None
) -> None:
    """The manager has seen it and settles it another way; it leaves the status bar's
    count and stays in the list of reviewed ones."""
    actor.require(Permission.REVIEW_REFUSED_EVENTS)
    with ledger.db.write() as conn:
        row = _refused(conn, event_id)
        if row.reviewed_at is not None:
            return
        when = at or ledger.clock()
        conn.execute(
            update(t.refused_events)
            .where(t.refused_events.c.event_id == event_id)
            .values(reviewed_at=when, reviewed_by=actor.name[:64])
        )
        ledger.audit(conn, "refused_event_reviewed", event_id, actor.name, {"reason": row.reason})


def _refused(conn: Connection, event_id: str) -> Row[Any]:
    row = conn.execute(
        select(t.refused_events).where(t.refused_events.c.event_id == event_id)
    ).first()
    if row is None:
        raise LoyaltyError(
            "unknown_refused_event", f"no refused operation {event_id!r} is waiting on this till"
        )
    return row
