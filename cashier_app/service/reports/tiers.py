"""Customers per tier at the period's end, and the moves between tiers over the period.

A customer's tier is the one their tier basis has reached (engine/tiers.py): the tiers of
their group's bonus program, or of its cumulative discount program when the group earns no
points. The basis at a moment is derived from the receipts and returns before it, as the
sale reads it (docs/program.md): all purchases after discounts less returns, or, for a
bonus program with a tier window, the purchases of the window's days. A customer registered
during the period did not move: they are new in their tier at the period's end. A move
compares each other customer's tier at the period's start with the tier at its end."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select, union_all

from cashier_app.engine.calendar import add_days
from cashier_app.engine.program import Program, Tier
from cashier_app.service.ledger import Ledger
from cashier_app.service.report_model import Chart, Column, Period, Report, Value
from cashier_app.service.reports.periods import buckets, whole_label
from cashier_app.service.reports.sums import as_money
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t

COLUMNS = (
    Column("tier", "Tier", "text"),
    Column("customers", "Customers", "int"),
    Column("new", "New", "int"),
    Column("moved_in", "Moved in", "int"),
    Column("moved_out", "Moved out", "int"),
)


@dataclass(frozen=True, slots=True)
class Ladder:
    program_id: str
    tiers: tuple[Tier, ...]
    window_days: int | None  # a bonus program's tier window, else all purchases
    groups: tuple[str, ...]
    takes_unknown: bool  # holds the default group: customers of a group no longer named


def ladders(program: Program) -> list[Ladder]:
    found: dict[str, tuple[tuple[Tier, ...], int | None, list[str], bool]] = {}
    for group in program.groups:
        bonus = program.bonus_program_of(group)
        discount = program.discount_program_of(group)
        if bonus is not None and bonus.accrual.kind == "percent":
            key, tiers, window = f"bonus:{bonus.id}", bonus.accrual.tiers, bonus.tier_window_days
        elif discount is not None and discount.kind == "cumulative" and discount.tiers:
            key, tiers, window = f"discount:{discount.id}", discount.tiers, None
        else:
            continue  # a fixed discount, or no loyalty: no tiers
        entry = found.setdefault(key, (tiers, window, [], False))
        entry[2].append(group.id)
        if group.default:
            found[key] = (entry[0], entry[1], entry[2], True)
    return [
        Ladder(key.split(":", 1)[1], tiers, window, tuple(groups), unknown)
        for key, (tiers, window, groups, unknown) in found.items()
    ]


def _tier_of(basis: ColumnElement[Any], tiers: Sequence[Tier]) -> ColumnElement[int]:
    """The index of the highest tier reached (tiers ascend from 0, as the engine reads)."""
    money = as_money(basis)
    return case(
        *((money >= tier.from_, i) for i, tier in reversed(list(enumerate(tiers)))),
        else_=0,
    )


def _members(ladder: Ladder, program: Program) -> ColumnElement[bool]:
    c = t.customers.c
    mine = c.group_id.in_(ladder.groups)
    if ladder.takes_unknown:
        return or_(mine, c.group_id.not_in([g.id for g in program.groups]))
    return mine


def _cumulative(
    conn: Connection, ladder: Ladder, program: Program, start: datetime, end: datetime
) -> list[tuple[int, int, int, bool]]:
    """(tier at the start, tier at the end, customers) for a ladder read on all purchases.

    Only customers who bought or returned something since the period's start can be at
    another tier than the one their basis holds now, so only they are looked at one by
    one; everyone else is counted from the stored bases in one pass over the accounts."""
    c, a, r, x = t.customers.c, t.accounts.c, t.receipts.c, t.returns.c
    joined = t.customers.join(t.accounts, a.customer_id == c.id)
    tier_now = _tier_of(a.tier_basis, ladder.tiers).label("now")
    others: list[str] = []
    basis = a.tier_basis
    if ladder.takes_unknown:
        now = _per_tier(conn, ladder, basis, select().select_from(t.accounts))
        present = conn.execute(select(c.group_id).distinct()).scalars().all()
        known = {g.id for g in program.groups}
        others = [g for g in present if g in known and g not in ladder.groups]
        if others:
            elsewhere = select().select_from(joined).where(c.group_id.in_(others))
            for tier, n in _per_tier(conn, ladder, basis, elsewhere).items():
                now[tier] -= n
    else:
        mine = select().select_from(joined).where(c.group_id.in_(ladder.groups))
        now = _per_tier(conn, ladder, basis, mine)
    late = select().select_from(joined)
    late = late.where(c.registered_at >= end, _members(ladder, program))
    registered_later = _per_tier(conn, ladder, basis, late)
    for tier, n in registered_later.items():
        now[tier] -= n  # registered after the period
    # Whose group or registration matters: when the ladder holds every customer there is
    # and nobody registered after the period, an active customer needs no look-up of it.
    everyone = ladder.takes_unknown and not others and not any(registered_later.values())

    # The basis now (the projection) less what changed since each moment.
    bought = select(
        r.customer_id.label("cid"), r.at.label("at"), (r.total - r.discount).label("amount")
    ).where(r.customer_id.is_not(None), r.at >= start)
    returned = (
        select(r.customer_id, x.at, -x.basis_decrease)
        .select_from(t.returns.join(t.receipts, r.id == x.receipt_id))
        .where(r.customer_id.is_not(None), x.at >= start)
    )
    moves = union_all(bought, returned).subquery("moves")
    since = (
        select(
            moves.c.cid,
            func.sum(case((moves.c.at >= end, moves.c.amount), else_=0)).label("after"),
            func.sum(case((moves.c.at < end, moves.c.amount), else_=0)).label("within"),
        )
        .group_by(moves.c.cid)
        .subquery("since")
    )
    at_end = a.tier_basis - since.c.after
    before = _tier_of(at_end - since.c.within, ladder.tiers).label("before")
    after = _tier_of(at_end, ladder.tiers).label("after")
    counted = select(tier_now, before, after, func.count())
    if everyone:
        counted = counted.select_from(since.join(t.accounts, a.customer_id == since.c.cid))
    else:
        counted = counted.select_from(
            since.join(t.customers, c.id == since.c.cid).join(
                t.accounts, a.customer_id == since.c.cid
            )
        ).where(c.registered_at < end, _members(ladder, program))
    active = conn.execute(counted.group_by(tier_now, before, after)).all()
    moved: dict[tuple[int, int], int] = defaultdict(int)
    for tier_then, was, became, n in active:
        now[int(tier_then)] -= int(n)
        moved[int(was), int(became)] += int(n)
    for tier, n in now.items():
        moved[tier, tier] += n
    # Customers registered during the period did not move: they are new in their tier at
    # its end. The few of them are read through the registration moment's index, with the
    # same figures as above, and taken out of the moves.
    later = func.coalesce(since.c.after, 0)
    fresh_end = a.tier_basis - later
    fresh_was = _tier_of(fresh_end - func.coalesce(since.c.within, 0), ladder.tiers).label("was")
    fresh_became = _tier_of(fresh_end, ladder.tiers).label("became")
    fresh = conn.execute(
        select(fresh_was, fresh_became, func.count())
        .select_from(
            t.customers.join(t.accounts, a.customer_id == c.id).outerjoin(
                since, since.c.cid == c.id
            )
        )
        .where(c.registered_at >= start, c.registered_at < end, _members(ladder, program))
        .group_by(fresh_was, fresh_became)
    ).all()
    out: list[tuple[int, int, int, bool]] = []
    for then, end_tier, n in fresh:
        moved[int(then), int(end_tier)] -= int(n)
        out.append((int(end_tier), int(end_tier), int(n), True))
    return out + [(then, end_tier, n, False) for (then, end_tier), n in moved.items() if n]


def _per_tier(
    conn: Connection, ladder: Ladder, basis: ColumnElement[Any], rows: Any
) -> dict[int, int]:
    """How many of ``rows`` are at each tier: one count of those at or above each
    threshold, in one pass; a GROUP BY on the tier would sort a million accounts first."""
    money = as_money(basis)
    above = [
        func.coalesce(func.sum(case((money >= tier.from_, 1), else_=0)), 0)
        for tier in ladder.tiers[1:]
    ]
    reached = conn.execute(rows.add_columns(func.count(), *above)).one()
    counts: dict[int, int] = defaultdict(int)
    for i in range(len(ladder.tiers)):
        counts[i] = int(reached[i]) - (int(reached[i + 1]) if i + 1 < len(reached) else 0)
    return counts


def _windowed(
    conn: Connection, ladder: Ladder, program: Program, start: datetime, end: datetime
) -> list[tuple[int, int, int, bool]]:
    c, r = t.customers.c, t.receipts.c
    days = ladder.window_days or 0
    from_start, from_end = add_days(start, -days, program.tz), add_days(end, -days, program.tz)
    # As the sale reads it: receipts after the window's first moment, their basis net of
    # every return recorded so far.
    window = (
        select(
            r.customer_id.label("cid"),
            func.sum(case((and_(r.at > from_start, r.at <= start), r.basis_amount), else_=0)).label(
                "at_start"
            ),
            func.sum(case((r.at > from_end, r.basis_amount), else_=0)).label("at_end"),
        )
        .where(r.customer_id.is_not(None), r.at > from_start, r.at <= end)
        .group_by(r.customer_id)
        .subquery("window")
    )
    before = _tier_of(func.coalesce(window.c.at_start, 0), ladder.tiers).label("before")
    after = _tier_of(func.coalesce(window.c.at_end, 0), ladder.tiers).label("after")
    fresh = (c.registered_at >= start).label("fresh")  # registered during the period
    rows = conn.execute(
        select(before, after, fresh, func.count())
        .select_from(t.customers.outerjoin(window, window.c.cid == c.id))
        .where(c.registered_at < end, _members(ladder, program))
        .group_by(before, after, fresh)
    )
    return [(int(a), int(b), int(n), bool(new)) for a, b, new, n in rows]


def _count(
    conn: Connection, ladder: Ladder, program: Program, start: datetime, end: datetime
) -> list[tuple[int, int, int, bool]]:
    """(tier at the start, tier at the end, customers, registered during the period)."""
    count = _windowed if ladder.window_days else _cumulative
    return count(conn, ladder, program, start, end)


def tiers_report(ledger: Ledger, actor: Actor, period: Period) -> Report:
    actor.require(Permission.VIEW_REPORTS)
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        (part,) = buckets(Period(period.start, period.end, None), program.tz)
        found = [(ld, _count(conn, ld, program, part.start, part.end)) for ld in ladders(program)]
    rows: list[tuple[Value, ...]] = []
    for ladder, counts in found:
        customers: dict[int, int] = defaultdict(int)
        moved_in: dict[int, int] = defaultdict(int)
        moved_out: dict[int, int] = defaultdict(int)
        new: dict[int, int] = defaultdict(int)
        for before, after, n, fresh in counts:
            customers[after] += n
            if fresh:
                new[after] += n
            elif before != after:
                moved_in[after] += n
                moved_out[before] += n
        for i, tier in enumerate(ladder.tiers):
            title = tier.title if len(found) == 1 else f"{tier.title} ({ladder.program_id})"
            rows.append((title, customers[i], new[i], moved_in[i], moved_out[i]))
    return Report(
        name="tiers",
        title="Tiers",
        period=period,
        columns=COLUMNS,
        rows=tuple(rows),
        chart=Chart("bar", x="tier", values=("customers",)),
        notes=(
            f"{whole_label(period)}: customers at the end of the period; a move compares "
            "the tier at the period's start with the tier at its end.",
            "New: registered during the period, counted in their tier at its end, not as a move.",
        ),
    )
