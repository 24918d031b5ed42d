"""A till's push: each event stored once (by its id), in device-sequence order, a gap
reported; malformed events and reused receipt ids refuse the whole push; implausible
sales are held in quarantine; the customers concerned are marked for the replay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, insert, select, update

from cashier_app.engine.event_check import InvalidEvent, check_event
from cashier_app.engine.events import EventKind
from cashier_app.engine.plausibility import implausible
from cashier_app.engine.program import Program
from cashier_app.engine.protocol import PushResult, Refusal, refusal
from central_server import schema as s
from central_server.ledger.common import (
    Device,
    Feed,
    ServerError,
    among,
    bulk_insert,
    dumps,
    order_key,
    parse_moment,
)
from central_server.ledger.customer_changes import CustomerChanges
from central_server.ledger.registrations import Registrations

# The kinds whose plausibility can be judged without the customer's state.
HELD_KINDS = (
    EventKind.SALE,
    EventKind.RETURN,
    EventKind.ADJUSTMENT,
    EventKind.CUSTOMER_GROUP_CHANGED,
)


class Pushes(CustomerChanges, Registrations):
    def push(
        self, device: Device, batch: Iterable[Mapping[str, Any]]
    ) -> tuple[list[PushResult], int]:
        """Store each event once (by UUID), in device-sequence order; a gap is reported and
        nothing after it is taken, so the till sends the missing event first. Returns the
        per-event results and the device's last stored sequence number."""
        outcome = self.push_many([(device, list(batch))])[0]
        if isinstance(outcome, ServerError):
            raise outcome
        return outcome

    def push_many(
        self, pushes: Sequence[tuple[Device, Sequence[Mapping[str, Any]]]]
    ) -> list[tuple[list[PushResult], int] | ServerError]:
        """Several devices' pushes (one each) in one transaction: one commit for a whole
        group of tills, which is what lets the server keep up with hundreds of them. The
        devices' rows are locked in id order, so concurrent groups cannot deadlock."""
        feed: Feed = []  # changes for the tills, appended to the feed at the end
        now = self.clock()
        outcomes: list[tuple[list[PushResult], int] | ServerError] = []
        with self.engine.begin() as conn:
            d = s.devices.c
            locked = {
                r.id: r
                for r in conn.execute(
                    select(d.id, d.last_seq, d.revoked_at)
                    .where(among(conn, d.id, sorted({dev.id for dev, _ in pushes})))
                    .order_by(d.id)
                    .with_for_update()
                )
            }
            ids = [ev["id"] for _, batch in pushes for ev in batch]
            known = {
                r.id: r
                for r in conn.execute(
                    select(s.events.c.id, s.events.c.device_id, s.events.c.device_seq).where(
                        among(conn, s.events.c.id, ids)
                    )
                )
            }
            used = self._used_receipts(conn, pushes, known)
            accepted: list[tuple[str, Mapping[str, Any]]] = []
            lasts: list[dict[str, Any]] = []
            for device, batch in pushes:
                row = locked.get(device.id)
                if row is None or row.revoked_at is not None:
                    outcomes.append(
                        ServerError(
                            403, "revoked", "this device was revoked; its unsent events stay on it"
                        )
                    )
                    continue
                refused = _malformed(batch, known, now) or _reused(batch, known, used)
                if refused:  # the whole push, so the till sees every reason at once
                    outcomes.append((refused, int(row.last_seq)))
                    continue
                results, mine, last = _sort_out(device.id, row.last_seq, batch, known)
                accepted += [(device.id, ev) for ev in mine]
                used.update(r for ev in mine if (r := _receipt(ev)))
                if mine:
                    lasts.append({"device": device.id, "last": last})
                outcomes.append((results, last))
            accepted, late = self._erase_late_registrations(conn, accepted)
            bulk_insert(
                conn,
                s.events,
                [
                    {
                        "id": ev["id"],
                        "device_id": device_id,
                        "device_seq": ev["device_seq"],
                        "kind": ev["kind"],
                        "at": parse_moment(ev["at"]),
                        "customer_id": ev.get("customer_id"),
                        "program_version": ev.get("program_version"),
                        "payload": dumps(ev["payload"]),
                        "received_at": now,
                    }
                    for device_id, ev in accepted
                ],
            )
            bulk_insert(
                conn,
                s.receipt_ids,
                [
                    {"receipt_id": _receipt(ev), "event_id": ev["id"]}
                    for _, ev in accepted
                    if _receipt(ev)
                ],
            )
            self._hold_implausible(conn, accepted, now)
            # customers a registration in this push created or merged into
            registrations = self._claim_cards(
                conn, [(dv, ev) for dv, ev in accepted if ev["kind"] == "customer_registered"], now
            )
            kept = self._register_all(conn, registrations, feed)
            others = {
                ev["customer_id"]
                for _, ev in accepted
                if ev.get("customer_id") and ev["kind"] != "customer_registered"
            }
            aliases: dict[str, str] = {}
            if others:
                aliases = dict(
                    conn.execute(
                        select(s.customer_aliases.c.alias, s.customer_aliases.c.customer_id).where(
                            among(conn, s.customer_aliases.c.alias, others)
                        )
                    ).all()
                )
            for customer_id, erased_at in late:
                self._anonymise(conn, customer_id, erased_at, feed)
            self._apply_customer_changes(conn, accepted, aliases, feed)
            if lasts:
                conn.execute(
                    update(s.devices)
                    .where(d.id == bindparam("device"))
                    .values(last_seq=bindparam("last")),
                    lasts,
                )
            since: dict[str, str] = {c: "" for c in kept}  # new or merged: the whole history
            for device_id, ev in accepted:
                cid = ev.get("customer_id")
                if cid and ev["kind"] != "customer_registered":
                    owner = aliases.get(cid, cid)
                    key = order_key(parse_moment(ev["at"]), device_id, int(ev["device_seq"]))
                    since[owner] = min(since.get(owner, key), key)
            self._mark_dirty(conn, since)
            # Last, so the feed's counter row stays locked only for the commit itself.
            if feed:
                self._changes(conn, feed)
        return outcomes

    def _hold_implausible(
        self, conn: Connection, accepted: list[tuple[str, Mapping[str, Any]]], now: datetime
    ) -> None:
        """Sales, returns and adjustments the program named could not have produced
        (plausibility.py) are stored but quarantined: the replay leaves them out until an
        administrator releases them."""
        sales = {_receipt(ev): ev["payload"] for _, ev in accepted if _receipt(ev)}
        held = []
        programs: dict[int | None, Program | None] = {}  # one lookup per version per push
        for _, ev in accepted:
            if ev["kind"] not in HELD_KINDS or not ev.get("customer_id"):
                continue
            version = ev.get("program_version")
            if version not in programs:
                programs[version] = self._program(conn, version)
            program = programs[version]
            if program is None:
                continue
            sale = None
            if ev["kind"] == "return":
                receipt = ev["payload"]["receipt_id"]
                sale = sales.get(receipt) or self._sale_payload(conn, receipt)
            why = implausible(ev["kind"], ev["payload"], program, sale, parse_moment(ev["at"]))
            if why is not None:
                held.append(
                    {
                        "event_id": ev["id"],
                        "customer_id": ev["customer_id"],
                        "reason": f"implausible: {why}"[:500],
                        "at": now,
                    }
                )
        if held:
            conn.execute(insert(s.quarantine), held)

    def _sale_payload(self, conn: Connection, receipt_id: str) -> dict[str, Any] | None:
        payload = conn.execute(
            select(s.events.c.payload)
            .join(s.receipt_ids, s.receipt_ids.c.event_id == s.events.c.id)
            .where(s.receipt_ids.c.receipt_id == receipt_id)
        ).scalar()
        return orjson.loads(payload) if payload is not None else None

    def _used_receipts(
        self,
        conn: Connection,
        pushes: Sequence[tuple[Device, Sequence[Mapping[str, Any]]]],
        known: Mapping[str, Any],
    ) -> set[str]:
        """The receipt ids of the new sales in these pushes that are stored already."""
        ids = [
            r
            for _, batch in pushes
            for ev in batch
            if ev.get("id") not in known and (r := _receipt(ev))
        ]
        if not ids:
            return set()
        c = s.receipt_ids.c
        query = select(c.receipt_id).where(among(conn, c.receipt_id, ids))
        return set(conn.execute(query).scalars())


