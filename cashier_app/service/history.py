"""Read-only views of recorded history: receipts and customer messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t


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
