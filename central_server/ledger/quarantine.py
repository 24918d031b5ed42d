"""Quarantined events and the administrator's decision on each, and the reconciliation
report: overdrafts, merged customers, card conflicts and events held out."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select, update

from central_server import schema as s
from central_server.ledger.base import StoreBase
from central_server.ledger.common import ServerError, aware, iso


class Quarantine(StoreBase):
    def quarantined(self, state: str | None = "held") -> list[dict[str, Any]]:
        """Quarantined events (``state``: held, released, rejected; None: all), oldest
        first, with the till, the receipt and the reason."""
        q, e, d = s.quarantine.c, s.events.c, s.devices.c
        query = (
            select(q.event_id, q.customer_id, q.reason, q.at, q.state, q.decided_at)
            .add_columns(e.kind, e.at.label("event_at"), e.payload, d.id.label("device_id"))
            .add_columns(d.name.label("device"))
            .join(s.events, e.id == q.event_id)
            .join(s.devices, d.id == e.device_id)
            .order_by(q.at, e.device_id, e.device_seq)
        )
        if state is not None:
            query = query.where(q.state == state)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "event_id": r.event_id,
                "kind": r.kind,
                "customer_id": r.customer_id,
                "device_id": r.device_id,
                "device": r.device,
                "receipt": _receipt_number(r.payload),
                "event_at": iso(aware(r.event_at)),
                "reason": r.reason,
                "state": r.state,
                "quarantined_at": iso(aware(r.at)),
                "decided_at": iso(aware(r.decided_at)) if r.decided_at else None,
            }
            for r in rows
        ]

    def decide(self, event_id: str, release: bool) -> None:
        """An administrator's decision on a held event: released, it is replayed with the
        customer's others from then on; rejected, it stays out for good."""
        now = self.clock()
        q = s.quarantine.c
        with self.engine.begin() as conn:
            row = conn.execute(
                select(q.customer_id, q.state).where(q.event_id == event_id).with_for_update()
            ).first()
            if row is None:
                raise ServerError(404, "not_quarantined", "no quarantined event with this id")
            if row.state != "held":
                raise ServerError(409, "already_decided", f"this event was {row.state} already")
            conn.execute(
                update(s.quarantine)
                .where(q.event_id == event_id)
                .values(state="released" if release else "rejected", decided_at=now)
            )
            if release:
                owner = conn.execute(
                    select(s.customer_aliases.c.customer_id).where(
                        s.customer_aliases.c.alias == row.customer_id
                    )
                ).scalar()
                self._mark_dirty(conn, {owner or row.customer_id: ""})  # the whole history

    def reconciliation(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s.overdrafts, s.devices.c.name)
                .join(s.devices, s.devices.c.id == s.overdrafts.c.device_id)
                .order_by(s.overdrafts.c.at)
            ).all()
            merges = conn.execute(select(s.merges).order_by(s.merges.c.at)).all()
        held = self.quarantined(None)
        with self.engine.connect() as conn:
            e, d, k = s.events.c, s.devices.c, s.card_conflicts.c
            conflicts = conn.execute(
                select(k.event_id, k.number, k.at, e.customer_id, d.id.label("device_id"))
                .add_columns(d.name.label("device"), s.card_numbers.c.phone)
                .join(s.events, e.id == k.event_id)
                .join(s.devices, d.id == e.device_id)
                .outerjoin(s.card_numbers, s.card_numbers.c.number == k.number)
                .order_by(k.at, k.event_id)
            ).all()
        report = [
            {
                "kind": "overdraft",
                "customer_id": r.customer_id,
                "device_id": r.device_id,
                "device": r.name,
                "receipt": r.receipt,
                "points": r.points,
                "at": iso(aware(r.at)),
            }
            for r in rows
        ]
        report += [
            {
                "kind": "merge",
                "customer_id": m.customer_id,
                "merged": m.alias,
                "phone": m.phone,
                "at": iso(aware(m.at)),
            }
            for m in merges
        ]
        report += [
            {
                "kind": "card_conflict",
                "event_id": r.event_id,
                "customer_id": r.customer_id,
                "device_id": r.device_id,
                "device": r.device,
                "card": r.number,
                "held_by_phone": r.phone,
                "at": iso(aware(r.at)),
            }
            for r in conflicts
        ]
        report += [
            {
                "kind": "quarantine",
                "event_id": h["event_id"],
                "event_kind": h["kind"],
                "customer_id": h["customer_id"],
                "device_id": h["device_id"],
                "device": h["device"],
                "receipt": h["receipt"],
                "reason": h["reason"],
                "state": h["state"],
                "at": h["quarantined_at"],
            }
            for h in held
            if h["state"] != "released"
        ]
        return report


def _receipt_number(payload_json: str) -> str | None:
    try:
        number = orjson.loads(payload_json).get("number")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return number if isinstance(number, str) else None
