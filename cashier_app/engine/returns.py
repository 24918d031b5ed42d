"""Returns, whole or partial (docs/rules-decisions.md, "Returns").

Every share is computed cumulatively (what the returns so far should total, less what the
earlier returns already gave), so a receipt returned in several parts ends exactly where a
whole return would: all accrued points taken back, all redeemed points given back, all
money refunded, never a cent more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.lots import Lot, LotKind
from cashier_app.engine.money import ZERO, PointsRounding, ceil_points, floor_points, round_money


@dataclass(frozen=True, slots=True)
class SoldLine:
    """A line of the original receipt as recorded, with what was already returned."""

    sku: str
    qty: Decimal
    amount: Decimal
    discount: Decimal
    redeemed_money: Decimal
    accrual_base: Decimal
    returned_qty: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class SoldReceipt:
    lines: tuple[SoldLine, ...]
    accrued: Decimal
    redeemed: Decimal  # points
    points_taken_back: Decimal = ZERO  # by earlier returns
    points_given_back: Decimal = ZERO  # by earlier returns


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    sku: str | None
    qty: Decimal
    line: int | None = None  # a line index of the receipt, when the sku is ambiguous


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    index: int
    qty: Decimal
    refund: Decimal  # money
    after_discount: Decimal  # the tier basis falls by this
    redeemed_money: Decimal


@dataclass(frozen=True, slots=True)
class ReturnQuote:
    lines: tuple[ReturnedLine, ...]
    refunded: Decimal
    points_taken_back: Decimal
    points_given_back: Decimal
    basis_decrease: Decimal


def _named(req: ReturnRequest) -> str:
    """The line a request names, as a person counts receipt lines: from 1."""
    return f"line {req.line + 1}" if req.line is not None else str(req.sku)


def _allocate(receipt: SoldReceipt, requests: Sequence[ReturnRequest]) -> dict[int, Decimal]:
    """Which line each returned quantity comes from: an sku fills its lines in order."""
    left = {i: line.qty - line.returned_qty for i, line in enumerate(receipt.lines)}
    taken: dict[int, Decimal] = {}
    for req in requests:
        if req.qty <= ZERO:
            raise LoyaltyError("invalid_quantity", "a returned quantity must be greater than zero")
        if req.line is not None:
            if not 0 <= req.line < len(receipt.lines):
                raise LoyaltyError("unknown_line", f"the receipt has no line {req.line + 1}")
            candidates = [req.line]
        else:
            candidates = [i for i, ln in enumerate(receipt.lines) if ln.sku == req.sku]
            if not candidates:
                raise LoyaltyError("unknown_line", f"the receipt has no item {req.sku!r}")
        need = req.qty
        for i in candidates:
            take = min(need, left[i])
            if take > ZERO:
                left[i] -= take
                taken[i] = taken.get(i, ZERO) + take
                need -= take
        if need > ZERO:
            raise LoyaltyError(
                "return_exceeds_sale",
                f"cannot return {req.qty} of {_named(req)}: "
                "more than was sold and not yet returned",
            )
    return taken


def _share(value: Decimal, part: Decimal, whole: Decimal) -> Fraction:
    return Fraction(value) * Fraction(part) / Fraction(whole)


def quote_return(
    receipt: SoldReceipt, requests: Sequence[ReturnRequest], rounding: PointsRounding
) -> ReturnQuote:
    if not requests:
        raise LoyaltyError("empty_return", "name at least one line to return")
    taken = _allocate(receipt, requests)
    lines: list[ReturnedLine] = []
    base_total = sum((ln.accrual_base for ln in receipt.lines), ZERO)
    redeemed_total = sum((ln.redeemed_money for ln in receipt.lines), ZERO)
    base_after = Fraction(0)
    redeemed_after = Fraction(0)
    for i, ln in enumerate(receipt.lines):
        before, after = ln.returned_qty, ln.returned_qty + taken.get(i, ZERO)
        base_after += _share(ln.accrual_base, after, ln.qty)
        redeemed_after += _share(ln.redeemed_money, after, ln.qty)
        if i not in taken:
            continue
        net = ln.amount - ln.discount

        def cum(q: Decimal, value: Decimal = net, line: SoldLine = ln) -> Decimal:
            return round_money(_share(value, q, line.qty))

        after_discount = cum(after) - cum(before)
        redeemed_part = cum(after, ln.redeemed_money) - cum(before, ln.redeemed_money)
        lines.append(
            ReturnedLine(i, taken[i], after_discount - redeemed_part, after_discount, redeemed_part)
        )

    # Accrued points back in proportion to the returned share of the accrual base, up.
    taken_pts = ZERO
    if receipt.accrued > ZERO and base_total > ZERO:
        target = min(
            receipt.accrued,
            ceil_points(Fraction(receipt.accrued) * base_after / Fraction(base_total), rounding),
        )
        taken_pts = max(ZERO, target - receipt.points_taken_back)
    # Redeemed points on the returned lines come back (down, so never more than redeemed).
    given_pts = ZERO
    if receipt.redeemed > ZERO and redeemed_total > ZERO:
        target = floor_points(
            Fraction(receipt.redeemed) * redeemed_after / Fraction(redeemed_total), rounding
        )
        given_pts = max(ZERO, min(receipt.redeemed, target) - receipt.points_given_back)
    return ReturnQuote(
        lines=tuple(lines),
        refunded=sum((ln.refund for ln in lines), ZERO),
        points_taken_back=taken_pts,
        points_given_back=given_pts,
        basis_decrease=sum((ln.after_discount for ln in lines), ZERO),
    )


# A return event's wire names of the points it took back and gave back (docs/sync.md,
# "return"). Tills' and the server's ledgers hold return events under these names, so they
# stay, whatever the code calls the amounts: written by ``return_event_points`` and read
# by ``points_of_return_event`` alone (event_check checks them by these names).
EVENT_TAKEN_BACK = "points_taken"
EVENT_GIVEN_BACK = "points_returned"


def return_event_points(quote: ReturnQuote) -> dict[str, Decimal]:
    """The points of a return as its event records them."""
    return {EVENT_TAKEN_BACK: quote.points_taken_back, EVENT_GIVEN_BACK: quote.points_given_back}


def points_of_return_event(payload: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """(points taken back, points given back) of a recorded return event; absent: none."""

    def amount(value: Any) -> Decimal:
        return Decimal(str(value)) if value is not None else ZERO

    return amount(payload.get(EVENT_TAKEN_BACK)), amount(payload.get(EVENT_GIVEN_BACK))


@dataclass(frozen=True, slots=True)
class Spend:
    """Points a redemption took from one lot, and how many returns already gave back."""

    lot: str
    points: Decimal
    expires_at: datetime | None
    given_back: Decimal = ZERO


def refund_lots(
    spends: Sequence[Spend], points: Decimal, at: datetime, lot_id_prefix: str
) -> list[Lot]:
    """Redeemed points come back as lots with the original lot's expiry: the latest-expiring
    spends first, so the customer gets back the points that live longest. A lot whose
    expiry has already passed expires at once (the automation writes it off)."""
    out: list[Lot] = []
    left = points
    for n, spend in enumerate(reversed(spends)):
        if left <= ZERO:
            break
        give = min(left, spend.points - spend.given_back)
        if give <= ZERO:
            continue
        out.append(
            Lot(
                id=f"{lot_id_prefix}:{n}",
                kind=LotKind.REFUND,
                points=give,
                remaining=give,
                credited_at=at,
                available_at=at,
                expires_at=spend.expires_at,
                origin_lot=spend.lot,
            )
        )
        left -= give
    if left > ZERO:
        # Only possible for a receipt recorded without its spends (an imported history):
        # the rest comes back as a never-expiring lot rather than being lost.
        out.append(Lot(f"{lot_id_prefix}:rest", LotKind.REFUND, left, left, at, at, None))
    return out
