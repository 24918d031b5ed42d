"""Applying a page of server changes to the local ledger, with the new cursor, in one
local transaction (Anki's media sync shape): a crash between the two cannot skip or
repeat a page.

The server's account snapshot replaces the till's own projection of a customer; when the
till has events for that customer it has not sent yet (a sale recorded while the sync was
under way), they are applied again on top of the server's state, like a rebase, so the
till never counts its own sales twice nor loses them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from cashier_app.engine.anonymise import is_anonymised_phone
from cashier_app.engine.automation import next_due
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import lot_from_json
from cashier_app.engine.postings import Standing, merge, profile_from_json, standing_from_json
from cashier_app.engine.program import parse_program
from cashier_app.service.customer_changes import compact_names, erase_customer
from cashier_app.service.ledger import Ledger, zero_account_values
from cashier_app.service.programs import install_in
from cashier_app.storage import schema as t
from cashier_app.storage.rows import account_values, lot_row, projection_values
from cashier_app.sync.client import Change

log = logging.getLogger(__name__)


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _amount(value: Any) -> Decimal:
    """An amount of the feed, which is decimal text ("250.00"). A number is refused: it
    could be hundredths (how the snapshot and the ledger hold amounts), and read as units
    it would be a hundred times too much."""
    if not isinstance(value, str):
        raise TypeError(f"an amount in the feed is not decimal text: {value!r}")
    return Decimal(value)


ORDERED = {"program", "merge"}  # changes whose place in the feed matters to what follows


def apply_page(ledger: Ledger, changes: Sequence[Change], cursor: int) -> None:
    with ledger.db.write() as conn:
        # Between programs and merges, changes of different customers are independent: all
        # customers of the stretch go in bulk, then all account snapshots (a customer's
        # snapshot always follows the customer in the feed), then the rest in order. A
        # first pull is a million of each, so this is what makes it fast.
        segment: list[Change] = []
        for change in changes:
            if change.kind in ORDERED:
                _apply_segment(ledger, conn, segment)
                segment = []
                _HANDLERS[change.kind](ledger, conn, change.key, change.payload)
            else:
                segment.append(change)
        _apply_segment(ledger, conn, segment)
        conn.execute(update(t.sync_state).where(t.sync_state.c.id == 1).values(cursor=cursor))


def _apply_segment(ledger: Ledger, conn: Connection, segment: list[Change]) -> None:
    for kind, bulk in _BULK.items():
        run = [c for c in segment if c.kind == kind]
        if run:
            bulk(ledger, conn, _last_per_key(run))
    for change in segment:
        handler = _HANDLERS.get(change.kind)
        if change.kind not in _BULK and handler is not None:  # unknown kinds: skipped, not fatal
            handler(ledger, conn, change.key, change.payload)


def _last_per_key(run: list[Change]) -> list[Change]:
    latest = {c.key: c for c in run}  # a later change of the same thing wins
    return list(latest.values())


def _customers_bulk(ledger: Ledger, conn: Connection, run: list[Change]) -> None:
    keys = [c.key for c in run]
    known = set(conn.execute(select(t.customers.c.id).where(t.customers.c.id.in_(keys))).scalars())
    phones = [c.payload["phone"] for c in run]
    taken = dict(
        conn.execute(
            select(t.customers.c.phone, t.customers.c.id).where(t.customers.c.phone.in_(phones))
        ).all()
    )
    default = conn.execute(
        select(t.customer_groups.c.id).where(t.customer_groups.c.is_default)
    ).scalar()
    if len(set(phones)) < len(phones) or any(
        taken.get(c.payload["phone"]) not in (None, c.key) for c in run
    ):
        # Another customer holds one of these phones: the changes one by one, in the
        # feed's order, so the last word on each phone is the server's (_takes_over).
        for c in run:
            _takes_over(ledger, conn, c, default)
        return
    now = ledger.clock()
    new_rows, accounts, updates, cards = [], [], [], []
    for c in run:
        p = c.payload
        values = _customer_values(p, default)
        if c.key in known:
            updates.append({"cid": c.key, **values})
        else:
            registered = _t(p.get("registered_at")) or now
            new_rows.append(
                {
                    "id": c.key,
                    "registered_at": registered,
                    "event_id": "server",
                    "consent_at": None,
                    "referrer_id": None,
                    **values,
                }
            )
            accounts.append(zero_account_values(c.key, registered))
        cards += [(number, c.key) for number in p.get("cards") or []]
    if new_rows:
        conn.execute(insert(t.customers), new_rows)
        conn.execute(insert(t.accounts), accounts)
    if updates:
        conn.execute(update(t.customers).where(t.customers.c.id == bindparam("cid")), updates)
    if cards:
        have = set(
            conn.execute(
                select(t.cards.c.number).where(t.cards.c.number.in_([n for n, _ in cards]))
            ).scalars()
        )
        fresh = [
            {"number": n, "customer_id": cid, "issued_at": now} for n, cid in cards if n not in have
        ]
        if fresh:
            conn.execute(insert(t.cards), fresh)


def _customers(ledger: Ledger, conn: Connection, run: list[Change]) -> None:
    """Customers as the server sends them; one another till anonymised is erased here as
    well (its cards, its registration event if this till recorded it), by the same rule."""
    # Erased here and not yet told to the server (the erasure waits in the outbox): a
    # change the server made before it must not bring the person back.
    erased_here = dict(
        conn.execute(
            select(t.customers.c.id, t.customers.c.anonymised_at).where(
                t.customers.c.id.in_([c.key for c in run]), t.customers.c.anonymised_at.is_not(None)
            )
        ).all()
    )
    # A group this till does not have (a hostile till's registration the server took, a
    # program version not here yet) would fail the page on the group's foreign key, for
    # good: such a customer goes into the default group, as the snapshot does.
    groups = set(conn.execute(select(t.customer_groups.c.id)).scalars())
    run = [
        c
        if c.payload.get("group") in groups or not c.payload.get("group")
        else c.model_copy(update={"payload": {**c.payload, "group": None}})
        for c in run
    ]
    _customers_bulk(ledger, conn, run)
    erased = {c.key: _t(c.payload["anonymised_at"]) for c in run if c.payload.get("anonymised_at")}
    erased = {**erased, **erased_here}
    for key, at in erased.items():
        erase_customer(conn, key, at or ledger.clock(), compact=False)
    if erased:
        compact_names(conn)


def _customer_values(p: dict[str, Any], default: str | None) -> dict[str, Any]:
    return {
        "phone": p["phone"],
        # an anonymised customer's placeholder is no phone: never found by its last four
        "phone_last4": "" if is_anonymised_phone(p["phone"]) else p["phone"][-4:],
        "name": p.get("name") or "",
        "birthday": date.fromisoformat(p["birthday"]) if p.get("birthday") else None,
        "group_id": p.get("group") or default,
    }


def _takes_over(ledger: Ledger, conn: Connection, c: Change, default: str | None) -> None:
    """One customer change, when another customer may hold its phone here (registered at
    this till too, or earlier in the same page). The server keeps one customer per phone,
    and at this point of its feed this change is its word on the phone, so the holder is
    merged into it now, as the "merge" change that follows would do, and the data and
    cards are the server's. Without it a page failed on the phone's uniqueness for good,
    or the till kept the holder's data."""
    p = c.payload
    holder = conn.execute(
        select(t.customers.c.id).where(t.customers.c.phone == p["phone"])
    ).scalar()
    if holder is not None and holder != c.key:
        _merge(ledger, conn, holder, {"alias": holder, "into": c.key})
    values = _customer_values(p, default)
    if conn.execute(select(t.customers.c.id).where(t.customers.c.id == c.key)).scalar():
        conn.execute(update(t.customers).where(t.customers.c.id == c.key).values(**values))
    else:
        registered = _t(p.get("registered_at")) or ledger.clock()
        conn.execute(
            insert(t.customers).values(
                id=c.key, registered_at=registered, event_id="server", **values
            )
        )
        conn.execute(insert(t.accounts).values(zero_account_values(c.key, registered)))
    for number in p.get("cards") or []:
        if conn.execute(select(t.cards.c.number).where(t.cards.c.number == number)).scalar():
            conn.execute(
                update(t.cards).where(t.cards.c.number == number).values(customer_id=c.key)
            )
        else:
            conn.execute(
                insert(t.cards).values(number=number, customer_id=c.key, issued_at=ledger.clock())
            )


