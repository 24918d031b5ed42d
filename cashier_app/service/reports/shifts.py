"""The shift report: per cashier's shift, the receipts and revenue, the points redeemed and
accrued, the returns and money refunded, and the manual balance adjustments.

A receipt names its shift. Returns and adjustments do not: they are the ones the shift's
cashier recorded (the event's actor) between the shift's opening and closing."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from cashier_app.engine.calendar import local_date
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.lots import MovementKind
from cashier_app.engine.money import ZERO
from cashier_app.service.ledger import Ledger
from cashier_app.service.report_model import Chart, Column, Period, Report, Value
from cashier_app.service.reports.periods import buckets, cents
from cashier_app.service.reports.shift_outside import OUTSIDE, manual_adjustment, outside_shifts
from cashier_app.service.reports.sums import money_sum, points_sum
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t

# An open shift reads up to the end of time (a bound the index can use, unlike no bound).
_LATER = datetime(9999, 12, 31, tzinfo=UTC)

COLUMNS = (
    Column("cashier", "Cashier", "text"),
    Column("shift", "Shift", "text"),
    Column("receipts", "Receipts", "int"),
    Column("revenue", "Revenue", "money"),
    Column("redeemed", "Points redeemed", "points"),
    Column("accrued", "Points accrued", "points"),
    Column("returns", "Returns", "int"),
    Column("refunded", "Refunded", "money"),
    Column("adjustments", "Adjustments", "int"),
)


def _during(moment: ColumnElement[Any]) -> ColumnElement[bool]:
    """While the shift was open (both bounds, so each shift reads only its own hours
    through the moment's index)."""
    s = t.shifts.c
    return and_(moment >= s.opened_at, moment <= func.coalesce(s.closed_at, _LATER))


def _when(opened: datetime, closed: datetime | None, tz: ZoneInfo) -> str:
    start = opened.astimezone(tz)
    text = start.strftime("%Y-%m-%d %H:%M")
    if closed is None:
        return f"{text} – open"
    end = closed.astimezone(tz)
    return f"{text} – {end.strftime('%H:%M' if end.date() == start.date() else '%Y-%m-%d %H:%M')}"


def _figures(conn: Connection, shift_ids: list[str]) -> dict[str, dict[str, Any]]:
    s, u, r, x, m, e = (
        t.shifts.c,
        t.users.c,
        t.receipts.c,
        t.returns.c,
        t.lot_movements.c,
        t.events.c,
    )
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for sid, n, revenue, redeemed, accrued in conn.execute(
        select(
            r.shift_id,
            func.count(),
            money_sum(r.total - r.discount),
            points_sum(r.redeemed),
            points_sum(r.accrued),
        )
        .where(r.shift_id.in_(shift_ids))
        .group_by(r.shift_id)
    ):
        out[sid].update(receipts=n, revenue=revenue, redeemed=redeemed, accrued=accrued)
    staff = t.shifts.join(t.users, u.id == s.user_id)
    for sid, n, refunded in conn.execute(
        select(s.id, func.count(), money_sum(x.refunded))
        .select_from(
            staff.join(t.returns, _during(x.at)).join(
                t.events, and_(e.id == x.event_id, e.actor == u.name)
            )
        )
        .where(s.id.in_(shift_ids))
        .group_by(s.id)
    ):
        out[sid].update(returns=n, refunded=refunded)
    # A manager's plus is a "manual:<event>" lot's credit; a minus is a spend that no sale
    # made. Only those movements have their event looked up (for its cashier), not every
    # sale's credit and redemption in the shift's hours.
    sold = t.receipts.alias("sold")
    manual = or_(
        and_(m.kind == MovementKind.CREDIT.value, m.lot_id.like("manual:%")),
        and_(
            m.kind == MovementKind.SPEND.value,
            ~select(sold.c.event_id).where(sold.c.event_id == m.event_id).exists(),
        ),
    )
    for sid, n in conn.execute(
        select(s.id, func.count(func.distinct(m.event_id)))
        .select_from(
            staff.join(t.lot_movements, and_(_during(m.at), manual)).join(
                t.events,
                and_(e.id == m.event_id, manual_adjustment(), e.actor == u.name),
            )
        )
        .where(s.id.in_(shift_ids))
        .group_by(s.id)
    ):
        out[sid]["adjustments"] = n
    return out


def shift_report(
    ledger: Ledger, actor: Actor, period: Period, shift_id: str | None = None
) -> Report:
    """The shifts opened in the period, or the one shift ``shift_id``: a cashier closing
    their own shift sees its report; anyone else's needs the right to view reports."""
    s, u = t.shifts.c, t.users.c
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        query = (
            select(s.id, s.user_id, s.opened_at, s.closed_at, u.name)
            .select_from(t.shifts.join(t.users, u.id == s.user_id))
            .order_by(s.opened_at, u.name)
        )
        if shift_id is not None:
            shifts = conn.execute(query.where(s.id == shift_id)).all()
            if not shifts:
                raise LoyaltyError("unknown_shift", f"there is no shift {shift_id!r}")
            if shifts[0].user_id != actor.id or actor.id is None:
                actor.require(Permission.VIEW_REPORTS)
            # One shift is titled with its own days, whatever period was passed along.
            one = shifts[0]
            closed = one.closed_at or one.opened_at
            period = Period(local_date(one.opened_at, program.tz), local_date(closed, program.tz))
        else:
            actor.require(Permission.VIEW_REPORTS)
            (part,) = buckets(Period(period.start, period.end, None), program.tz)
            shifts = conn.execute(
                query.where(s.opened_at >= part.start, s.opened_at < part.end)
            ).all()
        figures = _figures(conn, [row.id for row in shifts])
        outside = (
            {}
            if shift_id is not None
            else outside_shifts(conn, part.start, part.end, {row.id for row in shifts})
        )
    rows: list[tuple[Value, ...]] = []
    for row in shifts:
        f = figures.get(row.id, {})
        rows.append(
            (
                row.name,
                _when(row.opened_at, row.closed_at, program.tz),
                f.get("receipts", 0),
                cents(f.get("revenue", ZERO)),
                cents(f.get("redeemed", ZERO)),
                cents(f.get("accrued", ZERO)),
                f.get("returns", 0),
                cents(f.get("refunded", ZERO)),
                f.get("adjustments", 0),
            )
        )
    for name in sorted(outside):
        line = outside[name]
        rows.append(
            (name, OUTSIDE, 0, cents(ZERO), cents(ZERO), cents(ZERO),
             line.returns, cents(line.refunded), line.adjustments)
        )  # fmt: skip
    return Report(
        name="shift",
        title="Shifts",
        period=period,
        columns=COLUMNS,
        rows=tuple(rows),
        chart=Chart("bar", x="cashier", values=("revenue",)),
        notes=(
            "Revenue: the shift's receipts after discounts, paid by money and points; "
            "returns and their refunds are counted in the shift that took them.",
            "outside a shift: returns and adjustments of the period that none of these "
            "shifts holds (made with no shift open, or in a shift opened earlier).",
        ),
    )