def _malformed(
    batch: Sequence[Mapping[str, Any]], known: Mapping[str, Any], now: datetime
) -> list[PushResult]:
    """A push with a malformed event (cashier_app/engine/event_check.py) is refused whole:
    each malformed event with its reason, the others with the first malformed event's.
    Empty when every new event is well formed (one stored before is not checked again)."""
    reasons: dict[str, str] = {}
    for ev in batch:
        if ev.get("id") in known:
            continue
        try:
            check_event(ev, now)
        except InvalidEvent as exc:
            reasons[ev["id"]] = refusal(Refusal.INVALID_EVENT, exc.reason)
    if not reasons:
        return []
    first_id, first = next(iter(reasons.items()))
    return [
        PushResult(
            id=ev["id"],
            status="refused",
            reason=reasons.get(ev["id"])
            or refusal(Refusal.BATCH_REFUSED, f"event {first_id} is refused: {first}"),
        )
        for ev in batch
    ]


def _receipt(ev: Mapping[str, Any]) -> str | None:
    payload = ev.get("payload")
    if ev.get("kind") != "sale" or not isinstance(payload, Mapping):
        return None
    receipt = payload.get("receipt_id")
    return receipt if isinstance(receipt, str) else None


def _reused(
    batch: Sequence[Mapping[str, Any]], known: Mapping[str, Any], used: set[str]
) -> list[PushResult]:
    """As ``_malformed``, for a new sale whose receipt id another sale has (stored, or
    earlier in this push)."""
    seen: set[str] = set()
    for ev in batch:
        receipt = _receipt(ev)
        if ev.get("id") in known or receipt is None:
            continue
        if receipt in used or receipt in seen:
            reason = refusal(
                Refusal.INVALID_EVENT, "payload.receipt_id: another sale has this receipt id"
            )
            batch_refused = refusal(Refusal.BATCH_REFUSED, f"event {ev['id']} is refused: {reason}")
            return [
                PushResult(
                    id=e["id"], status="refused", reason=reason if e is ev else batch_refused
                )
                for e in batch
            ]
        seen.add(receipt)
    return []


