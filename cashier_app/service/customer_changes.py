"""A manager's changes to customers after registration: moving them to another group, and
erasing a customer's personal data on their request. Each is an event that syncs like a
sale (docs/sync.md) and a line of the audit log; neither changes a sum.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, select, update

from cashier_app.engine.anonymise import anonymised_phone, redacted_registration
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.service.ledger import Ledger, check_moment, to_json
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import queries
from cashier_app.storage import schema as t

# Ids looked up per statement: well under SQLite's limit of bound variables.
_CHUNK = 500


def move_to_group(
    ledger: Ledger,
    actor: Actor,
    customer_ids: Iterable[str],
    group_id: str,
    *,
    at: datetime | None = None,
) -> int:
    """Move customers to ``group_id`` from this moment on: their later sales get the new
    group's discount or points; the points they hold and their purchases so far stay. One
    event and one audit line per customer who really changes group, all in one
    transaction; returns how many changed. An unknown customer or a group that is not in
    the program in force changes nothing."""
    actor.require(Permission.MOVE_CUSTOMER_GROUP)
    check_moment(at)
    ids = list(dict.fromkeys(customer_ids))  # each once, in the order given
    with ledger.write(at) as (conn, at):
        program = ledger.program(conn)
        group = program.group(group_id)
        if group is None:
            raise LoyaltyError(
                "unknown_group", f"there is no customer group {group_id!r} in the program"
            )
        current = _groups_of(conn, ids)
        missing = [cid for cid in ids if cid not in current]
        if missing:
            raise LoyaltyError("unknown_customer", f"no such customer: {missing[0]}")
        moved = 0
        for cid in ids:
            previous = current[cid]
            if previous == group.id:
                continue
            # The time rules run up to this moment with the old group (a birthday bonus or
            # an expiry due before the move), as the replay does (engine/replay.py).
            state, _ = ledger.catch_up(conn, program, ledger.load_state(conn, program, cid), at)
            event_id = ledger.append_event(
                conn,
                EventKind.CUSTOMER_GROUP_CHANGED,
                at,
                {"customer_id": cid, "group": group.id, "previous_group": previous},
                customer_id=cid,
                actor=actor.name,
                program_version=program.version,
            )
            conn.execute(
                update(t.customers).where(t.customers.c.id == cid).values(group_id=group.id)
            )
            after = replace(state, group=group, bonus=program.bonus_program_of(group))
            # Saved again so the next automatic event is the new group's program's.
            ledger.save_state(conn, program, state, after, at, event_id=event_id)
            ledger.audit(
                conn,
                "move_customer_group",
                cid,
                actor.name,
                {"from": previous, "to": group.id},
                user_id=actor.id,
            )
            moved += 1
    return moved


def _groups_of(conn: Connection, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = conn.execute(
            select(t.customers.c.id, t.customers.c.group_id).where(t.customers.c.id.in_(chunk))
        )
        found.update({str(r.id): str(r.group_id) for r in rows})
    return found


def anonymise_customer(
    ledger: Ledger, actor: Actor, customer_id: str, *, at: datetime | None = None
) -> str:
    """Erase the customer's personal data on their request (docs/security.md): name, phone,
    birthday, consent and referrer, here and in their registration event; their cards stop
    working, so a scan no longer finds them. Their points, purchases and receipts stay, now
    of no one in particular. Returns the id of the event that carries the erasure to the
    central server and the other tills."""
    actor.require(Permission.ANONYMISE_CUSTOMER)
    check_moment(at)
    with ledger.write(at) as (conn, at):
        row = conn.execute(
            select(t.customers.c.id, t.customers.c.anonymised_at).where(
                t.customers.c.id == customer_id
            )
        ).first()
        if row is None:
            raise LoyaltyError("unknown_customer", "no such customer")
        if row.anonymised_at is not None:
            raise LoyaltyError("already_anonymised", "this customer's data was already erased")
        program = ledger.program(conn)
        # A birthday bonus due before this moment is still the customer's (the replay runs
        # the time rules up to the event before it forgets the birthday).
        state, _ = ledger.catch_up(conn, program, ledger.load_state(conn, program, customer_id), at)
        event_id = ledger.append_event(
            conn,
            EventKind.CUSTOMER_ANONYMISED,
            at,
            {"customer_id": customer_id},
            customer_id=customer_id,
            actor=actor.name,
            program_version=program.version,
        )
        erase_customer(conn, customer_id, at)
        kept = state.standing
        after = replace(
            state, standing=replace(kept, profile=replace(kept.profile, birthday=None)), name=""
        )
        ledger.save_state(conn, program, state, after, at, event_id=event_id)
        # Only the id: the log is append-only, so personal data in it could never go.
        ledger.audit(conn, "anonymise_customer", customer_id, actor.name, {}, user_id=actor.id)
    return event_id


def erase_customer(
    conn: Connection, customer_id: str, at: datetime, *, compact: bool = True
) -> None:
    """The erasure itself, in the caller's transaction: the customer's row, cards and
    registration events (this till's own and those of customers the server merged into
    this one). Sync applies the same when another till anonymised the customer, and
    compacts the name index once per page (``compact`` False, then ``compact_names``)."""
    conn.execute(
        update(t.customers)
        .where(t.customers.c.id == customer_id)
        .values(
            phone=anonymised_phone(customer_id),
            phone_last4="",  # never found by the last four digits of a phone
            name="",
            birthday=None,
            consent_at=None,
            referrer_id=None,
            anonymised_at=at,
        )
    )
    conn.execute(update(t.cards).where(t.cards.c.customer_id == customer_id).values(active=False))
    ids = [customer_id, *_merged_into(conn, customer_id)]
    e = t.events.c
    registrations = conn.execute(
        select(e.id, e.payload).where(
            e.customer_id.in_(ids), e.kind == EventKind.CUSTOMER_REGISTERED
        )
    ).all()
    for event_id, payload in registrations:
        redacted = redacted_registration(json.loads(payload))
        conn.execute(
            update(t.events)
            .where(e.id == event_id)
            .values(
                payload=json.dumps(to_json(redacted), ensure_ascii=False, separators=(",", ":"))
            )
        )
    if compact:
        compact_names(conn)


def compact_names(conn: Connection) -> None:
    """The erased names' words leave the name search's index for good, not only its view."""
    conn.execute(queries.compact_name_index(t.customers))


def _merged_into(conn: Connection, customer_id: str) -> list[str]:
    """Customers the server merged into this one (sync/apply.py records each merge in the
    audit log): their registration events here hold the same person."""
    a = t.audit_log.c
    details = conn.execute(
        select(a.details).where(a.action == "merge_customer", a.subject == customer_id)
    ).scalars()
    merged = []
    for text in details:
        alias = json.loads(text).get("merged")
        if isinstance(alias, str):
            merged.append(alias)
    return merged
