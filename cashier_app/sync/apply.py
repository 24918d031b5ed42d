"""Applying a page of server changes to the local ledger, with the new cursor, in one
local transaction (Anki's media sync shape): a crash between the two cannot skip or
repeat a page.

The server's account snapshot replaces the till's own projection of that customer only
when the till has no unsent events for them: the sync cycle pushes first, so normally it
has none; if some were refused, the till keeps its own view until they are accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, exists, func, insert, select, update

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.program import parse_program
from cashier_app.service.ledger import Ledger, zero_account_values
from cashier_app.service.programs import install_in
from cashier_app.storage import schema as t
from cashier_app.sync.client import Change

log = logging.getLogger(__name__)


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def apply_page(ledger: Ledger, changes: Sequence[Change], cursor: int) -> None:
    with ledger.db.write() as conn:
        for change in changes:
            handler = _HANDLERS.get(change.kind)
            if handler is not None:  # kinds this version does not know are skipped, not fatal
                handler(ledger, conn, change.key, change.payload)
        conn.execute(update(t.sync_state).where(t.sync_state.c.id == 1).values(cursor=cursor))


def _program(ledger: Ledger, conn: Connection, key: str, doc: dict[str, Any]) -> None:
    program = parse_program(doc)
    current = conn.execute(select(func.max(t.program_versions.c.version))).scalar()
    if current is None or program.version > current:
        try:
            install_in(conn, ledger, program, doc, ledger.clock(), "central server")
        except LoyaltyError as exc:  # e.g. a group still in use here: keep the current version
            log.warning("program version %s not installed: %s", program.version, exc.message)


def _customer(ledger: Ledger, conn: Connection, key: str, p: dict[str, Any]) -> None:
    known = conn.execute(select(t.customers.c.id).where(t.customers.c.id == key)).scalar()
    group = (
        p.get("group")
        or conn.execute(
            select(t.customer_groups.c.id).where(t.customer_groups.c.is_default)
        ).scalar()
    )
    values = {
        "phone": p["phone"],
        "phone_last4": p["phone"][-4:],
        "name": p.get("name") or "",
        "birthday": date.fromisoformat(p["birthday"]) if p.get("birthday") else None,
        "group_id": group,
    }
    if known is None:
        clash = conn.execute(
            select(t.customers.c.id).where(t.customers.c.phone == p["phone"])
        ).scalar()
        if clash is not None:
            return  # the same phone registered here too: the server's "merge" change follows
        registered = _t(p.get("registered_at")) or ledger.clock()
        conn.execute(
            insert(t.customers).values(
                id=key, registered_at=registered, event_id="server", **values
            )
        )
        conn.execute(insert(t.accounts).values(zero_account_values(key, registered)))
    else:
        conn.execute(update(t.customers).where(t.customers.c.id == key).values(**values))
    for number in p.get("cards") or []:
        if not conn.execute(select(exists().where(t.cards.c.number == number))).scalar():
            conn.execute(
                insert(t.cards).values(number=number, customer_id=key, issued_at=ledger.clock())
            )


def _unsent_for(conn: Connection, customer_id: str) -> bool:
    return bool(
        conn.execute(
            select(
                exists().where(
                    t.events.c.customer_id == customer_id,
                    t.outbox.c.event_id == t.events.c.id,
                    t.outbox.c.sent_at.is_(None),
                )
            )
        ).scalar()
    )


def _account(ledger: Ledger, conn: Connection, key: str, snap: dict[str, Any]) -> None:
    if conn.execute(select(t.customers.c.id).where(t.customers.c.id == key)).scalar() is None:
        return
    if _unsent_for(conn, key):
        return
    conn.execute(delete(t.lots).where(t.lots.c.customer_id == key))
    rows = [
        {
            "id": lot["id"],
            "customer_id": key,
            "kind": lot["kind"],
            "points": Decimal(lot["points"]),
            "remaining": Decimal(lot["remaining"]),
            "credited_at": _t(lot["credited_at"]),
            "available_at": _t(lot["available_at"]),
            "expires_at": _t(lot.get("expires_at")),
            "receipt_id": lot.get("receipt"),
            "origin_lot_id": lot.get("origin_lot"),
            "settled": bool(lot.get("settled")),
            "warned": bool(lot.get("warned")),
            "event_id": None,
        }
        for lot in snap.get("lots", [])
    ]
    if rows:
        conn.execute(insert(t.lots), rows)
    prof = snap.get("profile", {})
    conn.execute(
        update(t.accounts)
        .where(t.accounts.c.customer_id == key)
        .values(
            balance=Decimal(snap["balance"]),
            pending=Decimal(snap["pending"]),
            debt=Decimal(snap["debt"]),
            tier_basis=Decimal(snap["tier_basis"]),
            last_purchase_at=_t(prof.get("last_purchase_at")),
            sales_count=int(prof.get("sales_count") or 0),
            sales_net_total=Decimal(prof.get("sales_net_total") or "0"),
            winback_stage=int(prof.get("winback_stage") or 0),
            birthday_year_done=prof.get("birthday_year_done"),
            next_due_at=ledger.clock(),
            updated_at=_t(snap.get("as_of")) or ledger.clock(),
        )
    )


def _merge(ledger: Ledger, conn: Connection, key: str, p: dict[str, Any]) -> None:
    """The server merged ``alias`` into ``into``: this till follows."""
    alias, into = p["alias"], p["into"]
    if conn.execute(select(t.customers.c.id).where(t.customers.c.id == alias)).scalar() is None:
        return
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
    for table in (t.cards, t.receipts, t.lots, t.lot_movements, t.customer_messages):
        conn.execute(update(table).where(table.c.customer_id == alias).values(customer_id=into))
    conn.execute(delete(t.accounts).where(t.accounts.c.customer_id == alias))
    conn.execute(delete(t.customers).where(t.customers.c.id == alias))
    ledger.audit(conn, "merge_customer", into, "central server", {"merged": alias})


def _product(ledger: Ledger, conn: Connection, key: str, p: dict[str, Any]) -> None:
    from cashier_app.service.catalogue import Product, upsert_products

    product = Product(
        sku=p["sku"],
        barcode=p.get("barcode"),
        name=p["name"],
        price=Decimal(p["price"]),
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


_HANDLERS = {
    "program": _program,
    "customer": _customer,
    "account": _account,
    "merge": _merge,
    "product": _product,
    "user": _user,
}
