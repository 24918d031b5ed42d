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
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from cashier_app.engine.events import EventKind
from cashier_app.engine.money import CENT, HUNDRED, ZERO, round_money
from cashier_app.engine.program import PercentAccrual, Program
from cashier_app.engine.returns import points_of_return_event


def _d(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


# A manual adjustment worth more than this (in money) is held for an administrator: a
# till's manager moves a balance from an old card, not a fortune; a token in the wrong
# hands would otherwise hand out or wipe out any number of points.
ADJUSTMENT_REVIEW_MONEY = Decimal("100000")


def implausible(
    kind: str,
    payload: Mapping[str, Any],
    program: Program,
    sale: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> str | None:
    """Why the event could not have come from the program, or None. ``sale``: for a
    return, the payload of the sale it returns (None when the server does not have it);
    ``at``: the event's moment, against which a sale's accrual lot is dated."""
    if kind == EventKind.SALE:
        return _sale(payload, program) or (_accrual_lot(payload, program, at) if at else None)
    if kind == EventKind.RETURN and sale is not None:
        return _return(payload, sale)
    if kind == EventKind.ADJUSTMENT:
        worth = abs(_d(payload.get("points"))) * program.bonus_value
        if worth > ADJUSTMENT_REVIEW_MONEY:
            return f"an adjustment worth more than {ADJUSTMENT_REVIEW_MONEY} in money"
    if kind == EventKind.CUSTOMER_GROUP_CHANGED and program.group(str(payload["group"])) is None:
        # A till moves customers only to a group of its program: tills could not store a
        # customer of a group they do not know.
        return f"the program has no group {str(payload['group'])[:64]!r}"
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
    if accrued > ZERO and not p.get("accrual_lot") and p.get("customer_id"):
        return "points accrued without the lot that holds them"
    tier = p.get("tier")
    tiers = {t.title for b in bonuses for t in b.tiers}  # the name a receipt shows
    if tier is not None and tier not in tiers:
        return "a tier the program does not have"
    return None


# A calendar day of slack: the till counts days in the store's time zone (a daylight
# saving change makes a "day" 23 or 25 hours).
_SLACK = timedelta(days=1)


def _accrual_lot(p: Mapping[str, Any], program: Program, at: datetime) -> str | None:
    """The accrual lot becomes spendable and expires as the program's bonus programs
    allow: not later than the longest delay, not living longer than the longest expiry
    (never expiring only if a program's points never do)."""
    lot = p.get("accrual_lot")
    bonuses = program.bonus_programs
    if not lot or not bonuses:
        return None
    available = datetime.fromisoformat(lot["available_at"])
    delay = max(b.accrual_delay_days for b in bonuses)
    if available - at > timedelta(days=delay) + _SLACK:
        return "the points become spendable later than the program's delay"
    expiries = [b.expiry_days for b in bonuses]
    expires = lot.get("expires_at")
    if None in expiries:
        return None
    longest = max(e for e in expiries if e is not None)
    if expires is None:
        return "the points never expire, but the program's points do"
    if datetime.fromisoformat(expires) - available > timedelta(days=longest) + _SLACK:
        return "the points live longer than the program's expiry"
    return None


def _return(p: Mapping[str, Any], sale: Mapping[str, Any]) -> str | None:
    taken_back, given_back = points_of_return_event(p)
    if taken_back > _d(sale.get("accrued")):
        return "more points taken back than the receipt accrued"
    if given_back > _d(sale.get("redeemed")):
        return "more points given back than the receipt redeemed"
    if _d(p.get("refunded")) > _d(sale.get("paid")):
        return "more money refunded than the receipt was paid"
    if _d(p.get("basis_decrease")) > _d(sale.get("total")) - _d(sale.get("discount")):
        return "the tier basis reduced by more than the receipt"
    return None
