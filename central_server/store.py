"""The server's operations: enrolment, push (idempotent, gap-checked), replay into
authoritative balances, pull by cursor, program versions, the reconciliation report."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from cashier_app.engine.automation import next_due
from cashier_app.engine.errors import LoyaltyError, ProgramError
from cashier_app.engine.event_check import FUTURE_TOLERANCE, InvalidEvent, check_event
from cashier_app.engine.pins import check_pin
from cashier_app.engine.plausibility import implausible
from cashier_app.engine.program import Program, parse_program
from cashier_app.engine.protocol import (
    ALL_STORES,
    DEFAULT_STORE,
    MAX_STORE_NAME,
    MAX_USER_NAME,
    SNAPSHOT_FORMAT,
    PushResult,
    Refusal,
    refusal,
)
from cashier_app.engine.replay import (
    CustomerReplay,
    Overdraft,
    RecordedEvent,
    advance,
    apply,
    last_order,
    replay_customer,
    resume,
    start,
    state_from_dict,
    state_to_dict,
)
from central_server import schema as s

Clock = Callable[[], datetime]
Feed = list[tuple[str, str, Mapping[str, Any]]]
CODE_LIFETIME = timedelta(hours=24)
QUIET = timedelta(seconds=2)  # a customer's events have settled after this
MOST_LAG = timedelta(seconds=10)  # replayed by then even while events keep coming


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# A till's card numbers are "2" + its 4-digit card prefix + a 7-digit sequence + the
# EAN-13 check digit (cashier_app/service/cards.py), so there are 9,999 prefixes (0001 to
# 9999). Widening them would change the form of the numbers already printed on cards and
# the tills' own checks, so a revoked till's prefix is reused instead, once an
# administrator has freed it (release_prefix): that is their statement that the till's
# cards are accounted for (it had sent everything, or what it never sent is written
# off). Never-used prefixes go first; a freed one is reused only when none is left.
CARD_PREFIXES = [f"{n:04d}" for n in range(1, 10000)]


def store_name(name: str) -> str:
    """A store's name as given, or a 422 refusal."""
    name = name.strip()
    if not name or len(name) > MAX_STORE_NAME or _CONTROL.search(name) or name == ALL_STORES:
        raise ServerError(
            422,
            "invalid_store",
            f"a store's name is 1 to {MAX_STORE_NAME} characters, with no control characters "
            f"('{ALL_STORES}' means every store, for a user only)",
        )
    return name


