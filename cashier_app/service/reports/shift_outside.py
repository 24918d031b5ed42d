"""Returns and manual adjustments of a period that no listed shift holds: made by a user
with no shift open at the time (a manager at the command line, a return taken after the
shift closed), or in a shift opened before the period. The shift report shows them on a
line per user, so nothing done in the period is left out of it.

A return or an adjustment names its user only by the event's actor (the user's name); it
belongs to that user's shift whose hours contain its moment. A period holds few of them
(a shop's returns and corrections, not its sales), so they are read once and placed here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import MovementKind
from cashier_app.engine.money import ZERO
from cashier_app.storage import schema as t

# How the shift report names such a line in its shift column (the window translates it).
OUTSIDE = "outside a shift"
_LATER = datetime(9999, 12, 31, tzinfo=UTC)
# A customer import's opening balances are not a correction anyone made at the counter.
_OPENING_REASON = "opening balance (import of "


@dataclass
class Outside:
    returns: int = 0
    refunded: Decimal = ZERO
    adjustments: int = 0


def manual_adjustment() -> ColumnElement[bool]:
    """An ADJUSTMENT event that is not an import's opening balance."""
    e = t.events.c
    reason = func.json_extract(e.payload, "$.reason")
    return and_(
        e.kind == EventKind.ADJUSTMENT.value,
        func.coalesce(func.json_extract(e.payload, "$.opening"), 0) != 1,
        or_(reason.is_(None), ~reason.like(f"{_OPENING_REASON}%")),
    )


def outside_shifts(
    conn: Connection, start: datetime, end: datetime, listed: set[str]
) -> dict[str, Outside]:
    """Per user's name, the period's returns and adjustments no shift in ``listed`` holds."""
    x, e, m = t.returns.c, t.events.c, t.lot_movements.c
    done: list[tuple[str, datetime, str, Decimal]] = [
        (actor, at, "return", refunded)
        for actor, at, refunded in conn.execute(
            select(e.actor, x.at, x.refunded)
            .select_from(t.returns.join(t.events, e.id == x.event_id))
            .where(x.at >= start, x.at < end)
        )
    ]
    sold = t.receipts.alias("sold")
    manual = or_(
        and_(m.kind == MovementKind.CREDIT.value, m.lot_id >= "manual:", m.lot_id < "manual;"),
        and_(
            m.kind == MovementKind.SPEND.value,
            ~select(sold.c.event_id).where(sold.c.event_id == m.event_id).exists(),
        ),
    )
    adjusted = (
        select(e.id, e.actor, e.at)
        .select_from(t.lot_movements.join(t.events, e.id == m.event_id))
        .where(m.at >= start, m.at < end, manual, manual_adjustment())
        .distinct()
    )
    done += [(actor, at, "adjustment", ZERO) for _, actor, at in conn.execute(adjusted)]
    names = {actor for actor, *_ in done if actor}
    if not names:
        return {}
    s, u = t.shifts.c, t.users.c
    hours: dict[str, list[tuple[str, datetime, datetime]]] = defaultdict(list)
    for sid, name, opened, closed in conn.execute(
        select(s.id, u.name, s.opened_at, s.closed_at)
        .select_from(t.shifts.join(t.users, u.id == s.user_id))
        .where(u.name.in_(names), s.opened_at < end, func.coalesce(s.closed_at, _LATER) >= start)
    ):
        hours[name].append((sid, opened, closed or _LATER))
    out: dict[str, Outside] = {}
    for actor, at, kind, refunded in done:
        held = next((sid for sid, a, b in hours.get(actor, []) if a <= at <= b), None)
        if held is not None and held in listed:
            continue
        line = out.setdefault(actor or "?", Outside())
        if kind == "return":
            line.returns += 1
            line.refunded += refunded
        else:
            line.adjustments += 1
    return out