def _accounts_bulk(ledger: Ledger, conn: Connection, run: list[Change]) -> None:
    keys = [c.key for c in run]
    present = set(
        conn.execute(select(t.customers.c.id).where(t.customers.c.id.in_(keys))).scalars()
    )
    unsent = set(
        conn.execute(
            select(t.events.c.customer_id)
            .join(t.outbox, t.outbox.c.event_id == t.events.c.id)
            .where(t.outbox.c.sent_at.is_(None), t.events.c.customer_id.in_(keys))
            .distinct()
        ).scalars()
    )
    for c in run:
        if c.key in present and c.key in unsent:
            _rebase(ledger, conn, c.key, c.payload)
    targets = [c for c in run if c.key in present and c.key not in unsent]
    if not targets:
        return
    conn.execute(delete(t.lots).where(t.lots.c.customer_id.in_([c.key for c in targets])))
    lots = [_lot_row(c.key, lot) for c in targets for lot in c.payload.get("lots", [])]
    if lots:
        conn.execute(insert(t.lots), lots)
    conn.execute(
        update(t.accounts).where(t.accounts.c.customer_id == bindparam("cid")),
        [_account_values(ledger, c.key, c.payload) for c in targets],
    )


def _rebase(ledger: Ledger, conn: Connection, key: str, snap: dict[str, Any]) -> None:
    """The server's state of a customer who also has events this till has not sent yet
    (recorded while the sync was under way): take the server's state and apply this till's
    own unsent events on top, with the engine's replay, so they count exactly once."""
    from cashier_app.engine.replay import CustomerReplay, RecordedEvent, advance, apply
    from cashier_app.engine.returns import Spend

    program = ledger.program(conn)
    row = conn.execute(select(t.customers).where(t.customers.c.id == key)).one()
    group = program.group(row.group_id) or program.default_group
    standing = standing_from_json(snap, key, registered_at=row.registered_at, birthday=row.birthday)
    state = CustomerReplay(customer=key, group=group.id, standing=standing)
    events = conn.execute(
        select(t.events)
        .join(t.outbox, t.outbox.c.event_id == t.events.c.id)
        .where(t.outbox.c.sent_at.is_(None), t.events.c.customer_id == key)
        .order_by(t.events.c.device_seq)
    ).all()
    for e in events:
        payload = json.loads(e.payload)
        receipt = payload.get("receipt_id")
        if e.kind == EventKind.RETURN and receipt not in state.receipts:
            # The sale went up already: its accrual lot and what its redemption spent are here.
            sale = conn.execute(select(t.receipts).where(t.receipts.c.id == receipt)).first()
            spends = conn.execute(
                select(t.lot_movements.c.lot_id, t.lot_movements.c.points, t.lots.c.expires_at)
                .join(t.lots, t.lots.c.id == t.lot_movements.c.lot_id)
                .where(
                    t.lot_movements.c.event_id == (sale.event_id if sale else None),
                    t.lot_movements.c.kind == "spend",
                )
                .order_by(t.lot_movements.c.id)
            ).all()
            state.receipts[receipt] = (
                sale.accrual_lot_id if sale else None,
                [Spend(m.lot_id, m.points, m.expires_at) for m in spends],
            )
        recorded = RecordedEvent(
            e.id, e.device_id, e.device_seq, e.kind, e.at, e.program_version, payload
        )
        apply(state, recorded, program)
    now = ledger.clock()
    advance(state, program, now)
    conn.execute(delete(t.lots).where(t.lots.c.customer_id == key))
    after = state.standing
    kept = [lot_row(key, lot) for lot in after.account.lots if lot.remaining > 0]
    if kept:
        conn.execute(insert(t.lots), kept)
    _write_projection(ledger, conn, key, after, now)


