"""Returns, whole or partial, by receipt number (docs/rules-decisions.md, "Returns")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select, update

from cashier_app.engine import postings
from cashier_app.engine.automation import AutoEvent
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import MovementKind
from cashier_app.engine.money import ZERO
from cashier_app.engine.returns import (
    ReturnRequest,
    SoldLine,
    SoldReceipt,
    Spend,
    quote_return,
    return_event_points,
)
from cashier_app.service.customers import view_of_state
from cashier_app.service.ledger import Ledger, check_moment, new_id
from cashier_app.service.results import ReturnResult
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import schema as t


def _spends(conn: Connection, receipt_id: str, sale_event: str) -> list[Spend]:
    """The lots the sale's redemption took points from, in spending order, with what
    earlier returns already gave back to each."""
    spent = conn.execute(
        select(t.lot_movements.c.lot_id, t.lot_movements.c.points, t.lots.c.expires_at)
        .join(t.lots, t.lots.c.id == t.lot_movements.c.lot_id)
        .where(
            t.lot_movements.c.event_id == sale_event,
            t.lot_movements.c.kind == MovementKind.SPEND.value,
        )
        .order_by(t.lot_movements.c.id)
    ).all()
    given = dict(
        conn.execute(
            select(t.lots.c.origin_lot_id, func.sum(t.lots.c.points))
            .where(t.lots.c.receipt_id == receipt_id, t.lots.c.kind == "refund")
            .group_by(t.lots.c.origin_lot_id)
        ).all()
    )
    return [
        Spend(r.lot_id, r.points, r.expires_at, given.get(r.lot_id) or Decimal(0)) for r in spent
    ]


def record_return(
    ledger: Ledger,
    receipt_number: str,
    items: Sequence[ReturnRequest],
    *,
    at: datetime | None = None,
    actor: Actor = OPERATOR,
) -> ReturnResult:
    """Return lines of a receipt: money refunded, accrued points taken back, redeemed
    points given back, tier basis reduced; one transaction."""
    actor.require(Permission.RETURN)
    check_moment(at)
    with ledger.write(at) as (conn, at):
        program = ledger.program(conn)
        receipt = conn.execute(
            select(t.receipts).where(t.receipts.c.number == receipt_number)
        ).first()
        if receipt is None:
            raise LoyaltyError("unknown_receipt", f"there is no receipt {receipt_number!r}")
        if at < receipt.at:
            raise LoyaltyError("return_before_sale", "a return cannot be dated before its sale")
        line_rows = conn.execute(
            select(t.receipt_lines)
            .where(t.receipt_lines.c.receipt_id == receipt.id)
            .order_by(t.receipt_lines.c.line_no)
        ).all()
        sold = SoldReceipt(
            lines=tuple(
                SoldLine(
                    r.sku,
                    r.qty,
                    r.amount,
                    r.discount,
                    r.redeemed_money,
                    r.accrual_base,
                    r.returned_qty,
                )
                for r in line_rows
            ),
            accrued=receipt.accrued,
            redeemed=receipt.redeemed,
            points_taken_back=receipt.points_taken_back,
            points_given_back=receipt.points_given_back,
        )
        quote = quote_return(sold, items, program.points_rounding)

        return_id = new_id()
        event_id = ledger.append_event(
            conn,
            EventKind.RETURN,
            at,
            {
                "return_id": return_id,
                "receipt_id": receipt.id,
                "number": receipt.number,
                "lines": [
                    {"line": ln.index, "qty": ln.qty, "refund": ln.refund} for ln in quote.lines
                ],
                "refunded": quote.refunded,
                **return_event_points(quote),  # the event's own names (docs/sync.md)
                "basis_decrease": quote.basis_decrease,
            },
            customer_id=receipt.customer_id,
            actor=actor.name,
            program_version=program.version,
        )
        conn.execute(
            insert(t.returns).values(
                id=return_id,
                receipt_id=receipt.id,
                at=at,
                event_id=event_id,
                refunded=quote.refunded,
                points_taken_back=quote.points_taken_back,
                points_given_back=quote.points_given_back,
                basis_decrease=quote.basis_decrease,
            )
        )
        conn.execute(
            insert(t.return_lines),
            [
                {"return_id": return_id, "line_no": ln.index, "qty": ln.qty, "refund": ln.refund}
                for ln in quote.lines
            ],
        )
        # A return gives money back: the audit log says who gave it (the event says what).
        details = {"refunded": quote.refunded, "points_taken_back": quote.points_taken_back,
                   "points_given_back": quote.points_given_back}  # fmt: skip
        ledger.audit(conn, "return", receipt.number, actor.name, details, user_id=actor.id)
        for ln in quote.lines:
            conn.execute(
                update(t.receipt_lines)
                .where(
                    t.receipt_lines.c.receipt_id == receipt.id,
                    t.receipt_lines.c.line_no == ln.index,
                )
                .values(returned_qty=line_rows[ln.index].returned_qty + ln.qty)
            )
        conn.execute(
            update(t.receipts)
            .where(t.receipts.c.id == receipt.id)
            .values(
                points_taken_back=receipt.points_taken_back + quote.points_taken_back,
                points_given_back=receipt.points_given_back + quote.points_given_back,
                refunded=receipt.refunded + quote.refunded,
                basis_amount=receipt.basis_amount
                - (quote.basis_decrease if receipt.customer_id else ZERO),
            )
        )

        view = None
        autos: list[AutoEvent] = []
        if receipt.customer_id is not None:
            state = ledger.load_state(conn, program, receipt.customer_id)
            state, autos = ledger.catch_up(conn, program, state, at)
            posted = postings.return_of(
                state.standing,
                receipt_id=receipt.id,
                accrual_lot_id=receipt.accrual_lot_id,
                points_taken_back=quote.points_taken_back,
                points_given_back=quote.points_given_back,
                spends=_spends(conn, receipt.id, receipt.event_id)
                if quote.points_given_back > ZERO
                else [],
                basis_decrease=quote.basis_decrease,
                refund_id=event_id,
                at=at,
            )
            new_state, more = ledger.post(conn, program, state, posted, at, event_id=event_id)
            autos += more
            view = view_of_state(ledger, conn, program, new_state, at)
    return ReturnResult(
        return_id=return_id,
        receipt_number=receipt.number,
        event_id=event_id,
        refunded=quote.refunded,
        points_taken_back=quote.points_taken_back,
        points_given_back=quote.points_given_back,
        customer=view,
        automatic=tuple(autos),
    )
