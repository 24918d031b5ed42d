"""Customer changes pushed by the tills after registration: a move to another group, and
the erasure of a customer's personal data on their request (engine/anonymise.py), applied
to the server's customer rows and sent to every till through the feed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from cashier_app.engine.anonymise import (
    anonymised_phone,
    is_anonymised_phone,
    redacted_registration,
)
from cashier_app.engine.events import EventKind
from central_server import schema as s
from central_server.ledger.base import StoreBase
from central_server.ledger.common import Feed, among, aware, dumps, iso, order_key, parse_moment
from central_server.ledger.customer_replay import not_quarantined

Accepted = list[tuple[str, Mapping[str, Any]]]  # (device id, event) as a push stores them


def phone_hash(phone: str) -> str:
    """A one-way hash of an erased phone: enough to know a registration of it when one
    arrives, without keeping the number."""
    return hashlib.sha256(f"anonymised phone {phone}".encode()).hexdigest()


class CustomerChanges(StoreBase):
    def _erase_late_registrations(
        self, conn: Connection, accepted: Accepted
    ) -> tuple[Accepted, list[tuple[str, datetime]]]:
        """Registrations of an erased phone made before its erasure (at a till that was
        offline then): stored already erased, and the customers they create are erased
        too once registered (the second value: customer id and the erasure's moment). A
        registration made after the erasure is the customer's new one and stays."""
        regs = [
            (i, ev)
            for i, (_, ev) in enumerate(accepted)
            if ev["kind"] == EventKind.CUSTOMER_REGISTERED
            and not is_anonymised_phone(ev["payload"]["phone"])
        ]
        if not regs:
            return accepted, []
        hashes = {phone_hash(ev["payload"]["phone"]) for _, ev in regs}
        a = s.anonymised_phones.c
        erased = dict(
            conn.execute(
                select(a.phone_hash, a.anonymised_at).where(among(conn, a.phone_hash, hashes))
            ).all()
        )
        if not erased:
            return accepted, []
        out = list(accepted)
        late: list[tuple[str, datetime]] = []
        for i, ev in regs:
            when = erased.get(phone_hash(ev["payload"]["phone"]))
            if when is not None and parse_moment(ev["at"]) <= aware(when):
                out[i] = (out[i][0], {**ev, "payload": redacted_registration(ev["payload"])})
                late.append((ev["payload"]["customer_id"], aware(when)))
        return out, late

    def _apply_customer_changes(
        self, conn: Connection, accepted: Accepted, aliases: Mapping[str, str], feed: Feed
    ) -> None:
        """The group moves and erasures of a push, on the customers they count for (an
        alias's change counts for the customer it was merged into)."""
        moved: set[str] = set()
        for _, ev in accepted:
            cid = ev.get("customer_id")
            if not cid:
                continue
            owner = aliases.get(cid, cid)
            if ev["kind"] == EventKind.CUSTOMER_GROUP_CHANGED:
                moved.add(owner)
            elif ev["kind"] == EventKind.CUSTOMER_ANONYMISED:
                self._anonymise(conn, owner, parse_moment(ev["at"]), feed)
        for owner in sorted(moved):
            self._follow_group(conn, owner, feed)

    def _ids_of(self, conn: Connection, customer_id: str) -> list[str]:
        c = s.customer_aliases.c
        merged = conn.execute(select(c.alias).where(c.customer_id == customer_id)).scalars()
        return [customer_id, *merged]

    def _follow_group(self, conn: Connection, customer_id: str, feed: Feed) -> None:
        """The customer's group is that of their latest move by the replay's order (event
        time, device, sequence), so two tills' moves arriving in either order agree. A
        move held in quarantine (engine/plausibility.py) is left out."""
        e = s.events.c
        rows = conn.execute(
            select(e.at, e.device_id, e.device_seq, e.payload).where(
                among(conn, e.customer_id, self._ids_of(conn, customer_id)),
                e.kind == EventKind.CUSTOMER_GROUP_CHANGED,
                not_quarantined(),  # a move to a group the program lacks is held
            )
        ).all()
        row = conn.execute(select(s.customers).where(s.customers.c.id == customer_id)).first()
        if not rows or row is None:
            return
        latest = max(rows, key=lambda r: order_key(r.at, r.device_id, int(r.device_seq)))
        data = orjson.loads(row.data)
        group = orjson.loads(latest.payload)["group"]
        if data.get("group") == group:
            return
        data["group"] = group
        conn.execute(
            update(s.customers).where(s.customers.c.id == customer_id).values(data=dumps(data))
        )
        feed.append(("customer", customer_id, {"id": customer_id, "phone": row.phone, **data}))

    def _anonymise(self, conn: Connection, customer_id: str, at: datetime, feed: Feed) -> None:
        """Erase the customer's personal data here: the customer row, their registration
        events (theirs and those merged into them), their earlier changes in the feed, the
        phone on their cards and merges; the erased phone is kept as a hash only (see
        ``_erase_late_registrations``)."""
        row = conn.execute(select(s.customers).where(s.customers.c.id == customer_id)).first()
        if row is None:
            return  # no such customer here: nothing to erase
        placeholder = anonymised_phone(customer_id)
        if not is_anonymised_phone(row.phone):
            hashed = phone_hash(row.phone)
            a = s.anonymised_phones.c
            conn.execute(delete(s.anonymised_phones).where(a.phone_hash == hashed))
            conn.execute(
                insert(s.anonymised_phones).values(
                    phone_hash=hashed, customer_id=customer_id, anonymised_at=at
                )
            )
            conn.execute(
                update(s.card_numbers)
                .where(s.card_numbers.c.phone == row.phone)
                .values(phone=placeholder)
            )
            conn.execute(
                update(s.merges).where(s.merges.c.phone == row.phone).values(phone=placeholder)
            )
        data = orjson.loads(row.data)
        erased_at = aware(row.anonymised_at) if row.anonymised_at is not None else at
        kept = {
            "name": "",
            "birthday": None,
            "group": data.get("group"),
            "cards": [],  # they no longer work: no till needs to know them
            "registered_at": data.get("registered_at"),
            "anonymised_at": iso(erased_at),
        }
        conn.execute(
            update(s.customers)
            .where(s.customers.c.id == customer_id)
            .values(phone=placeholder, data=dumps(kept), anonymised_at=erased_at)
        )
        ids = self._ids_of(conn, customer_id)
        self._redact_registrations(conn, ids)
        # The feed's earlier changes of the customer carried the person to the tills: they
        # say now what the last one says (a till pulling them applies the erasure).
        for key in ids:
            conn.execute(
                update(s.changes)
                .where(s.changes.c.key == key, s.changes.c.kind == "customer")
                .values(payload=dumps({"id": key, "phone": anonymised_phone(key), **kept}))
            )
        feed.append(("customer", customer_id, {"id": customer_id, "phone": placeholder, **kept}))

    def _redact_registrations(self, conn: Connection, ids: Sequence[str]) -> None:
        e = s.events.c
        rows = conn.execute(
            select(e.id, e.payload).where(
                among(conn, e.customer_id, ids), e.kind == EventKind.CUSTOMER_REGISTERED
            )
        ).all()
        for event_id, payload in rows:
            redacted = redacted_registration(orjson.loads(payload))
            conn.execute(update(s.events).where(e.id == event_id).values(payload=dumps(redacted)))