def _sort_out(
    device_id: str, last: int, batch: Sequence[Mapping[str, Any]], known: Mapping[str, Any]
) -> tuple[list[PushResult], list[Mapping[str, Any]], int]:
    """One device's batch against what is stored: the results, the events to store (in
    sequence, none after a gap) and the new last sequence number."""
    results: list[PushResult] = []
    accepted: list[Mapping[str, Any]] = []
    stop = False
    for ev in sorted(batch, key=lambda e: e["device_seq"]):
        seen = known.get(ev["id"])
        if stop:
            results.append(PushResult(id=ev["id"], status="refused", reason=Refusal.AFTER_GAP))
        elif seen is not None:
            same = seen.device_id == device_id and seen.device_seq == ev["device_seq"]
            results.append(
                PushResult(id=ev["id"], status="duplicate")
                if same
                else PushResult(id=ev["id"], status="refused", reason=Refusal.ID_REUSED)
            )
        elif ev["device_seq"] <= last:
            results.append(
                PushResult(id=ev["id"], status="refused", reason=Refusal.SEQUENCE_REUSED)
            )
        elif ev["device_seq"] != last + 1:
            gap = refusal(Refusal.GAP, f"expected {last + 1}")
            results.append(PushResult(id=ev["id"], status="refused", reason=gap))
            stop = True
        else:
            accepted.append(ev)
            last = ev["device_seq"]
            results.append(PushResult(id=ev["id"], status="accepted"))
    return results, accepted, last
