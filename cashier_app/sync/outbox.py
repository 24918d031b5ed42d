"""The outbox, as the sync worker sees it: events not yet accepted by the server, in
device-sequence order, and the acknowledgement that marks them sent.

Every event is written with its outbox row in one transaction (service layer); this
module only reads the queue and records the server's answers. An event goes out under its
outbox row's sequence number: the same as the event's own, unless a till restored from a
copy of its ledger had to renumber its unsent events after the server's last one
(``renumber_after``); the events themselves are immutable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: str
    device_id: str
    device_seq: int
    kind: str
    at: datetime
    customer_id: str | None
    program_version: int | None
    payload_json: str  # as recorded: sent as it is, without parsing and encoding it again

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.payload_json)
        return value


def queued_count(ledger: Ledger) -> int:
    """How many operations wait to be sent (the status bar's number)."""
    with ledger.db.read() as conn:
        count = conn.execute(
            select(func.count()).select_from(t.outbox).where(t.outbox.c.sent_at.is_(None))
        ).scalar_one()
    return int(count)


def next_batch(ledger: Ledger, limit: int = 500) -> list[OutboxEvent]:
    """The oldest unsent events, in device-sequence order (pushed in that order)."""
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(t.events, t.outbox.c.device_seq.label("sent_seq"))
            .join(t.outbox, t.outbox.c.event_id == t.events.c.id)
            .where(t.outbox.c.sent_at.is_(None))
            .order_by(t.outbox.c.device_seq)
            .limit(limit)
        ).all()
    return [
        OutboxEvent(
            r.id,
            r.device_id,
            r.sent_seq,
            r.kind,
            r.at,
            r.customer_id,
            r.program_version,
            r.payload,
        )
        for r in rows
    ]


def mark_sent(ledger: Ledger, event_ids: Iterable[str], at: datetime) -> int:
    """Record that the server stored these events; marking twice changes nothing."""
    ids = list(event_ids)
    if not ids:
        return 0
    with ledger.db.write() as conn:
        result = conn.execute(
            update(t.outbox)
            .where(t.outbox.c.event_id.in_(ids), t.outbox.c.sent_at.is_(None))
            .values(sent_at=at, last_error=None)
        )
    return int(result.rowcount)


def mark_failed(ledger: Ledger, event_ids: Iterable[str], error: str) -> None:
    """A refused or failed push: the events stay queued, with the reason for a person."""
    ids = list(event_ids)
    if not ids:
        return
    with ledger.db.write() as conn:
        conn.execute(
            update(t.outbox)
            .where(t.outbox.c.event_id.in_(ids))
            .values(attempts=t.outbox.c.attempts + 1, last_error=error[:2000])
        )


def refuse(ledger: Ledger, refusals: Iterable[tuple[str, str]], at: datetime) -> int:
    """Events the server refused for good (``(event id, reason)``) leave the outbox for the
    dead-letter list, so one bad event no longer holds back every event after it; a
    manager sees them (service.refused) and may send one again. The unsent events behind
    them then go out renumbered after the server's last (``renumber_after``), since the
    server takes a device's events without gaps. Returns how many were moved."""
    moved = 0
    with ledger.db.write() as conn:
        for event_id, reason in refusals:
            seq = conn.execute(
                select(t.outbox.c.device_seq).where(
                    t.outbox.c.event_id == event_id, t.outbox.c.sent_at.is_(None)
                )
            ).scalar()
            if seq is None:  # already stored, or already refused
                continue
            conn.execute(
                insert(t.refused_events).values(
                    event_id=event_id, refused_at=at, reason=reason[:2000], sent_as_seq=seq
                )
            )
            conn.execute(delete(t.outbox).where(t.outbox.c.event_id == event_id))
            moved += 1
    return moved


def refused_count(ledger: Ledger) -> int:
    """How many refused operations no manager has reviewed yet (the status bar's warning)."""
    with ledger.db.read() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(t.refused_events)
            .where(t.refused_events.c.reviewed_at.is_(None))
        ).scalar_one()
    return int(count)


def renumber_after(ledger: Ledger, last_seq: int, refused_ids: Iterable[str]) -> int:
    """A till restored from a copy of its ledger numbers its new events with sequence
    numbers the server already holds for other events (``sequence_reused``). The server's
    ``last_seq`` for this device says where its record ends: the events it refused so, and
    every unsent event numbered after that end (the server stores a device's events
    without gaps, so it holds none of them), go out again numbered ``last_seq + 1`` on, in
    their order. Events the server holds keep their number: pushed again they come back
    ``duplicate`` and are marked sent, never stored twice. New events are numbered after
    the renumbered ones. Returns how many were renumbered."""
    refused = list(refused_ids)
    with ledger.db.write() as conn:
        rows = conn.execute(
            select(t.outbox.c.event_id, t.outbox.c.device_seq)
            .where(
                t.outbox.c.sent_at.is_(None),
                (t.outbox.c.device_seq > last_seq) | t.outbox.c.event_id.in_(refused),
            )
            .order_by(t.outbox.c.device_seq)
        ).all()
        if not rows:
            return 0
        # Two steps, so no number is held by two rows at once (device_seq is unique).
        _set_seqs(conn, [(r.event_id, -(n + 1)) for n, r in enumerate(rows)])
        _set_seqs(conn, [(r.event_id, last_seq + 1 + n) for n, r in enumerate(rows)])
        after = last_seq + len(rows) + 1
        highest = conn.execute(select(func.max(t.outbox.c.device_seq))).scalar_one()
        conn.execute(
            update(t.device)
            .where(t.device.c.id == 1)
            .values(next_seq=func.max(t.device.c.next_seq, after, int(highest or 0) + 1))
        )
    return len(rows)


def _set_seqs(conn: Connection, seqs: list[tuple[str, int]]) -> None:
    for event_id, seq in seqs:
        conn.execute(update(t.outbox).where(t.outbox.c.event_id == event_id).values(device_seq=seq))
