"""Quoting and recording a sale (docs/program.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cashier_app.engine import postings
from cashier_app.engine.automation import AutoEvent, run_until
from cashier_app.engine.calendar import add_days, local_date, local_midnight
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import Lot, LotKind
from cashier_app.engine.money import ZERO, check_sale_size
from cashier_app.engine.program import Program
from cashier_app.engine.receipt import (
    LineInput,
    QuotedLine,
    ReceiptQuote,
    RedeemRequest,
    Shopper,
    quote_receipt,
)
from cashier_app.service.customers import view_of_state
from cashier_app.service.ledger import CustomerState, Ledger, check_moment, new_id
from cashier_app.service.results import SaleResult
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import schema as t
from cashier_app.storage.prepared import Prepared, PreparedRead

PAYMENTS = ("cash", "card", "other")
_LINE_FIELDS = tuple(f.name for f in dataclasses.fields(QuotedLine))
_RECEIPT_KEYS = (
    "id", "number", "customer_id", "at", "event_id", "program_version", "total", "discount",
    "discount_percent", "redeemed", "redeemed_money", "paid", "accrual_base", "accrued",
    "accrual_lot_id", "tier", "basis_amount", "points_taken_back", "points_given_back",
    "refunded", "payment", "shift_id", "cashier_id", "first_purchase_at",
)  # fmt: skip
_INSERT_RECEIPT = Prepared(insert(t.receipts), _RECEIPT_KEYS)
_INSERT_LINES = Prepared(
    insert(t.receipt_lines), (*_LINE_FIELDS, "receipt_id", "line_no", "returned_qty")
)


def _line_values(line: QuotedLine) -> dict[str, object]:
    # dataclasses.asdict copies deeply, field by field: a tenth of a sale's time.
    return {name: getattr(line, name) for name in _LINE_FIELDS}


_FIRST_PURCHASE = PreparedRead(
    select(func.min(t.receipts.c.at)).where(t.receipts.c.customer_id == bindparam("cid"))
)
_OPEN_SHIFT = PreparedRead(
    select(t.shifts.c.id).where(
        t.shifts.c.user_id == bindparam("uid"), t.shifts.c.closed_at.is_(None)
    )
)
_LAST_SYNC = PreparedRead(select(t.sync_state.c.last_success))
_REDEEMED_SINCE = PreparedRead(
    select(func.coalesce(func.sum(t.receipts.c.redeemed), 0)).where(
        t.receipts.c.customer_id == bindparam("cid"), t.receipts.c.at >= bindparam("since")
    )
)


def _shopper(
    ledger: Ledger, conn: Connection, program: Program, state: CustomerState, at: datetime
) -> Shopper:
    return Shopper(
        group=state.group,
        bonus_basis=ledger.bonus_basis(conn, program, state, at),
        discount_basis=state.standing.tier_basis,
        available_points=state.standing.account.balance(at),
        redeem_limit=offline_redeem_left(conn, program, state, at),
    )


OFFLINE_AFTER = timedelta(minutes=2)  # no successful sync for this long: the till is offline


def offline_redeem_left(
    conn: Connection, program: Program, state: CustomerState, at: datetime
) -> Decimal | None:
    """While an enrolled till is offline, a customer may redeem at most the program's
    ``offline_redeem_limit`` per day here (docs/sync.md), on top of the balance this till knows
    (which already has its own unsent redemptions taken off). None: no extra limit."""
    limit = state.bonus.offline_redeem_limit if state.bonus else None
    if limit is None:
        return None
    sync = _LAST_SYNC.first(conn)
    if sync is None:
        return None  # a till without a central server: its ledger is the whole truth
    if sync.last_success is not None and at - sync.last_success <= OFFLINE_AFTER:
        return None
    day_start = local_midnight(local_date(at, program.tz), program.tz)
    used = _REDEEMED_SINCE.scalar(conn, {"cid": state.id, "since": day_start})
    return max(Decimal(0), limit - Decimal(used))


def _first_purchase(conn: Connection, customer_id: str, at: datetime) -> datetime:
    """When the customer first bought at this till, this sale counted (the sales report's
    new or loyal). A sale dated before their first one (a manager's --at) becomes the
    first, on every receipt of theirs."""
    first: datetime | None = _FIRST_PURCHASE.scalar(conn, {"cid": customer_id})
    if first is not None and first <= at:
        return first
    if first is not None:
        conn.execute(
            update(t.receipts)
            .where(t.receipts.c.customer_id == customer_id)
            .values(first_purchase_at=at)
        )
    return at


def quote_sale(
    ledger: Ledger,
    lines: Sequence[LineInput],
    *,
    customer_id: str | None = None,
    redeem: RedeemRequest = ZERO,
    at: datetime | None = None,
) -> ReceiptQuote:
    """The receipt's numbers before payment; reads only."""
    check_moment(at)
    check_sale_size([(line.price, line.qty) for line in lines])
    at = at or ledger.clock()
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        shopper = None
        if customer_id is not None:
            state = ledger.load_state(conn, program, customer_id)
            s = state.standing
            account, profile, _ = run_until(program, state.bonus, s.account, s.profile, at)
            state = replace(state, standing=replace(s, account=account, profile=profile))
            shopper = _shopper(ledger, conn, program, state, at)
        return quote_receipt(program, lines, shopper, redeem)


def record_sale(
    ledger: Ledger,
    lines: Sequence[LineInput],
    *,
    customer_id: str | None = None,
    redeem: RedeemRequest = ZERO,
    number: str | None = None,
    payment: str = "cash",
    at: datetime | None = None,
    actor: Actor = OPERATOR,
) -> SaleResult:
    """Commit a sale: event, receipt, lots, projection and outbox in one transaction.

    The numbers are computed again inside the write transaction, so what is committed is
    what the rules give on the state that is actually there.
    """
    actor.require(Permission.SELL)
    check_moment(at)
    check_sale_size([(line.price, line.qty) for line in lines])
    if payment not in PAYMENTS:
        raise LoyaltyError("invalid_payment", f"payment must be one of {', '.join(PAYMENTS)}")
    with ledger.write(at) as (conn, at):
        program = ledger.program(conn)
        autos: list[AutoEvent] = []
        state = None
        shopper = None
        if customer_id is not None:
            state = ledger.load_state(conn, program, customer_id)
            state, autos = ledger.catch_up(conn, program, state, at)
            shopper = _shopper(ledger, conn, program, state, at)
        quote = quote_receipt(program, lines, shopper, redeem)

        shift_id = None
        if actor.id is not None:  # a logged-in cashier sells within their open shift
            shift_id = _OPEN_SHIFT.scalar(conn, {"uid": actor.id})
            if shift_id is None:
                raise LoyaltyError("no_open_shift", "open your shift before selling")
        receipt_id = new_id()
        first_purchase_at = _first_purchase(conn, customer_id, at) if customer_id else None
        if number is None:
            number = ledger.next_receipt_number(conn)
        elif not number.strip() or len(number) > 40:
            raise LoyaltyError("invalid_receipt_number", "a receipt number has 1 to 40 characters")

        accrual_lot: Lot | None = None
        if state is not None and state.bonus is not None and quote.accrued > ZERO:
            available = add_days(at, state.bonus.accrual_delay_days, program.tz)
            expiry = state.bonus.expiry_days
            accrual_lot = Lot(
                id=f"accrual:{receipt_id}",
                kind=LotKind.ACCRUAL,
                points=quote.accrued,
                remaining=quote.accrued,
                credited_at=at,
                available_at=available,
                expires_at=add_days(available, expiry, program.tz) if expiry is not None else None,
                receipt_id=receipt_id,
            )

        event_id = ledger.append_event(
            conn,
            EventKind.SALE,
            at,
            {
                "receipt_id": receipt_id,
                "number": number,
                "customer_id": customer_id,
                "payment": payment,
                "lines": [_line_values(ln) for ln in quote.lines],
                "total": quote.total,
                "discount": quote.discount,
                "discount_percent": quote.discount_percent,
                "redeemed": quote.redeemed,
                "paid": quote.paid,
                "accrued": quote.accrued,
                "tier": quote.tier,
                "accrual_lot": {
                    "id": accrual_lot.id,
                    "available_at": accrual_lot.available_at,
                    "expires_at": accrual_lot.expires_at,
                }
                if accrual_lot
                else None,
            },
            customer_id=customer_id,
            actor=actor.name,
            program_version=program.version,
        )
        try:
            _INSERT_RECEIPT.run(
                conn,
                {
                    "id": receipt_id,
                    "number": number,
                    "customer_id": customer_id,
                    "at": at,
                    "event_id": event_id,
                    "program_version": program.version,
                    "total": quote.total,
                    "discount": quote.discount,
                    "discount_percent": quote.discount_percent,
                    "redeemed": quote.redeemed,
                    "redeemed_money": quote.redeemed_money,
                    "paid": quote.paid,
                    "accrual_base": quote.accrual_base,
                    "accrued": quote.accrued,
                    "accrual_lot_id": accrual_lot.id if accrual_lot else None,
                    "tier": quote.tier,
                    "basis_amount": quote.after_discount if customer_id else ZERO,
                    "points_taken_back": ZERO,
                    "points_given_back": ZERO,
                    "refunded": ZERO,
                    "payment": payment,
                    "shift_id": shift_id,
                    "cashier_id": actor.id,
                    "first_purchase_at": first_purchase_at,
                },
            )
        except IntegrityError:
            # The UNIQUE number is the check; the whole transaction is rolled back.
            raise LoyaltyError(
                "duplicate_receipt", f"receipt {number} is already recorded"
            ) from None
        _INSERT_LINES.run_many(
            conn,
            [
                {
                    **_line_values(ln),
                    "receipt_id": receipt_id,
                    "line_no": i,
                    "returned_qty": ZERO,
                }
                for i, ln in enumerate(quote.lines)
            ],
        )

        view = None
        if state is not None:
            posted = postings.sale(
                state.standing,
                redeemed=quote.redeemed,
                accrual_lot=accrual_lot,
                after_discount=quote.after_discount,
                at=at,
            )
            new_state, more = ledger.post(conn, program, state, posted, at, event_id=event_id)
            autos += more
            view = view_of_state(ledger, conn, program, new_state, at)
    return SaleResult(
        receipt_id=receipt_id,
        number=number,
        event_id=event_id,
        quote=quote,
        customer=view,
        accrual_available_at=accrual_lot.available_at if accrual_lot else None,
        automatic=tuple(autos),
    )