def _program(ledger: Ledger, conn: Connection, key: str, doc: dict[str, Any]) -> None:
    program = parse_program(doc)
    current = conn.execute(select(func.max(t.program_versions.c.version))).scalar()
    if current is None or program.version > current:
        try:
            install_in(conn, ledger, program, doc, ledger.clock(), "central server")
        except LoyaltyError as exc:  # e.g. a group still in use here: keep the current version
            log.warning("program version %s not installed: %s", program.version, exc.message)


def _lot_row(customer_id: str, lot: dict[str, Any]) -> dict[str, Any]:
    return lot_row(customer_id, lot_from_json(lot))


def _account_values(ledger: Ledger, customer_id: str, snap: dict[str, Any]) -> dict[str, Any]:
    now = ledger.clock()
    # registered_at is not in the projection row: the customers row holds it.
    profile = profile_from_json(snap.get("profile", {}), customer_id, registered_at=now)
    values = account_values(
        balance=_amount(snap["balance"]),
        pending=_amount(snap["pending"]),
        debt=_amount(snap["debt"]),
        tier_basis=_amount(snap["tier_basis"]),
        profile=profile,
        # The till recomputes its own next automatic event at its next automation run.
        next_due_at=now,
        updated_at=_t(snap.get("as_of")) or now,
    )
    return {"cid": customer_id, **values}


