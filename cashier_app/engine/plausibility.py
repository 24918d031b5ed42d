"""Whether a well-formed event (see event_check) is one the program could have produced:
a receipt's lines add up to its total, the points redeemed are within the program's cap,
the points accrued within its highest rate, a return within its receipt. The central
server stores an implausible event but quarantines it (it is not applied) until an
administrator releases or rejects it.

The rules are deliberately generous: a till's exact numbers depend on the customer's
group and tier at that moment, which the server may learn of only later, so each bound is
the most any customer could get under the program version the till names.

Pure: the caller passes the program and, for a return, the payload of its sale.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from cashier_app.engine.events import EventKind
from cashier_app.engine.money import CENT, HUNDRED, ZERO, round_money
from cashier_app.engine.program import PercentAccrual, Program


def _d(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def implausible(
    kind: str,
    payload: Mapping[str, Any],
    program: Program,
    sale: Mapping[str, Any] | None = None,
) -> str | None:
    """Why the event could not have come from the program, or None. ``sale``: for a
    return, the payload of the sale it returns (None when the server does not have it)."""
    if kind == EventKind.SALE:
        return _sale(payload, program)
    if kind == EventKind.RETURN and sale is not None:
        return _return(payload, sale)
    return None


def _sale(p: Mapping[str, Any], program: Program) -> str | None:
    total, discount = _d(p.get("total")), _d(p.get("discount"))
    redeemed, paid, accrued = _d(p.get("redeemed")), _d(p.get("paid")), _d(p.get("accrued"))
    lines = p.get("lines") or []
    if lines:
        for n, line in enumerate(lines, 1):
            if _d(line.get("amount")) != round_money(_d(line.get("price")) * _d(line.get("qty"))):
                return f"line {n}: the amount is not price times quantity"
        if sum((_d(line.get("amount")) for line in lines), ZERO) != total:
            return "the lines do not add up to the total"
        if sum((_d(line.get("discount")) for line in lines), ZERO) != discount:
            return "the lines' discounts do not add up to the discount"
        money = sum((_d(line.get("redeemed_money")) for line in lines), ZERO)
        if paid != total - discount - money:
            return "paid is not the total less the discount and the points redeemed"
        base = sum((_d(line.get("accrual_base")) for line in lines), ZERO)
    else:
        base = total - discount
    if discount > total or paid > total:
        return "the discount or the amount paid exceeds the total"
    if base > total - discount:
        return "the accrual base exceeds what was paid for"
    bonuses = program.bonus_programs
    cap = max((b.max_redeem_percent for b in bonuses), default=ZERO)
    if redeemed * program.bonus_value > (total - discount) * cap / HUNDRED + CENT:
        return "more points redeemed than the program's cap allows"
    most = ZERO
    for b in bonuses:
        if isinstance(b.accrual, PercentAccrual):
            rate = max(t.percent for t in b.accrual.tiers)
            most = max(most, base * rate / HUNDRED)
        else:
            steps = (base / b.accrual.step).to_integral_value(rounding=ROUND_FLOOR)
            most = max(most, steps * b.accrual.points)
    if accrued > most:
        return "more points accrued than the program's highest rate gives"
    return None


def _return(p: Mapping[str, Any], sale: Mapping[str, Any]) -> str | None:
    if _d(p.get("points_taken")) > _d(sale.get("accrued")):
        return "more points taken back than the receipt accrued"
    if _d(p.get("points_returned")) > _d(sale.get("redeemed")):
        return "more points given back than the receipt redeemed"
    if _d(p.get("refunded")) > _d(sale.get("paid")):
        return "more money refunded than the receipt was paid"
    if _d(p.get("basis_decrease")) > _d(sale.get("total")) - _d(sale.get("discount")):
        return "the tier basis reduced by more than the receipt"
    return None
