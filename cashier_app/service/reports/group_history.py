"""The customer group a customer was in at a moment, for the groups report: a receipt
belongs to the group its customer was in at the sale, not to the one they were moved to
later (a move to ``staff`` on 20 November must not rewrite the first half of the month).

The customers table holds the group as it is now; each move is a
``customer_group_changed`` event (its payload names the group and the previous one). Only
customers moved since the period began can have been in another group during it, so only
their receipts are looked at one by one; everyone else's stay counted by the group they
are in now."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BindParameter, Connection, bindparam, select

from cashier_app.engine.events import EventKind
from cashier_app.engine.money import ZERO
from cashier_app.service.reports.sums import as_money
from cashier_app.storage import schema as t

# Receipts and revenue to move between groups: group -> (receipts, revenue).
Shift = dict[str, tuple[int, Decimal]]
_CHUNK = 500
# Written into the statement, not bound: SQLite uses the partial index of the moves
# (migration 0010) only when it can see the statement asks for that kind.
_GROUP_MOVE: BindParameter[str] = bindparam(
    "kind", EventKind.CUSTOMER_GROUP_CHANGED.value, literal_execute=True
)


class GroupHistory:
    """The moves since ``since`` of the customers who made any, oldest first."""

    def __init__(self, conn: Connection, since: datetime) -> None:
        e = t.events.c
        self.moves: dict[str, list[tuple[datetime, str | None, str]]] = defaultdict(list)
        for cid, at, payload in conn.execute(
            select(e.customer_id, e.at, e.payload)
            .where(e.kind == _GROUP_MOVE, e.at >= since)
            .order_by(e.at)
        ):
            body = json.loads(payload)
            self.moves[str(cid)].append((at, body.get("previous_group"), str(body["group"])))

    def group_at(self, customer: str, now_group: str, at: datetime) -> str:
        """The group ``customer`` (in ``now_group`` today) was in at ``at``: the previous
        group of the first move after it, or the group they are in now."""
        moves = self.moves.get(customer)
        if not moves:
            return now_group
        i = bisect_right([m[0] for m in moves], at)
        if i == len(moves):
            return now_group
        return moves[i][1] or now_group

    def corrections(
        self, conn: Connection, start: datetime, end: datetime
    ) -> tuple[Shift, dict[str, int]]:
        """What to move between the groups counted by today's group: the moved customers'
        receipts of the period (less their returns in it) to the group of each sale's
        moment, and the customers themselves to their group at the period's end."""
        c, r, x = t.customers.c, t.receipts.c, t.returns.c
        moved = list(self.moves)
        delta: dict[str, list[int | Decimal]] = defaultdict(lambda: [0, ZERO])
        members: dict[str, int] = defaultdict(int)
        for first in range(0, len(moved), _CHUNK):
            chunk = moved[first : first + _CHUNK]
            now = dict(
                conn.execute(
                    select(c.id, c.group_id).where(c.id.in_(chunk), c.registered_at < end)
                ).all()
            )
            for cid, group in now.items():
                then = self.group_at(cid, group, end)
                if then != group:
                    members[group] -= 1
                    members[then] += 1
            sold = conn.execute(
                select(r.customer_id, r.at, as_money(r.total - r.discount)).where(
                    r.customer_id.in_(chunk), r.at >= start, r.at < end
                )
            )
            returned = conn.execute(
                select(r.customer_id, r.at, x.basis_decrease)
                .select_from(t.returns.join(t.receipts, r.id == x.receipt_id))
                .where(r.customer_id.in_(chunk), x.at >= start, x.at < end)
            )
            for counted, sign, rows in ((1, 1, sold), (0, -1, returned)):
                for cid, at, amount in rows:
                    group = now.get(cid)
                    if group is None:
                        continue
                    then = self.group_at(cid, group, at)
                    if then == group:
                        continue
                    money = sign * Decimal(amount)
                    delta[group][0] = int(delta[group][0]) - counted
                    delta[group][1] = Decimal(delta[group][1]) - money
                    delta[then][0] = int(delta[then][0]) + counted
                    delta[then][1] = Decimal(delta[then][1]) + money
        shift = {g: (int(n), Decimal(a)) for g, (n, a) in delta.items()}
        return shift, dict(members)
