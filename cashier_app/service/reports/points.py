"""Points: what was accrued, redeemed, expired, given back and adjusted in each part of the
period, and the outstanding liability at each part's end (the points customers can still
spend, and what they are worth in money): is the programme's cost growing?

Every figure comes from the lot movements the ledger writes with each change of a balance,
so the flows of a part add up to the change in the balances over that part:
``balances(end) = balances(start) + accrued - redeemed - expired + given_back + adjusted
+ opening``. A balance is spendable points less debt; the outstanding liability is what
customers can spend, so the debts are added back (a debt is not a negative liability) and
shown in their own column.

- accrued: points that became spendable from purchases and the programme's bonuses
  (welcome, birthday, win-back), less accrued points a return took back (a return that
  takes back more than the balance leaves a debt, counted here too);
- redeemed: points spent on purchases; expired: written off at their expiry;
- given_back: redeemed points a return gave back; adjusted: managers' plus and minus;
- opening: balances a customer import brought over from the shop's old system.

The liability at the end is the customers' balances now (the stored projection) less
every movement since; earlier ends are walked back part by part."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, ColumnElement, Connection, and_, bindparam, case, func, or_, select

from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import MovementKind
from cashier_app.engine.money import ZERO, round_money
from cashier_app.service.ledger import Ledger
from cashier_app.service.report_model import Chart, Column, Period, Report, Value
from cashier_app.service.reports.periods import Bucket, boundaries, buckets, cents
from cashier_app.service.reports.sums import points_sum
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t
from cashier_app.storage.types import UtcDateTime

COLUMNS = (
    Column("period", "Period", "text"),
    Column("accrued", "Accrued", "points"),
    Column("redeemed", "Redeemed", "points"),
    Column("expired", "Expired", "points"),
    Column("given_back", "Given back", "points"),
    Column("adjusted", "Adjusted", "points"),
    Column("opening", "Opening balances", "points"),
    Column("liability_points", "Outstanding points", "points"),
    Column("liability_money", "Outstanding, money", "money"),
    Column("debt", "Customers' debt", "points"),
)
_FLOWS = ("accrued", "redeemed", "expired", "given_back", "adjusted", "opening")
_LATER = datetime(9999, 12, 31, tzinfo=UTC)
# The reason a customer import gives its opening balances (customer_import_write), read
# for the imports made before their adjustments were marked ``opening``.
OPENING_REASON = "opening balance (import of "


# What each movement counts towards: (kind, the lot's kind read from its id or None for
# any lot). Lot ids name their kind ("manual:<event>", "refund:<event>:<n>",
# "accrual:<receipt>"...), so a credit is classified without looking the lot up.
_SUMS = (
    ("credit", None),
    ("credit", "manual"),
    ("credit", "refund"),
    ("spend", None),
    ("take_back", None),
    ("debt", None),
    ("repay", None),
    ("expire", None),
)


_START = bindparam("start", type_=UtcDateTime())
_END = bindparam("end", type_=UtcDateTime())


def _movements() -> Any:
    """One part's sums per (kind, lot kind), one statement a part: with no GROUP BY the
    sums are taken as the moment's index delivers the movements, where grouping a year's
    movements by part and kind sorted every one of them first (seconds)."""
    m = t.lot_movements.c

    def part(kind: str, lot: str | None) -> ColumnElement[Any]:
        wanted = m.kind == kind
        if lot is not None:  # ids "manual:..." sort between "manual:" and "manual;"
            wanted = and_(wanted, m.lot_id >= f"{lot}:", m.lot_id < f"{lot};")
        return points_sum(case((wanted, m.points), else_=0))

    return select(*(part(kind, lot) for kind, lot in _SUMS)).where(m.at >= _START, m.at < _END)


def _sale_redemptions() -> Any:
    """Points a part's sales redeemed: a sale spends them at its own moment, so the rest
    of the part's spends are managers' minus adjustments (read from the receipts' covering
    index instead of looking up each spend's event)."""
    r = t.receipts.c
    return select(points_sum(r.redeemed)).where(r.at >= _START, r.at < _END)


def _openings() -> Any:
    """Points a part's customer imports brought over as opening balances: credits of the
    import's adjustments, marked ``opening`` (or, written before the mark, by the reason
    the import gives them). Only manual credits have their event looked up."""
    m, e = t.lot_movements.c, t.events.c
    reason = func.json_extract(e.payload, "$.reason")
    return (
        select(points_sum(m.points))
        .select_from(t.lot_movements.join(t.events, e.id == m.event_id))
        .where(
            m.at >= _START,
            m.at < _END,
            m.kind == MovementKind.CREDIT.value,
            m.lot_id >= "manual:",
            m.lot_id < "manual;",
            e.kind == EventKind.ADJUSTMENT.value,
            or_(
                func.json_extract(e.payload, "$.opening") == 1,
                reason.like(f"{OPENING_REASON}%"),
            ),
        )
    )


_MOVEMENTS = _movements()
_SALE_REDEMPTIONS = _sale_redemptions()
_OPENINGS = _openings()


def _pending_take_backs(b: CTE) -> Any:
    """Points taken back from a lot still pending (an accrual delay): they never were in
    the balance, and the lot's later credit is already that much smaller."""
    m, lot = t.lot_movements.c, t.lots.c
    return (
        select(b.c.idx, points_sum(m.points))
        .select_from(
            b.join(t.lot_movements, and_(m.at >= b.c.start, m.at < b.c.end)).join(
                t.lots, lot.id == m.lot_id
            )
        )
        .where(m.kind == MovementKind.TAKE_BACK.value, lot.available_at > m.at)
        .group_by(b.c.idx)
    )


def flows(conn: Connection, parts: Sequence[Bucket], delayed: bool) -> list[dict[str, Decimal]]:
    """Each bucket's flows (points), by the names of the report's columns. ``delayed``:
    some bonus program makes accruals wait, so a return may take back pending points."""
    raw: dict[tuple[int, str, str | None], Decimal] = defaultdict(lambda: ZERO)
    sold: dict[int, Decimal] = {}
    opened: dict[int, Decimal] = {}
    for idx, part in enumerate(parts):
        moment = {"start": part.start, "end": part.end}
        sums = conn.execute(_MOVEMENTS, moment).one()
        for key, points in zip(_SUMS, sums, strict=True):
            raw[(idx, *key)] = points
        sold[idx] = conn.execute(_SALE_REDEMPTIONS, moment).scalar_one()
        opened[idx] = conn.execute(_OPENINGS, moment).scalar_one()
    pending = dict(conn.execute(_pending_take_backs(boundaries(parts))).all()) if delayed else {}
    out = []
    for i in range(len(parts)):

        def moved(kind: MovementKind, lot: str | None = None, i: int = i) -> Decimal:
            return raw[i, kind.value, lot]

        spent = moved(MovementKind.SPEND)
        manual_minus = spent - sold.get(i, ZERO)
        taken = moved(MovementKind.TAKE_BACK) - pending.get(i, ZERO)
        debt = moved(MovementKind.DEBT)
        out.append(
            {
                "accrued": moved(MovementKind.CREDIT)
                - moved(MovementKind.CREDIT, "manual")
                - moved(MovementKind.CREDIT, "refund")
                - taken
                - debt,
                "redeemed": spent - manual_minus,
                "expired": moved(MovementKind.EXPIRE),
                "given_back": moved(MovementKind.CREDIT, "refund"),
                "adjusted": moved(MovementKind.CREDIT, "manual") - opened[i] - manual_minus,
                "opening": opened[i],
                # Not a flow of the liability: how much the customers' debts grew.
                "debt_growth": debt - moved(MovementKind.REPAY),
            }
        )
    return out


def net(flow: dict[str, Decimal]) -> Decimal:
    """The change of the balances (spendable less debt) over a part."""
    return (
        flow["accrued"]
        - flow["redeemed"]
        - flow["expired"]
        + flow["given_back"]
        + flow["adjusted"]
        + flow["opening"]
    )


def points_report(ledger: Ledger, actor: Actor, period: Period) -> Report:
    actor.require(Permission.VIEW_REPORTS)
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        parts = buckets(period, program.tz)
        delayed = any(p.accrual_delay_days for p in program.bonus_programs)
        per_part = flows(conn, parts, delayed)
        end = parts[-1].end
        later = Bucket("later", parts[-1].last, parts[-1].last, end, _LATER)
        since_end = flows(conn, [later], delayed)
        a = t.accounts.c
        now, debt_now = conn.execute(select(points_sum(a.balance), points_sum(a.debt))).one()
    # A balance is spendable points less debt; a debt is not a negative liability (the
    # customer cannot spend it), so the outstanding figure adds the debts back.
    balances = now - net(since_end[0])
    debt = debt_now - since_end[0]["debt_growth"]
    ends: list[tuple[Decimal, Decimal]] = []
    for flow in reversed(per_part):
        ends.append((balances + debt, debt))
        balances -= net(flow)
        debt -= flow["debt_growth"]
    ends.reverse()
    rows: list[tuple[Value, ...]] = []
    for part, flow, (owed, owing) in zip(parts, per_part, ends, strict=True):
        rows.append(
            (
                part.label,
                *(cents(flow[name]) for name in _FLOWS),
                cents(owed),
                round_money(owed * program.bonus_value),
                cents(owing),
            )
        )
    return Report(
        name="points",
        title="Points",
        period=period,
        columns=COLUMNS,
        rows=tuple(rows),
        chart=Chart("line", x="period", values=("liability_money",)),
        notes=(
            "Outstanding: points customers can still spend at the end of each period, "
            f"a point worth {program.bonus_value} in money.",
            "Accrued: from purchases and bonuses, less points returns took back.",
            "Opening balances: points brought over by a customer import; adjusted: "
            "managers' plus and minus.",
            "Customers' debt: points a return took back beyond a balance; not part of "
            "what is outstanding, and paid back from the customer's next points.",
        ),
    )