def _merge(ledger: Ledger, conn: Connection, key: str, p: dict[str, Any]) -> None:
    """The server merged ``alias`` into ``into``: this till follows, moving the alias's
    rows to the kept customer and showing the kept customer's account as the engine's
    merge posting gives it (both balances added up) until the server's replay of both
    histories arrives as an account change."""
    alias, into = p["alias"], p["into"]
    if conn.execute(select(t.customers.c.id).where(t.customers.c.id == alias)).scalar() is None:
        return
    merged = _standing_here(ledger, conn, alias)
    row = conn.execute(select(t.customers).where(t.customers.c.id == alias)).one()
    if conn.execute(select(t.customers.c.id).where(t.customers.c.id == into)).scalar() is None:
        # The kept customer has not arrived here yet: it takes over the local row's data.
        values = {
            c: row._mapping[c]
            for c in ("phone_last4", "name", "birthday", "group_id", "registered_at", "consent_at")
        }
        conn.execute(
            update(t.customers).where(t.customers.c.id == alias).values(phone=f"merged:{alias}")
        )
        conn.execute(
            insert(t.customers).values(id=into, phone=row.phone, event_id="server", **values)
        )
        conn.execute(insert(t.accounts).values(zero_account_values(into, ledger.clock())))
    kept = _standing_here(ledger, conn, into)
    for table in (t.cards, t.receipts, t.lots, t.lot_movements, t.customer_messages):
        conn.execute(update(table).where(table.c.customer_id == alias).values(customer_id=into))
    conn.execute(delete(t.accounts).where(t.accounts.c.customer_id == alias))
    conn.execute(delete(t.customers).where(t.customers.c.id == alias))
    if kept is not None and merged is not None:
        # The lots moved above are the posting's lots: only the projection row changes.
        _write_projection(ledger, conn, into, merge(kept, merged).standing, ledger.clock())
    ledger.audit(conn, "merge_customer", into, "central server", {"merged": alias})
    erased_at = conn.execute(
        select(t.customers.c.anonymised_at).where(t.customers.c.id == into)
    ).scalar()
    if erased_at is not None:  # the merged registration here holds the same person
        erase_customer(conn, into, erased_at)


def _standing_here(ledger: Ledger, conn: Connection, customer_id: str) -> Standing | None:
    """A customer's standing as this till holds it; None before any program is installed
    (then there is no projection to recompute: the server's account change brings it)."""
    try:
        return ledger.load_state(conn, ledger.program(conn), customer_id).standing
    except LoyaltyError:
        return None


def _write_projection(
    ledger: Ledger, conn: Connection, customer_id: str, after: Standing, at: datetime
) -> None:
    """The customer's projection row from a standing the till computed, as of ``at``."""
    program = ledger.program(conn)
    row = conn.execute(select(t.customers.c.group_id).where(t.customers.c.id == customer_id)).one()
    group = program.group(row.group_id) or program.default_group
    due = next_due(program, program.bonus_program_of(group), after.account, after.profile)
    values = projection_values(after, due.at if due else None, at)
    conn.execute(update(t.accounts).where(t.accounts.c.customer_id == customer_id).values(**values))


def _product(ledger: Ledger, conn: Connection, key: str, p: dict[str, Any]) -> None:
    from cashier_app.product_file import Product
    from cashier_app.service.catalogue import upsert_products

    product = Product(
        sku=p["sku"],
        barcode=p.get("barcode"),
        name=p["name"],
        price=_amount(p["price"]),
        category=p.get("category"),
        brand=p.get("brand"),
        no_loyalty=bool(p.get("no_loyalty")),
    )
    upsert_products(conn, [product], ledger.clock())


def _user(ledger: Ledger, conn: Connection, key: str, p: dict[str, Any]) -> None:
    from cashier_app.service.users import user_from_server

    user_from_server(
        conn, p["name"], p["role"], p["pin_hash"], bool(p.get("active", True)), ledger.clock()
    )


_BULK = {"customer": _customers, "account": _accounts_bulk}
_HANDLERS = {
    "program": _program,
    "merge": _merge,
    "product": _product,
    "user": _user,
}
