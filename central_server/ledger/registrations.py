"""Customers as their registrations arrive: each card to one customer, and the same phone
registered at two tills merged into the earliest registration."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from central_server import schema as s
from central_server.ledger.base import StoreBase
from central_server.ledger.common import Feed, among, aware, iso, parse_moment


class Registrations(StoreBase):
    def _claim_cards(
        self, conn: Connection, registrations: list[tuple[str, Mapping[str, Any]]], now: datetime
    ) -> list[tuple[str, Mapping[str, Any]]]:
        """Each registration's card goes to its customer unless another customer (another
        phone) holds it: then the registration goes on without it, and the conflict is
        kept for the reconciliation report."""
        cards = [ev["payload"]["card"] for _, ev in registrations if ev["payload"].get("card")]
        if not cards:
            return registrations
        c = s.card_numbers.c
        query = select(c.number, c.phone).where(among(conn, c.number, cards))
        held: dict[str, str] = {r.number: r.phone for r in conn.execute(query)}
        out, claims, conflicts = [], [], []
        for device_id, ev in registrations:
            p, card = ev["payload"], ev["payload"].get("card")
            if card and held.get(card, p["phone"]) != p["phone"]:
                conflicts.append({"event_id": ev["id"], "number": card, "at": now})
                ev = {**ev, "payload": {k: v for k, v in p.items() if k != "card"}}
                logging.getLogger(__name__).warning(
                    "event %s: its card is another customer's; registered without it", ev["id"]
                )
            elif card and card not in held:
                held[card] = p["phone"]
                claims.append({"number": card, "phone": p["phone"]})
            out.append((device_id, ev))
        if claims:
            conn.execute(insert(s.card_numbers), claims)
        if conflicts:
            conn.execute(insert(s.card_conflicts), conflicts)
        return out

    def _register_all(
        self, conn: Connection, registrations: list[tuple[str, Mapping[str, Any]]], feed: Feed
    ) -> set[str]:
        """Registrations of phones the server has not seen go in with one insert; a phone
        already known (or twice in this batch) goes through the merge rules one by one."""
        if not registrations:
            return set()
        phones = [ev["payload"]["phone"] for _, ev in registrations]
        known = set(
            conn.execute(
                select(s.customers.c.phone).where(among(conn, s.customers.c.phone, phones))
            )
            .scalars()
            .all()
        )
        fresh: list[Mapping[str, Any]] = []
        later: list[tuple[str, Mapping[str, Any]]] = []
        for device_id, ev in registrations:
            phone = ev["payload"]["phone"]
            if phone in known:
                later.append((device_id, ev))
            else:
                fresh.append(ev)
            known.add(phone)
        kept: set[str] = set()
        rows = []
        for ev in fresh:
            p = ev["payload"]
            data = _customer_data(p, ev["at"])
            rows.append(
                {
                    "id": p["customer_id"],
                    "phone": p["phone"],
                    "data": json.dumps(data, ensure_ascii=False),
                    "registered_at": parse_moment(ev["at"]),
                }
            )
            feed.append(
                (
                    "customer",
                    p["customer_id"],
                    {"id": p["customer_id"], "phone": p["phone"], **data},
                )
            )
            kept.add(p["customer_id"])
        if rows:
            conn.execute(insert(s.customers), rows)
        for device_id, ev in later:
            kept.add(self._register(conn, ev, device_id, feed))
        return kept

    def _register(self, conn: Connection, ev: Mapping[str, Any], device_id: str, feed: Feed) -> str:
        """Record a registration; the same phone registered elsewhere merges into the
        earliest registration (event time, then device, then sequence). Returns the id the
        customer's events now count for."""
        p = ev["payload"]
        new_id: str = p["customer_id"]
        data = _customer_data(p, ev["at"])
        cards = data["cards"]
        existing = conn.execute(
            select(s.customers).where(s.customers.c.phone == p["phone"])
        ).first()
        if existing is None:
            conn.execute(
                insert(s.customers).values(
                    id=new_id,
                    phone=p["phone"],
                    data=json.dumps(data, ensure_ascii=False),
                    registered_at=parse_moment(ev["at"]),
                )
            )
            feed.append(("customer", new_id, {"id": new_id, "phone": p["phone"], **data}))
            return new_id
        old = conn.execute(
            select(
                s.events.c.at, s.events.c.device_id, s.events.c.device_seq, s.devices.c.enrolled_at
            )
            .join(s.devices, s.devices.c.id == s.events.c.device_id)
            .where(s.events.c.customer_id == existing.id, s.events.c.kind == "customer_registered")
        ).first()
        enrolled = conn.execute(
            select(s.devices.c.enrolled_at).where(s.devices.c.id == device_id)
        ).scalar_one()
        seq = int(ev["device_seq"])
        mine = (
            _counted_from(conn, device_id, seq, parse_moment(ev["at"]), enrolled),
            device_id,
            seq,
        )
        theirs = (
            (
                _counted_from(conn, old.device_id, old.device_seq, old.at, old.enrolled_at),
                old.device_id,
                int(old.device_seq),
            )
            if old
            else mine
        )
        now = self.clock()
        keep: str
        gone: str
        merged = json.loads(existing.data)
        merged["cards"] = sorted(set(merged.get("cards", [])) | set(cards))
        if theirs <= mine:
            keep, gone = existing.id, new_id
            conn.execute(
                update(s.customers)
                .where(s.customers.c.id == keep)
                .values(data=json.dumps(merged, ensure_ascii=False))
            )
        else:  # the new registration is the earlier one: it keeps the customer
            keep, gone = new_id, existing.id
            data["cards"] = merged["cards"]
            conn.execute(delete(s.accounts).where(s.accounts.c.customer_id == gone))
            conn.execute(delete(s.customers).where(s.customers.c.id == gone))
            conn.execute(
                insert(s.customers).values(
                    id=keep,
                    phone=p["phone"],
                    data=json.dumps(data, ensure_ascii=False),
                    registered_at=parse_moment(ev["at"]),
                )
            )
            conn.execute(
                update(s.customer_aliases)
                .where(s.customer_aliases.c.customer_id == gone)
                .values(customer_id=keep)
            )
            merged = data
        conn.execute(insert(s.customer_aliases).values(alias=gone, customer_id=keep, merged_at=now))
        conn.execute(
            insert(s.merges).values(alias=gone, customer_id=keep, phone=p["phone"], at=now)
        )
        feed.append(("customer", keep, {"id": keep, "phone": p["phone"], **merged}))
        feed.append(("merge", gone, {"alias": gone, "into": keep}))
        return keep


def _customer_data(p: Mapping[str, Any], at: str | datetime) -> dict[str, Any]:
    """What the server keeps of a registration, and sends to every till."""
    return {
        "name": p.get("name") or "",
        "birthday": p.get("birthday"),
        "group": p.get("group"),
        "cards": [p["card"]] if p.get("card") else [],
        "registered_at": iso(parse_moment(at)),
    }


def _counted_from(
    conn: Connection, device_id: str, seq: int, at: datetime, enrolled_at: datetime
) -> datetime:
    """When a registration counts as made, to decide which of two registrations of one
    phone keeps the customer: no earlier than its till's enrolment, and no earlier than
    the till's own event before it (a till dates its events in the order it records
    them). So a date set back by hand, or a forged one, never takes a customer over."""
    before = conn.execute(
        select(s.events.c.at)
        .where(s.events.c.device_id == device_id, s.events.c.device_seq < seq)
        .order_by(s.events.c.device_seq.desc())
        .limit(1)
    ).scalar()
    moments = [aware(at), aware(enrolled_at)] + ([aware(before)] if before is not None else [])
    return max(moments)
