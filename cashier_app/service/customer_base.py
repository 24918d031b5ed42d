"""The customer base a manager looks through: the filtered, sorted list of customers, read
in windows of rows (never the whole base), its count, and one customer's account events.

Everything is one SQL statement read through the typed columns (amounts come back as
Decimal, moments as UTC): a base of a million customers is filtered, counted and sorted by
SQLite, not in Python. The export of the same list is in ``customer_export``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    select,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.program import Program
from cashier_app.service.customer_filter import (
    MAX_WINDOW,
    SORT_COLUMNS,
    AccountEvent,
    CustomerFilter,
    CustomerRow,
    Sort,
    SortColumn,
    month_day,
)
from cashier_app.service.customer_query import (
    conditions,
    not_seen_cutoff,
    rows_query,
    shape_of,
    tiers_of,
)
from cashier_app.service.ledger import Ledger
from cashier_app.service.phones import mask_phone
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t

__all__ = [
    "SORT_COLUMNS", "AccountEvent", "CustomerFilter", "CustomerRow", "Sort", "SortColumn",
    "account_events", "count", "customer_row", "groups", "month_day", "stream", "tiers",
    "window",
]  # fmt: skip
_c, _a = t.customers.c, t.accounts.c


def _row(r: Any, group_names: dict[str, str], full_phone: bool) -> CustomerRow:
    return CustomerRow(
        id=r.id,
        name=r.name,
        phone=r.phone if full_phone else mask_phone(r.phone),
        cards=tuple(r.cards.split()) if r.cards else (),
        group_id=r.group_id,
        group=group_names.get(r.group_id, r.group_id),
        tier=r.tier,
        balance=r.balance,
        last_purchase_at=r.last_purchase_at,
        registered_at=r.registered_at,
        birthday=r.birthday,
        consent=bool(r.consent),
        anonymised=bool(r.anonymised),
    )


# -- what the screen, the command line and the export call ---------------------------------
def count(ledger: Ledger, actor: Actor, f: CustomerFilter, at: datetime | None = None) -> int:
    """How many customers the filter lists."""
    actor.require(Permission.VIEW_CUSTOMER_BASE)
    f.check()
    with ledger.db.read() as conn:
        program = ledger.program(conn, fresh=False)
        return _count(conn, ledger, program, f, at or ledger.clock())


# Counts seen lately, by ledger file and filter: only a hint for the window's plan (a
# count a sale later is still the same order of magnitude), never shown.
_SEEN: dict[tuple[str, CustomerFilter], int] = {}
SPARSE = 20_000  # a filter matching fewer customers is read by its own index, then sorted


def _count(
    conn: Connection, ledger: Ledger, program: Program, f: CustomerFilter, at: datetime
) -> int:
    cutoff = not_seen_cutoff(program, f, at)
    if cutoff is not None and f == CustomerFilter(not_seen_days=f.not_seen_days):
        # "Not seen for N days" alone, the win-back list: counted on the last purchase's
        # index (who bought before the cutoff) and the few who never bought.
        lp = _a.last_purchase_at
        bought = select(func.count()).select_from(t.accounts).where(lp < cutoff)
        never = (
            select(func.count())
            .select_from(t.customers.join(t.accounts, _a.customer_id == _c.id))
            .where(lp.is_(None), _c.registered_at < cutoff)
        )
        n = int(conn.execute(bought).scalar_one()) + int(conn.execute(never).scalar_one())
    else:
        conds, account = conditions(program, shape_of(program, at), f, at)
        joined = t.customers.join(t.accounts, _a.customer_id == _c.id) if account else t.customers
        query = select(func.count()).select_from(joined).where(*conds)
        n = int(conn.execute(query).scalar_one())
    if len(_SEEN) > 64:
        _SEEN.clear()
    _SEEN[(str(ledger.db.path), f)] = n
    return n


def _sparse(
    conn: Connection, ledger: Ledger, program: Program, f: CustomerFilter, at: datetime
) -> bool:
    """Whether the filter picks few customers: a search always does; a group, tier,
    consent, balance or birthday range may pick a handful or nearly everyone, which their
    count says. (Walking the base in order reads 200 / density rows for a window, the
    filter's own index density × base: equal near 1.4 % of a million, some 14,000.)"""
    if f.search.strip():
        return True
    if not (
        f.group_ids
        or f.tier
        or f.consent is not None
        or f.min_balance
        or f.max_balance
        or f.birthday_from
    ):
        return False
    n = _SEEN.get((str(ledger.db.path), f))
    if n is None:
        n = _count(conn, ledger, program, f, at)
    return n <= SPARSE


def window(
    ledger: Ledger,
    actor: Actor,
    f: CustomerFilter,
    sort: Sort,
    offset: int,
    limit: int,
    at: datetime | None = None,
) -> list[CustomerRow]:
    """Rows ``offset`` to ``offset + limit`` of the filtered, sorted base."""
    actor.require(Permission.VIEW_CUSTOMER_BASE)
    f.check()
    if offset < 0 or not 0 < limit <= MAX_WINDOW:
        raise LoyaltyError(
            "invalid_window", f"a window starts at 0 or later, 1 to {MAX_WINDOW} rows"
        )
    with ledger.db.read() as conn:
        return rows_in(conn, ledger, actor, f, sort, offset, limit, at)


def rows_in(
    conn: Connection,
    ledger: Ledger,
    actor: Actor,
    f: CustomerFilter,
    sort: Sort,
    offset: int | None,
    limit: int | None,
    at: datetime | None,
) -> list[CustomerRow]:
    program = ledger.program(conn, fresh=False)
    at = at or ledger.clock()
    sparse = limit is not None and _sparse(conn, ledger, program, f, at)
    query = rows_query(program, f, sort, at, offset, limit, sparse)
    names = {g.id: g.name for g in program.groups}
    full = actor.can(Permission.SEE_FULL_PHONE)
    return [_row(r, names, full) for r in conn.execute(query)]


def stream(
    conn: Connection, ledger: Ledger, actor: Actor, f: CustomerFilter, sort: Sort, at: datetime
) -> Iterator[CustomerRow]:
    """Every row of the filtered base, fetched a thousand at a time (for the export)."""
    program = ledger.program(conn, fresh=False)
    names = {g.id: g.name for g in program.groups}
    full = actor.can(Permission.SEE_FULL_PHONE)
    for r in conn.execution_options(yield_per=1000).execute(rows_query(program, f, sort, at)):
        yield _row(r, names, full)


def groups(ledger: Ledger, actor: Actor) -> list[tuple[str, str]]:
    """The program's customer groups (id, name), for the filter and for moving customers."""
    actor.require(Permission.VIEW_CUSTOMER_BASE)
    with ledger.db.read() as conn:
        program = ledger.program(conn, fresh=False)
    return [(g.id, g.name) for g in program.groups]


def tiers(ledger: Ledger, actor: Actor) -> list[str]:
    """Every tier title the program's groups have, in threshold order."""
    actor.require(Permission.VIEW_CUSTOMER_BASE)
    with ledger.db.read() as conn:
        program = ledger.program(conn, fresh=False)
    titles: list[str] = []
    for group in program.groups:
        for tier in tiers_of(program, group.id)[0]:
            if tier.title not in titles:
                titles.append(tier.title)
    return titles


def account_events(
    ledger: Ledger, actor: Actor, customer_id: str, limit: int = 500
) -> list[AccountEvent]:
    """The movements of one customer's points, latest first, with the operation behind
    each (the customer card's third tab)."""
    actor.require(Permission.VIEW_CUSTOMER_BASE)
    m, lot, ev = t.lot_movements.c, t.lots.c, t.events.c
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(m.at, m.kind, m.points, lot.kind.label("lot_kind"), ev.kind.label("operation"))
            .select_from(
                t.lot_movements.outerjoin(t.lots, lot.id == m.lot_id).outerjoin(
                    t.events, ev.id == m.event_id
                )
            )
            .where(m.customer_id == customer_id)
            .order_by(m.at.desc(), m.id.desc())
            .limit(limit)
        ).all()
    return [AccountEvent(r.at, r.kind, r.points, r.lot_kind, r.operation) for r in rows]


def customer_row(ledger: Ledger, actor: Actor, customer_id: str) -> CustomerRow:
    """One customer as the base lists them (after a change, to refresh their row)."""
    actor.require(Permission.VIEW_CUSTOMER_BASE)
    with ledger.db.read() as conn:
        program = ledger.program(conn, fresh=False)
        at = ledger.clock()
        query = rows_query(program, CustomerFilter(), Sort(), at).where(_c.id == customer_id)
        r = conn.execute(query).first()
    if r is None:
        raise LoyaltyError("unknown_customer", "no such customer")
    return _row(r, {g.id: g.name for g in program.groups}, actor.can(Permission.SEE_FULL_PHONE))
