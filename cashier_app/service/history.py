"""Read-only views of recorded history: receipts and customer messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.storage.queries import open_lots


@dataclass(frozen=True, slots=True)
class ReceiptSummary:
    id: str
    number: str
    customer_id: str | None
    at: datetime
    total: Decimal
    discount: Decimal
    redeemed: Decimal
    paid: Decimal
    accrued: Decimal
    refunded: Decimal
    points_taken_back: Decimal
    points_given_back: Decimal


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    kind: str
    at: datetime
    points: Decimal | None


def get_receipt(ledger: Ledger, number: str) -> ReceiptSummary:
    with ledger.db.read() as conn:
        r = conn.execute(select(t.receipts).where(t.receipts.c.number == number)).first()
    if r is None:
        raise LoyaltyError("unknown_receipt", f"there is no receipt {number!r}")
    return _summary(r)


def _summary(r: Row[Any]) -> ReceiptSummary:
    return ReceiptSummary(
        r.id, r.number, r.customer_id, r.at, r.total, r.discount, r.redeemed, r.paid,
        r.accrued, r.refunded, r.points_taken_back, r.points_given_back,
    )  # fmt: skip


def messages_since(ledger: Ledger, customer_id: str, after_id: int = 0) -> list[Message]:
    """Messages recorded for the customer (welcome, birthday, win-back, expiry warning)."""
    m = t.customer_messages.c
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(m.id, m.kind, m.at, m.points)
            .where(m.customer_id == customer_id, m.id > after_id)
            .order_by(m.at, m.id)
        ).all()
    return [Message(r.id, r.kind, r.at, r.points) for r in rows]


@dataclass(frozen=True, slots=True)
class LotView:
    kind: str
    points: Decimal
    remaining: Decimal
    available_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    receipts: list[ReceiptSummary]
    lots: list[LotView]  # lots with points left: spendable and pending


def customer_history(ledger: Ledger, customer_id: str, limit: int = 200) -> CustomerHistory:
    """The customer card: latest receipts first, and the lots that still hold points."""
    r, lot = t.receipts.c, t.lots.c
    with ledger.db.read() as conn:
        receipts = conn.execute(
            select(t.receipts)
            .where(r.customer_id == customer_id)
            .order_by(r.at.desc())
            .limit(limit)
        ).all()
        lots = conn.execute(
            select(t.lots)
            .where(lot.customer_id == customer_id, open_lots())
            .order_by(lot.expires_at.is_(None), lot.expires_at, lot.credited_at)
        ).all()
    return CustomerHistory(
        [_summary(x) for x in receipts],
        [LotView(x.kind, x.points, x.remaining, x.available_at, x.expires_at) for x in lots],
    )
