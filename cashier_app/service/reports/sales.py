"""Sales by customer segment, and sales by customer group.

Revenue is what the receipts cost after discounts, paid by money and points together
(``total - discount``: the points' part is money the shop took in its own currency), less
the same figure of the goods returned, taken off in the period of the return
(``returns.basis_decrease``, the returned lines' amount after discounts).

A receipt's segment in a period: ``other`` without a customer; ``new`` when the period
holds the customer's first purchase ever (so every receipt of theirs in that period is
``new``); ``loyal`` when they bought before the period began. A return belongs to the
segment its customer has in the return's period."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from cashier_app.engine.money import ZERO
from cashier_app.service.ledger import Ledger
from cashier_app.service.report_model import Chart, Column, Period, Report, Value
from cashier_app.service.reports.group_history import GroupHistory
from cashier_app.service.reports.periods import (
    Bucket,
    average,
    buckets,
    cents,
    whole_label,
)
from cashier_app.service.reports.sums import money_sum
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t

SEGMENTS = ("new", "loyal", "other")

SALES_COLUMNS = (
    Column("period", "Period", "text"),
    Column("segment", "Customers", "text"),
    Column("receipts", "Receipts", "int"),
    Column("revenue", "Revenue", "money"),
    Column("average_check", "Average check", "money"),
)
GROUPS_COLUMNS = (
    Column("group", "Group", "text"),
    Column("customers", "Customers", "int"),
    Column("receipts", "Receipts", "int"),
    Column("revenue", "Revenue", "money"),
    Column("average_check", "Average check", "money"),
)


def _segments(receipt: Any, since: datetime) -> dict[str, ColumnElement[bool]]:
    """Which segment a receipt's customer is in, in a period starting ``since``: each
    receipt holds when its customer first bought (migration 0008), so this is read from
    the moment index with the sums, never by asking receipt by receipt who bought before."""
    bought_before = receipt.first_purchase_at < since
    return {
        "new": and_(receipt.customer_id.is_not(None), ~bought_before),
        "loyal": bought_before,
        "other": receipt.customer_id.is_(None),
    }


def _sales(part: Bucket) -> Any:
    """One period's receipts and revenue of each segment, a column each: one pass over
    the period's stretch of the moment index, nothing to sort or group (a year's million
    receipts grouped by period and segment needed a sort as large)."""
    r = t.receipts.c
    parts = _segments(r, part.start)
    amount = r.total - r.discount
    counts = [func.sum(case((parts[s], 1), else_=0)) for s in SEGMENTS]
    sums = [money_sum(case((parts[s], amount), else_=0)) for s in SEGMENTS]
    return select(*counts, *sums).where(r.at >= part.start, r.at < part.end)


def _returns(part: Bucket) -> Any:
    """One period's returns: the amount after discounts given back, for each segment its
    customer has in that period."""
    x, r = t.returns.c, t.receipts.c
    parts = _segments(r, part.start)
    sums = [money_sum(case((parts[s], x.basis_decrease), else_=0)) for s in SEGMENTS]
    return (
        select(*sums)
        .select_from(t.returns.join(t.receipts, r.id == x.receipt_id))
        .where(x.at >= part.start, x.at < part.end)
    )


def sales_report(ledger: Ledger, actor: Actor, period: Period) -> Report:
    actor.require(Permission.VIEW_REPORTS)
    with ledger.db.read() as conn:
        tz = ledger.program(conn).tz
        parts = buckets(period, tz)
        counts: dict[tuple[int, str], int] = defaultdict(int)
        revenue: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        for idx, part in enumerate(parts):
            figures = conn.execute(_sales(part)).one()
            for segment, count, amount in zip(SEGMENTS, figures[:3], figures[3:], strict=True):
                counts[idx, segment] += int(count or 0)
                revenue[idx, segment] += amount
            returned = conn.execute(_returns(part)).one()
            for segment, amount in zip(SEGMENTS, returned, strict=True):
                revenue[idx, segment] -= amount
    rows: list[tuple[Value, ...]] = []
    for i, part in enumerate(parts):
        for segment in SEGMENTS:
            n, money = counts[i, segment], revenue[i, segment]
            rows.append((part.label, segment, n, cents(money), average(money, n)))
    return Report(
        name="sales",
        title="Sales",
        period=period,
        columns=SALES_COLUMNS,
        rows=tuple(rows),
        chart=Chart("stacked_bar", x="period", values=("revenue",), split="segment"),
        notes=(
            "Revenue: receipts after discounts, paid by money and points together, "
            "less returns in the period of the return.",
            "new: the period holds the customer's first purchase; loyal: bought before; "
            "other: no customer card.",
            "Average check: the revenue divided by the period's receipts; returns of earlier "
            "receipts are taken off in their own period, so such a period can show a low or "
            "negative average check.",
        ),
    )


def _group_sums(conn: Connection, part: Bucket, group_id: str | None) -> tuple[int, Decimal]:
    """Receipts and revenue (less returns) of one group's customers in the period, or of
    all customers with a card (``group_id`` None)."""
    c, r, x = t.customers.c, t.receipts.c, t.returns.c
    sold = select(func.count(), money_sum(r.total - r.discount)).where(
        r.at >= part.start, r.at < part.end, r.customer_id.is_not(None)
    )
    returned = (
        select(money_sum(x.basis_decrease))
        .select_from(t.returns.join(t.receipts, r.id == x.receipt_id))
        .where(x.at >= part.start, x.at < part.end, r.customer_id.is_not(None))
    )
    if group_id is not None:
        mine = select(c.id).where(c.group_id == group_id)
        sold = sold.where(r.customer_id.in_(mine))
        returned = returned.where(r.customer_id.in_(mine))
    n, amount = conn.execute(sold).one()
    return int(n), amount - conn.execute(returned).scalar_one()


def groups_report(ledger: Ledger, actor: Actor, period: Period) -> Report:
    """Per customer group: the customers registered by the period's end (in the group
    they were in then), and the receipts, revenue and average check of the period, each
    receipt in the group its customer was in at the sale. Receipts
    without a customer belong to no group and are left out (the sales report has them).

    The largest group's figures are all customers' less the other groups': the others are
    read through their customers, the largest never needs a look-up per receipt."""
    actor.require(Permission.VIEW_REPORTS)
    c = t.customers.c
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        (part,) = buckets(Period(period.start, period.end, None), program.tz)
        members: dict[str, int] = {
            g: int(n)
            for g, n in conn.execute(select(c.group_id, func.count()).group_by(c.group_id))
        }
        for g, n in conn.execute(
            select(c.group_id, func.count()).where(c.registered_at >= part.end).group_by(c.group_id)
        ):
            members[g] -= int(n)  # registered after the period
        largest = max(members, key=lambda g: members[g], default=None)
        figures: dict[str, tuple[int, Decimal]] = {}
        everyone = _group_sums(conn, part, None)
        for g in members:
            if g != largest:
                figures[g] = _group_sums(conn, part, g)
        if largest is not None:
            figures[largest] = (
                everyone[0] - sum(n for n, _ in figures.values()),
                everyone[1] - sum((a for _, a in figures.values()), ZERO),
            )
        # Counted so far by the group each customer is in now: the customers moved since
        # the period began take their receipts back to the group of each sale's moment.
        shift, moved = GroupHistory(conn, part.start).corrections(conn, part.start, part.end)
        for g, (n, amount) in shift.items():
            was_n, was_amount = figures.get(g, (0, ZERO))
            figures[g] = (was_n + n, was_amount + amount)
        for g, n in moved.items():
            members[g] = members.get(g, 0) + n
    # A group the program no longer names is read as the default group, as a sale does.
    known = {g.id for g in program.groups}

    def home(group_id: str) -> str:
        return group_id if group_id in known else program.default_group.id

    customers: dict[str, int] = defaultdict(int)
    receipts: dict[str, int] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for group_id, n in members.items():
        customers[home(group_id)] += n
    for group_id, (n, amount) in figures.items():
        receipts[home(group_id)] += n
        revenue[home(group_id)] += amount
    rows = tuple(
        (
            g.name,
            customers[g.id],
            receipts[g.id],
            cents(revenue[g.id]),
            average(revenue[g.id], receipts[g.id]),
        )
        for g in program.groups
    )
    return Report(
        name="groups",
        title="Customer groups",
        period=period,
        columns=GROUPS_COLUMNS,
        rows=rows,
        chart=Chart("bar", x="group", values=("average_check",)),
        notes=(
            f"{whole_label(period)}: customers registered by the period's end; receipts "
            "with a customer card; revenue less returns in the period.",
            "Each receipt counts in the group its customer was in at the sale; a customer "
            "in the group they were in at the period's end.",
        ),
    )