class ServerError(Exception):
    """A request the server refuses: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    card_prefix: str
    last_seq: int
    store: str = DEFAULT_STORE


class ServerStore:
    def __init__(self, engine: Engine, clock: Clock = _now) -> None:
        self.engine = engine
        self.clock = clock
        self._programs: dict[int, Program] = {}
        self._tokens: dict[str, Device] = {}  # token hash -> device (ids never change)

    # -- enrolment ---------------------------------------------------------------------------
    def issue_code(self, store: str = DEFAULT_STORE) -> str:
        """A one-time code that enrols a till of ``store``."""
        store = store_name(store)
        code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.enrol_codes).values(
                    code_hash=_hash(code),
                    created_at=now,
                    expires_at=now + CODE_LIFETIME,
                    store=store,
                )
            )
        return code

    def enrol(self, code: str, name: str) -> tuple[Device, str]:
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(s.enrol_codes)
                .where(s.enrol_codes.c.code_hash == _hash(code.strip().upper()))
                .with_for_update()
            ).first()
            if row is None or row.used_by is not None or _aware(row.expires_at) < now:
                raise ServerError(403, "bad_code", "the enrolment code is unknown, used or expired")
            token = secrets.token_urlsafe(32)
            device_id = _new_id()
            prefix = self._free_prefix(conn)
            conn.execute(
                insert(s.devices).values(
                    id=device_id,
                    name=name[:80],
                    token_hash=_hash(token),
                    card_prefix=prefix,
                    enrolled_at=now,
                    last_seq=0,
                    store=row.store,
                )
            )
            conn.execute(
                update(s.enrol_codes)
                .where(s.enrol_codes.c.code_hash == row.code_hash)
                .values(used_by=device_id)
            )
        return Device(device_id, name, prefix, 0, row.store), token

    def _free_prefix(self, conn: Connection) -> str:
        """A card prefix no till holds: a never-used one, else the longest-freed one (see
        CARD_PREFIXES); a 409 when every one is held. Nothing is written before this, so
        the refused code stays unused."""
        d = s.devices.c
        held = set(conn.execute(select(d.card_prefix).where(d.card_prefix.is_not(None))).scalars())
        freed = conn.execute(
            select(d.released_prefix)
            .where(d.released_prefix.is_not(None))
            .order_by(d.revoked_at, d.id)
        ).scalars()
        freed_order = list(dict.fromkeys(freed))
        used = held | set(freed_order)
        fresh = next((p for p in CARD_PREFIXES if p not in used), None)
        if fresh is not None:
            return fresh
        again = next((p for p in freed_order if p not in held), None)
        if again is None:
            raise ServerError(
                409,
                "no_card_prefix",
                f"all {len(CARD_PREFIXES)} card prefixes are held by enrolled tills: revoke a "
                "till no longer in use and, once its cards are accounted for, free its "
                "prefix (central-server release-prefix DEVICE_ID)",
            )
        return str(again)

    def release_prefix(self, device_id: str) -> str:
        """Free a revoked till's card prefix for a till enrolled later. The administrator
        says so once the revoked till's cards are accounted for: its events can never
        arrive any more (a revoked till's pushes are refused), and the cards the server
        knows are in every till's ledger, where a till's next number skips them; cards it
        issued but never sent would be handed out again. Returns the prefix."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(s.devices).where(s.devices.c.id == device_id).with_for_update()
            ).first()
            if row is None:
                raise ServerError(404, "unknown_device", "no such device")
            if row.revoked_at is None:
                raise ServerError(
                    409,
                    "device_not_revoked",
                    "only a revoked till's card prefix can be freed: revoke the till first",
                )
            if row.card_prefix is None:
                return str(row.released_prefix)  # freed already
            conn.execute(
                update(s.devices)
                .where(s.devices.c.id == device_id)
                .values(card_prefix=None, released_prefix=row.card_prefix)
            )
        return str(row.card_prefix)

    def device_for(self, token: str | None, cached: bool = False) -> Device:
        """The device a token belongs to. ``cached``: a device seen before is answered
        from memory (a token never changes hands), for callers that check revocation
        themselves under a lock, as a push does."""
        if not token:
            raise ServerError(401, "no_token", "a device token is required")
        if cached and (known := self._tokens.get(_hash(token))) is not None:
            return known
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.devices).where(s.devices.c.token_hash == _hash(token))
            ).first()
        if row is None:
            raise ServerError(401, "bad_token", "unknown device token")
        if row.revoked_at is not None:
            raise ServerError(
                403, "revoked", "this device was revoked; its unsent events stay on it"
            )
        device = Device(row.id, row.name, row.card_prefix, row.last_seq, row.store)
        self._tokens[row.token_hash] = device
        return device

    def revoke(self, device_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(s.devices).where(s.devices.c.id == device_id).values(revoked_at=self.clock())
            )
        if not done.rowcount:
            raise ServerError(404, "unknown_device", "no such device")

    # -- programs ----------------------------------------------------------------------------
    def publish_program(self, document: Mapping[str, Any]) -> Program:
        try:
            program = parse_program(document)
        except ProgramError as exc:
            raise ServerError(422, "invalid_program", exc.message) from None
        with self.engine.begin() as conn:
            current = conn.execute(select(func.max(s.program_versions.c.version))).scalar()
            if current is not None and program.version <= current:
                raise ServerError(
                    409, "stale_program", f"version {program.version} is not newer than {current}"
                )
            text = json.dumps(dict(document), ensure_ascii=False)
            conn.execute(
                insert(s.program_versions).values(
                    version=program.version, document=text, published_at=self.clock()
                )
            )
            self._change(conn, "program", str(program.version), dict(document))
        return program

    def _program(self, conn: Connection, version: int | None) -> Program | None:
        latest = conn.execute(select(func.max(s.program_versions.c.version))).scalar()
        if latest is None:
            return None
        if version is None or version > latest:
            version = latest
        if version not in self._programs:
            doc = conn.execute(
                select(s.program_versions.c.document)
                .where(s.program_versions.c.version <= version)
                .order_by(s.program_versions.c.version.desc())
                .limit(1)
            ).scalar()
            self._programs[version] = parse_program(json.loads(doc))
        return self._programs[version]

    # -- push --------------------------------------------------------------------------------
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
                    .where(_among(conn, d.id, sorted({dev.id for dev, _ in pushes})))
                    .order_by(d.id)
                    .with_for_update()
                )
            }
            ids = [ev["id"] for _, batch in pushes for ev in batch]
            known = {
                r.id: r
                for r in conn.execute(
                    select(s.events.c.id, s.events.c.device_id, s.events.c.device_seq).where(
                        _among(conn, s.events.c.id, ids)
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
                used.update(_receipt(ev) for ev in mine if _receipt(ev))
                if mine:
                    lasts.append({"device": device.id, "last": last})
                outcomes.append((results, last))
            _bulk_insert(
                conn,
                s.events,
                [
                    {
                        "id": ev["id"],
                        "device_id": device_id,
                        "device_seq": ev["device_seq"],
                        "kind": ev["kind"],
                        "at": _parse(ev["at"]),
                        "customer_id": ev.get("customer_id"),
                        "program_version": ev.get("program_version"),
                        "payload": _dumps(ev["payload"]),
                        "received_at": now,
                    }
                    for device_id, ev in accepted
                ],
            )
            _bulk_insert(
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
                            _among(conn, s.customer_aliases.c.alias, others)
                        )
                    ).all()
                )
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
                    key = order_key(_parse(ev["at"]), device_id, int(ev["device_seq"]))
                    since[owner] = min(since.get(owner, key), key)
            self._mark_dirty(conn, since)
            # Last, so the feed's counter row stays locked only for the commit itself.
            if feed:
                self._changes(conn, feed)
        return outcomes

    def _hold_implausible(
        self, conn: Connection, accepted: list[tuple[str, Mapping[str, Any]]], now: datetime
    ) -> None:
        """Sales and returns the program named could not have produced (plausibility.py)
        are stored but quarantined: the replay leaves them out until an administrator
        releases them."""
        sales = {_receipt(ev): ev["payload"] for _, ev in accepted if _receipt(ev)}
        held = []
        programs: dict[int | None, Program | None] = {}  # one lookup per version per push
        for _, ev in accepted:
            if ev["kind"] not in ("sale", "return") or not ev.get("customer_id"):
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
            why = implausible(ev["kind"], ev["payload"], program, sale)
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

    # -- quarantine ---------------------------------------------------------------------------
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
                "event_at": _iso(_aware(r.event_at)),
                "reason": r.reason,
                "state": r.state,
                "quarantined_at": _iso(_aware(r.at)),
                "decided_at": _iso(_aware(r.decided_at)) if r.decided_at else None,
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
        query = select(c.receipt_id).where(_among(conn, c.receipt_id, ids))
        return set(conn.execute(query).scalars())

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
        query = select(c.number, c.phone).where(_among(conn, c.number, cards))
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
                select(s.customers.c.phone).where(_among(conn, s.customers.c.phone, phones))
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
                    "registered_at": _parse(ev["at"]),
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
        new_id = p["customer_id"]
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
                    registered_at=_parse(ev["at"]),
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
        # A registration counts as made no earlier than its till's enrolment: one dated
        # before it (a standalone till's, or a forged date) never takes a customer over.
        enrolled = conn.execute(
            select(s.devices.c.enrolled_at).where(s.devices.c.id == device_id)
        ).scalar_one()
        mine = (max(_parse(ev["at"]), _aware(enrolled)), device_id, int(ev["device_seq"]))
        theirs = (
            (max(_aware(old.at), _aware(old.enrolled_at)), old.device_id, int(old.device_seq))
            if old
            else mine
        )
        now = self.clock()
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
                    registered_at=_parse(ev["at"]),
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

    def _mark_dirty(self, conn: Connection, since: Mapping[str, str]) -> None:
        """Note the customers to replay with the earliest new event's key. Marks are only
        ever inserted, never updated, so a push never waits for a replay in progress."""
        if not since:
            return
        now = self.clock()
        _bulk_insert(
            conn,
            s.dirty_marks,
            [{"customer_id": c, "since": k, "marked_at": now} for c, k in sorted(since.items())],
        )

    def catch_up(self, batch: int = 200, settled: bool = False) -> int:
        """Replay every customer marked dirty; returns how many. Safe to run from several
        processes at once: on PostgreSQL each takes customers no other replayer holds (a
        transaction-scoped advisory lock per customer), and only the marks it read are
        removed, so a mark added during the replay is replayed next time.

        ``settled`` (the background replayer) takes only customers with no new events for
        ``QUIET`` or waiting longer than ``MOST_LAG``: during a rush, a customer's events
        from many pushes then go into one replay, and a till uploading its backlog is not
        slowed by replays of what it is still sending. A pull replays what is left first."""
        done = 0
        m = s.dirty_marks.c
        postgres = self.engine.dialect.name == "postgresql"
        while True:
            with self.engine.begin() as conn:
                marks = (
                    select(
                        m.customer_id,
                        func.min(m.since).label("since"),
                        func.min(m.marked_at).label("first"),
                        func.max(m.marked_at).label("last"),
                    )
                    .group_by(m.customer_id)
                    .order_by(m.customer_id)
                )
                if settled:
                    now = self.clock()
                    marks = marks.having(
                        or_(
                            func.max(m.marked_at) <= now - QUIET,
                            func.min(m.marked_at) <= now - MOST_LAG,
                        )
                    )
                if postgres:
                    grouped = marks.subquery()
                    query = (
                        select(grouped.c.customer_id, grouped.c.since)
                        .where(func.pg_try_advisory_xact_lock(func.hashtext(grouped.c.customer_id)))
                        .limit(batch)
                    )
                else:
                    query = marks.limit(batch)
                chosen = {r.customer_id: r.since for r in conn.execute(query)}
                if not chosen:
                    return done
                ids = list(
                    conn.execute(
                        select(m.id).where(_among(conn, m.customer_id, list(chosen)))
                    ).scalars()
                )
                # Marks committed after that read are not in ``ids`` and stay for next time.
                since = {
                    r.customer_id: r.since
                    for r in conn.execute(
                        select(m.customer_id, func.min(m.since).label("since"))
                        .where(_among(conn, m.id, ids))
                        .group_by(m.customer_id)
                    )
                }
                feed: Feed = []
                self._replay(conn, since, feed)
                conn.execute(delete(s.dirty_marks).where(_among(conn, m.id, ids)))
                if feed:
                    self._changes(conn, feed)
                done += len(since)

    def run_automations(self, batch: int = 200) -> int:
        """The automatic events (birthday and win-back bonuses, points becoming available,
        expiry and its warnings) fallen due by the server's clock, for customers with no
        new events too: the customers nobody serves. One transaction of at most ``batch``
        customers, the soonest due first; returns how many (the background replayer calls
        it every round). Each is a replay with no new event, resumed from the stored one
        and advanced to now, so it derives the very lots a till derives (docs/automations.md).

        A customer with events waiting is left to ``catch_up``, which advances them anyway.
        A look that changes nothing the tills see (after migration s0006 every account is
        looked at once) sends no change to the tills."""
        now = self.clock().astimezone(UTC)  # as the moments are stored (see _next_due)
        a, m = s.accounts.c, s.dirty_marks.c
        with self.engine.begin() as conn:
            query = (
                select(a.customer_id)
                .where(a.next_due_at <= now, ~exists().where(m.customer_id == a.customer_id))
                .order_by(a.next_due_at)
                .limit(batch)
            )
            if conn.dialect.name == "postgresql":  # as catch_up: one replayer per customer
                due = query.subquery()
                query = select(due.c.customer_id).where(
                    func.pg_try_advisory_xact_lock(func.hashtext(due.c.customer_id))
                )
            ids = list(conn.execute(query).scalars())
            if not ids:
                return 0
            before = self._account_snapshots(conn, ids)
            feed: Feed = []
            self._replay(conn, dict.fromkeys(ids, TIME_ONLY), feed)
            after = self._account_snapshots(conn, ids)
            feed = [
                f
                for f in feed
                if _seen_by_tills(before.get(f[1])) != _seen_by_tills(after.get(f[1]))
            ]
            if feed:
                self._changes(conn, feed)
        return len(ids)

    def _account_snapshots(self, conn: Connection, ids: list[str]) -> dict[str, str]:
        a = s.accounts.c
        return dict(
            conn.execute(
                select(a.customer_id, a.snapshot).where(_among(conn, a.customer_id, ids))
            ).all()
        )

    def _replay(self, conn: Connection, since: Mapping[str, str], feed: Feed) -> None:
        """Bring each customer's authoritative state up to date. When all of a customer's
        unreplayed events come after the last one replayed, the stored replay resumes with
        just them; otherwise (a late event from a till that was offline, a new or merged
        customer) the whole history is replayed again."""
        customer_ids = sorted(since)
        program = self._program(conn, None)
        if program is None:
            return  # no program published yet: the events wait, replayed once there is one
        stored = {
            r.customer_id: r.replay_state
            for r in conn.execute(
                select(s.accounts.c.customer_id, s.accounts.c.replay_state).where(
                    _among(conn, s.accounts.c.customer_id, customer_ids)
                )
            )
        }
        alias_rows = conn.execute(
            select(s.customer_aliases.c.alias, s.customer_aliases.c.customer_id).where(
                _among(conn, s.customer_aliases.c.customer_id, customer_ids)
            )
        ).all()
        owner = {c: c for c in customer_ids} | {a: c for a, c in alias_rows}
        resumable: dict[str, tuple[CustomerReplay, tuple[datetime, str, int], str]] = {}
        for c in customer_ids:
            if stored.get(c) and since[c]:
                state, last = state_from_dict(orjson.loads(stored[c]))
                if last is not None and since[c] > order_key(*last):
                    resumable[c] = (state, last, order_key(*last))
        earliest = min((since[c] for c in resumable), default=None)
        grouped: dict[str, list[RecordedEvent]] = {c: [] for c in customer_ids}
        query = select(s.events).where(
            _among(conn, s.events.c.customer_id, list(owner)), _not_quarantined()
        )
        if earliest is not None and len(resumable) == len(customer_ids):
            query = query.where(
                s.events.c.at >= datetime.fromisoformat(earliest.split("|")[0]).replace(tzinfo=UTC)
            )
        for r in conn.execute(query):
            canonical = owner[r.customer_id]
            if r.kind == "customer_registered" and r.customer_id != canonical:
                continue  # a merged-away registration brings no second welcome bonus
            event = _recorded(r)
            if canonical in resumable and order_key(*event.order) <= resumable[canonical][2]:
                continue  # already in the stored replay
            grouped[canonical].append(event)
        latest = program.version
        cache: dict[int | None, Program] = {}

        def versions(v: int | None) -> Program:
            # One lookup per version per push, not one query per replayed event.
            key = v if v is not None and v <= latest else None
            if key not in cache:
                cache[key] = self._program(conn, key) or program
            return cache[key]

        now = self.clock()
        snapshots = []
        overdrafts = []
        replays = {}
        due: dict[str, datetime | None] = {}
        for customer_id, recorded in grouped.items():
            try:
                outcome = _replay_one(
                    customer_id, recorded, resumable.get(customer_id), versions, now
                )
            except Exception as exc:  # one customer's fault stops no one else's replay
                outcome = self._isolate(conn, customer_id, versions, now, exc)
            if outcome is None:
                continue  # the registration has not arrived yet
            replays[customer_id], snap, due[customer_id], theirs = outcome
            snapshots.append((customer_id, snap))
            overdrafts += [(customer_id, o) for o in theirs]
        if not snapshots:
            return
        done = [c for c, _ in snapshots]
        conn.execute(delete(s.accounts).where(_among(conn, s.accounts.c.customer_id, done)))
        _bulk_insert(
            conn,
            s.accounts,
            [
                {
                    "customer_id": c,
                    "snapshot": snap,
                    "updated_at": now,
                    "replay_state": replays[c],
                    "next_due_at": due[c],
                }
                for c, snap in snapshots
            ],
        )
        if overdrafts:
            have = set(
                conn.execute(
                    select(s.overdrafts.c.event_id).where(
                        _among(conn, s.overdrafts.c.event_id, [o.event_id for _, o in overdrafts])
                    )
                ).scalars()
            )
            new = [
                {
                    "event_id": o.event_id,
                    "customer_id": c,
                    "device_id": o.device_id,
                    "receipt": o.receipt,
                    "points": str(o.points),
                    "at": o.at,
                }
                for c, o in overdrafts
                if o.event_id not in have
            ]
            if new:
                conn.execute(insert(s.overdrafts), new)
        # The feed names the account; a pull sends its snapshot from the accounts table as it
        # is then (never older than this one), so a replay writes the snapshot only once.
        feed += [("account", c, {}) for c in done]

    def _isolate(
        self,
        conn: Connection,
        customer_id: str,
        versions: Callable[[int | None], Program],
        now: datetime,
        failure: Exception,
    ) -> Replayed | None:
        """A customer whose replay failed: their whole history again, one event at a time,
        and each event that cannot be applied (or leaves a state that cannot be sent) is
        quarantined and left out. Logged without personal data: ids and the kind of fault."""
        log = logging.getLogger(__name__)
        log.warning(
            "replay of customer %s failed (%s); replaying event by event",
            customer_id,
            type(failure).__name__,
        )
        try:
            aliases = set(
                conn.execute(
                    select(s.customer_aliases.c.alias).where(
                        s.customer_aliases.c.customer_id == customer_id
                    )
                ).scalars()
            )
            history = [
                _recorded(r)
                for r in conn.execute(
                    select(s.events).where(
                        _among(conn, s.events.c.customer_id, [customer_id, *aliases]),
                        _not_quarantined(),
                    )
                )
                if not (r.kind == "customer_registered" and r.customer_id != customer_id)
            ]
            state: CustomerReplay | None = None
            last = None
            for event in sorted(history, key=lambda e: (e.kind != "customer_registered", e.order)):
                try:
                    _not_ahead([event], now)
                    if state is None:
                        if event.kind != "customer_registered":
                            break  # no registration to start from: the events wait
                        trial = start(event, versions(event.program_version))
                    else:
                        trial = copy.deepcopy(state)
                        apply(trial, event, versions(event.program_version))
                    probe = (copy.deepcopy(trial), event.order, "")
                    _replay_one(customer_id, [], probe, versions, now)  # a state tills can load
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {exc}"[:500]
                    log.warning(
                        "event %s of customer %s quarantined (%s)",
                        event.id,
                        customer_id,
                        type(exc).__name__,
                    )
                    conn.execute(delete(s.quarantine).where(s.quarantine.c.event_id == event.id))
                    conn.execute(
                        insert(s.quarantine).values(
                            event_id=event.id, customer_id=customer_id, reason=reason, at=now
                        )
                    )
                    continue
                state, last = trial, event.order
            if state is None:
                return None
            return _replay_one(customer_id, [], (state, last, ""), versions, now)
        except Exception as exc:
            log.error(
                "customer %s left as it was: their replay cannot be repaired (%s)",
                customer_id,
                type(exc).__name__,
            )
            return None

    def _change(self, conn: Connection, kind: str, key: str, payload: Mapping[str, Any]) -> None:
        self._changes(conn, [(kind, key, payload)])

    def _changes(
        self,
        conn: Connection,
        items: list[tuple[str, str, Mapping[str, Any]]],
        store: str | None = None,
        not_store: str | None = None,
    ) -> None:
        """Append changes with cursor values taken under the counter's row lock; with
        ``store``, for that store's tills only; with ``not_store``, for every other's."""
        top = conn.execute(
            update(s.cursor_counter)
            .where(s.cursor_counter.c.id == 1)
            .values(value=s.cursor_counter.c.value + len(items))
            .returning(s.cursor_counter.c.value)
        ).scalar_one()
        first = top - len(items) + 1
        _bulk_insert(
            conn,
            s.changes,
            [
                {
                    "cursor": first + i,
                    "kind": kind,
                    "key": key,
                    "payload": _dumps(payload),
                    "store": store,
                    "not_store": not_store,
                }
                for i, (kind, key, payload) in enumerate(items)
            ],
        )

    # -- catalogue and staff, distributed to every till ---------------------------------------
    def put_products(self, products: list[dict[str, Any]]) -> int:
        now = self.clock()
        with self.engine.begin() as conn:
            for p in products:
                conn.execute(delete(s.products).where(s.products.c.sku == p["sku"]))
                conn.execute(
                    insert(s.products).values(
                        sku=p["sku"], data=json.dumps(p, ensure_ascii=False), updated_at=now
                    )
                )
            self._changes(conn, [("product", p["sku"], p) for p in products])
        return len(products)

    def put_user(
        self,
        name: str,
        role: str,
        pin: str | None,
        active: bool = True,
        store: str | None = None,
    ) -> None:
        """Add or change a member of staff; the PIN is hashed here and only the hash travels,
        to the tills of the user's store only.

        ``pin`` None keeps the user's PIN (a new user needs one; so does a user made manager
        or administrator: cashier_app/engine/pins.py, the till's rule too). ``store`` is a
        store's name or ALL_STORES; None keeps the user's store (a new user's is
        DEFAULT_STORE). A user moved away from a store is deactivated on its tills by a
        change for them alone, which carries no PIN hash; the user's earlier changes are
        taken out of the feed, so a till pulling from the start never receives a hash
        meant for another store, nor an older hash of this user."""
        from argon2 import PasswordHasher

        if not name.strip() or len(name) > MAX_USER_NAME or _CONTROL.search(name):
            raise ServerError(
                422,
                "invalid_name",
                f"a user's name is 1 to {MAX_USER_NAME} characters, with no control characters",
            )
        wanted = None if store is None or store == ALL_STORES else store_name(store)
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(s.users).where(s.users.c.name == name).with_for_update()
            ).first()
            if pin is None and row is None:
                raise ServerError(422, "pin_required", "a new user needs a PIN")
            try:
                check_pin(pin, role, previous_role=row.role if row is not None else None)
            except LoyaltyError as exc:
                raise ServerError(422, exc.code, exc.message) from None
            pin_hash = PasswordHasher().hash(pin) if pin is not None else row.pin_hash  # type: ignore[union-attr]
            if store is None:
                wanted = row.store if row is not None else DEFAULT_STORE
            conn.execute(delete(s.users).where(s.users.c.name == name))
            conn.execute(
                insert(s.users).values(
                    name=name,
                    role=role,
                    pin_hash=pin_hash,
                    active=active,
                    updated_at=now,
                    store=wanted,
                )
            )
            self._drop_user_changes(conn, name)
            if row is not None and wanted is not None and row.store != wanted:
                gone = [_user_gone(name, row.role)]
                if row.store is None:  # from every store to one: off the others' tills
                    self._changes(conn, gone, not_store=wanted)
                else:  # from one store to another: off the first one's tills
                    self._changes(conn, gone, store=row.store)
            user = {"name": name, "role": role, "pin_hash": pin_hash, "active": active}
            self._changes(conn, [("user", name, user)], store=wanted)

    def _drop_user_changes(self, conn: Connection, name: str) -> None:
        """Take the user's earlier changes that carry a PIN hash out of the feed: the new
        change (and the deactivations, kept) reach every till those reached."""
        c = s.changes.c
        stale = [
            r.cursor
            for r in conn.execute(
                select(c.cursor, c.payload).where(c.kind == "user", c.key == name)
            )
            if json.loads(r.payload).get("pin_hash")
        ]
        if stale:
            conn.execute(delete(s.changes).where(_among(conn, c.cursor, stale)))

    # -- pull --------------------------------------------------------------------------------
    def pull_json(self, after: int, limit: int, store: str = DEFAULT_STORE) -> str:
        """The page as JSON text, with each stored payload embedded as it is: a first pull
        of a large network is millions of changes, and parsing and re-encoding each would
        cost more than the rest of the exchange. An account change carries the customer's
        current snapshot; one for a customer merged away since is left out. Only the
        changes a till of ``store`` may see (its store's staff and every store's)."""
        c, a = s.changes.c, s.accounts.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.cursor, c.kind, c.key, c.payload, a.snapshot)
                .outerjoin(s.accounts, and_(c.kind == "account", a.customer_id == c.key))
                .where(
                    c.cursor > after,
                    or_(c.store.is_(None), c.store == store),
                    or_(c.not_store.is_(None), c.not_store != store),
                )
                .order_by(c.cursor)
                .limit(limit + 1)
            ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = ",".join(
            f'{{"cursor":{r.cursor},"kind":{json.dumps(r.kind)},"key":{json.dumps(r.key)},'
            f'"payload":{r.snapshot if r.kind == "account" else r.payload}}}'
            for r in rows
            if r.kind != "account" or r.snapshot is not None
        )
        cursor = rows[-1].cursor if rows else after
        return f'{{"changes":[{items}],"cursor":{cursor},"more":{"true" if more else "false"}}}'

    def snapshot(self, store: str = DEFAULT_STORE) -> Iterator[bytes]:
        """A new till's first pull in one stream instead of millions of feed changes: the
        cursor it is consistent with, then the current program, catalogue, the staff of
        ``store`` and of every store, and every
        customer with their account snapshot, as gzip-compressed JSON lines. The till
        then pulls the feed after that cursor.

        The format (engine/protocol.py SNAPSHOT_*), one line each: a header ``{"cursor",
        "customers", "format"}``; ``["program", version, document]``; ``["product", sku, product]``;
        ``["user", name, user]``; and per customer ``["customer", id, phone, name,
        birthday, group, registered_at, cards, account, lots]`` where ``account`` is
        ``[balance, pending, debt, tier_basis, last_purchase_at, sales_count,
        sales_net_total, winback_stage, birthday_year_done, as_of]`` or null (not replayed
        yet) and each lot is ``[id, kind, points, remaining, credited_at, available_at,
        expires_at, receipt, origin_lot, settled, warned]``. Amounts are integers of
        hundredths; moments are UTC as ``YYYY-MM-DD HH:MM:SS.ffffff``. Compact and ready to
        store: a till loads a million of these, and parsing decimals and time zones there
        was most of its work.

        Read in one snapshot transaction (REPEATABLE READ on PostgreSQL; on SQLite the
        read transaction is a snapshot already) that starts by reading the feed's counter:
        changes up to that value were committed and are in the data, later ones are not
        (the counter row is locked until each writer commits)."""
        self.catch_up()
        gzip = zlib.compressobj(1, zlib.DEFLATED, 31)  # level 1: the server's CPU is shared
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            cursor = conn.execute(select(s.cursor_counter.c.value)).scalar_one()
            customers = conn.execute(select(func.count()).select_from(s.customers)).scalar_one()
            lines = [_dumps({"cursor": cursor, "customers": customers, "format": SNAPSHOT_FORMAT})]
            program = conn.execute(
                select(s.program_versions.c.version, s.program_versions.c.document)
                .order_by(s.program_versions.c.version.desc())
                .limit(1)
            ).first()
            if program is not None:
                lines.append(f'["program",{program.version},{program.document}]')
            for sku, data in conn.execute(select(s.products.c.sku, s.products.c.data)):
                lines.append(f'["product",{_dumps(sku)},{data}]')
            u_ = s.users.c
            staff = select(s.users).where(or_(u_.store.is_(None), u_.store == store))
            for u in conn.execute(staff):
                user = {"name": u.name, "role": u.role, "pin_hash": u.pin_hash, "active": u.active}
                lines.append(f'["user",{_dumps(u.name)},{_dumps(user)}]')
            yield gzip.compress(("\n".join(lines) + "\n").encode())
            c, a = s.customers.c, s.accounts.c
            rows = conn.execution_options(yield_per=5000).execute(
                select(c.id, c.phone, c.data, a.snapshot)
                .outerjoin(s.accounts, a.customer_id == c.id)
                .order_by(c.id)
            )
            for part in rows.partitions():
                text = b"".join(orjson.dumps(_loadable(r)) + b"\n" for r in part)
                yield gzip.compress(text)
        yield gzip.flush()

    # -- reports -----------------------------------------------------------------------------
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
                "at": _iso(_aware(r.at)),
            }
            for r in rows
        ]
        report += [
            {
                "kind": "merge",
                "customer_id": m.customer_id,
                "merged": m.alias,
                "phone": m.phone,
                "at": _iso(_aware(m.at)),
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
                "at": _iso(_aware(r.at)),
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


Replayed = tuple[str, str, datetime | None, list[Overdraft]]


def _replay_one(
    customer_id: str,
    recorded: list[RecordedEvent],
    resumed: tuple[CustomerReplay, tuple[datetime, str, int] | None, str] | None,
    versions: Callable[[int | None], Program],
    now: datetime,
) -> Replayed | None:
    """One customer's replay: the stored state to resume from later, the snapshot as of
    now (checked to be one a till can load), the next due moment and new overdrafts.
    None while their registration has not arrived."""
    _not_ahead(recorded, now)
    if resumed is not None:
        state, previous, _ = resumed
        resume(recorded, state, versions)
        last = last_order(recorded) or previous
    elif any(e.kind == "customer_registered" for e in recorded):
        state = replay_customer(recorded, versions)
        last = last_order(recorded)
    else:
        return None
    replay = _dumps(state_to_dict(state, last))
    advance(state, versions(None), now)  # what tills are told: the state as of now
    snap = _dumps(_snapshot(customer_id, state, now))
    _snapshot_customer(customer_id, "", "{}", snap)  # raises if a till could not load it
    return replay, snap, _next_due(versions(None), state), list(state.overdrafts)


def _not_ahead(events: Iterable[RecordedEvent], now: datetime) -> None:
    """An event dated after the server's clock (past the checks on arrival by some fault)
    would expire every lot before it: it is not replayed."""
    if any(e.at > now + FUTURE_TOLERANCE for e in events):
        raise ValueError("an event dated after the server's clock")


def _recorded(r: Any) -> RecordedEvent:
    return RecordedEvent(
        r.id,
        r.device_id,
        int(r.device_seq),
        r.kind,
        _aware(r.at),
        r.program_version,
        orjson.loads(r.payload),
    )


def _not_quarantined() -> Any:
    q = s.quarantine.c
    return ~exists().where(q.event_id == s.events.c.id, q.state != "released")


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


def _receipt_number(payload_json: str) -> str | None:
    try:
        number = orjson.loads(payload_json).get("number")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return number if isinstance(number, str) else None


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


def _among(conn: Connection, column: Any, values: Iterable[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL as ``= ANY(array)``, one parameter whatever
    the count (an IN list of thousands of placeholders is parsed anew for every push)."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows; on PostgreSQL with COPY, several times faster than a batched
    INSERT (a push of thousands of events spent most of its time there)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _snapshot_customer(
    customer_id: str, phone: str, data_json: str, snapshot_json: str | None
) -> list[Any]:
    """One customer's line of a format-2 snapshot (see ``ServerStore.snapshot``)."""
    data = orjson.loads(data_json)
    account = lots = None
    if snapshot_json:
        snap = orjson.loads(snapshot_json)
        prof = snap.get("profile", {})
        account = [
            _hundredths(snap["balance"]),
            _hundredths(snap["pending"]),
            _hundredths(snap["debt"]),
            _hundredths(snap["tier_basis"]),
            _utc_text(prof.get("last_purchase_at")),
            int(prof.get("sales_count") or 0),
            _hundredths(prof.get("sales_net_total") or "0"),
            int(prof.get("winback_stage") or 0),
            prof.get("birthday_year_done"),
            _utc_text(snap.get("as_of")),
        ]
        lots = [
            [
                lot["id"],
                lot["kind"],
                _hundredths(lot["points"]),
                _hundredths(lot["remaining"]),
                _utc_text(lot["credited_at"]),
                _utc_text(lot["available_at"]),
                _utc_text(lot.get("expires_at")),
                lot.get("receipt"),
                lot.get("origin_lot"),
                bool(lot.get("settled")),
                bool(lot.get("warned")),
            ]
            for lot in snap.get("lots", [])
        ]
    return [
        "customer",
        customer_id,
        phone,
        data.get("name") or "",
        data.get("birthday"),
        data.get("group"),
        _utc_text(data.get("registered_at")),
        data.get("cards") or [],
        account,
        lots or [],
    ]


def _loadable(r: Any) -> list[Any]:
    """A customer's snapshot line; an account stored before the replay checked what it
    sends, and that a till could not load, is sent as not replayed yet (the till keeps
    its own numbers until the next replay), so one account cannot cut the stream."""
    try:
        return _snapshot_customer(r.id, r.phone, r.data, r.snapshot)
    except (ValueError, ArithmeticError, TypeError, KeyError) as exc:
        logging.getLogger(__name__).warning(
            "account of customer %s left out of the snapshot (%s)", r.id, type(exc).__name__
        )
        return _snapshot_customer(r.id, r.phone, r.data, None)


def _hundredths(amount: str) -> int:
    scaled = Decimal(amount).scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(scaled)


def _utc_text(moment: str | None) -> str | None:
    if not moment:
        return None
    return datetime.fromisoformat(moment).astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _dumps(value: Any) -> str:
    # orjson: the replay writes two JSON documents per customer per push, and the standard
    # library's encoder was a tenth of the server's CPU time.
    return orjson.dumps(value).decode()


def _customer_data(p: Mapping[str, Any], at: str | datetime) -> dict[str, Any]:
    """What the server keeps of a registration, and sends to every till."""
    return {
        "name": p.get("name") or "",
        "birthday": p.get("birthday"),
        "group": p.get("group"),
        "cards": [p["card"]] if p.get("card") else [],
        "registered_at": _iso(_parse(at)),
    }


def _new_id() -> str:
    import uuid6

    return str(uuid6.uuid7())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def order_key(at: datetime, device_id: str, seq: int) -> str:
    """The replay order (event time, then device, then sequence) as a sortable string."""
    return f"{_aware(at).astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}|{device_id}|{seq:015d}"


# The ``since`` of a replay with no new event, only time gone by: after every event's key,
# so the stored replay resumes and no event is read again.
TIME_ONLY = order_key(datetime.max.replace(tzinfo=UTC), "", 0)


def _next_due(program: Program, state: CustomerReplay) -> datetime | None:
    """In UTC, as the server's clock: SQLite keeps a moment's wall time without its zone,
    and the engine's moments are in the shop's (a birthday at its local midnight)."""
    group = program.group(state.group) or program.default_group
    due = next_due(program, program.bonus_program_of(group), state.account, state.profile)
    return due.at.astimezone(UTC) if due is not None else None


def _seen_by_tills(snapshot: str | None) -> dict[str, Any] | None:
    """An account snapshot without the moment it was made."""
    if snapshot is None:
        return None
    snap: dict[str, Any] = orjson.loads(snapshot)
    snap.pop("as_of", None)
    return snap


def _parse(value: str | datetime) -> datetime:
    return _aware(value if isinstance(value, datetime) else datetime.fromisoformat(value))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _snapshot(customer_id: str, state: Any, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "as_of": _iso(now),
        "debt": str(state.account.debt),
        "balance": str(state.account.balance(now)),
        "pending": str(state.account.pending(now)),
        "tier_basis": str(state.tier_basis),
        "profile": {
            "last_purchase_at": _iso(state.profile.last_purchase_at),
            "winback_stage": state.profile.winback_stage,
            "birthday_year_done": state.profile.birthday_year_done,
            "sales_count": state.profile.sales_count,
            "sales_net_total": str(state.profile.sales_net_total),
        },
        "lots": [
            {
                "id": lot.id,
                "kind": lot.kind.value,
                "points": str(lot.points),
                "remaining": str(lot.remaining),
                "credited_at": _iso(lot.credited_at),
                "available_at": _iso(lot.available_at),
                "expires_at": _iso(lot.expires_at),
                "receipt": lot.receipt,
                "origin_lot": lot.origin_lot,
                "settled": lot.settled,
                "warned": lot.warned,
            }
            for lot in state.account.lots
            if lot.remaining > 0
        ],
    }


def _user_gone(name: str, role: str) -> tuple[str, str, Mapping[str, Any]]:
    """A user's change for tills that must no longer have them: inactive, and no PIN hash
    (the one they held is overwritten)."""
    return ("user", name, {"name": name, "role": role, "pin_hash": "", "active": False})
