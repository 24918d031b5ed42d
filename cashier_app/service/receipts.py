"""A recorded receipt as a return needs it: what each line may still give back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t


@dataclass(frozen=True, slots=True)
class ReturnableLine:
    index: int  # the receipt's line number, which a return request names
    sku: str
    name: str | None
    left: Decimal  # bought minus already returned
    amount: Decimal


def returnable_lines(ledger: Ledger, receipt_number: str) -> list[ReturnableLine]:
    """The lines of a recorded receipt in their order; refuses an unknown number."""
    with ledger.db.read() as conn:
        receipt = conn.execute(
            select(t.receipts.c.id).where(t.receipts.c.number == receipt_number)
        ).scalar()
        if receipt is None:
            raise LoyaltyError("unknown_receipt", f"there is no receipt {receipt_number!r}")
        rows = conn.execute(
            select(t.receipt_lines)
            .where(t.receipt_lines.c.receipt_id == receipt)
            .order_by(t.receipt_lines.c.line_no)
        ).all()
    return [
        ReturnableLine(r.line_no, r.sku, r.name, r.qty - r.returned_qty, r.amount) for r in rows
    ]
