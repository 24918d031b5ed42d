"""Money, points and quantities as Decimal, with the program's rounding rules (docs/program.md)."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

from cashier_app.engine.errors import LoyaltyError

CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")

PointsRounding = Literal["unit", "cent"]

# ASCII digits only: \d would also take other scripts' digits ("١٥"), which Decimal reads.
_AMOUNT = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$")
_QUANTITY = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,3})?$")


def parse_amount(text: object, *, allow_negative: bool = False) -> Decimal:
    """A money or points amount written as a decimal string with at most 2 decimals."""
    if not isinstance(text, str) or not _AMOUNT.match(text.strip()):
        raise ValueError("expected a decimal string with at most 2 fractional digits")
    value = Decimal(text.strip())
    if value < 0 and not allow_negative:
        raise ValueError("must not be negative")
    return value


def parse_quantity(text: object) -> Decimal:
    """A quantity: positive, at most 3 fractional digits (weight goods)."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not _QUANTITY.match(text.strip()):
        raise ValueError("expected a positive decimal string with at most 3 fractional digits")
    value = Decimal(text.strip())
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def round_money(value: Decimal | Fraction) -> Decimal:
    """Half-up to 0.01, the default money rounding."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def points_step(rounding: PointsRounding) -> Decimal:
    return ONE if rounding == "unit" else CENT


def floor_points(value: Decimal | Fraction, rounding: PointsRounding) -> Decimal:
    """Accrued points are rounded down to the points step."""
    return _to_step(value, points_step(rounding), ROUND_FLOOR)


def ceil_points(value: Decimal | Fraction, rounding: PointsRounding) -> Decimal:
    """Points taken back on a return are rounded up to the points step."""
    return _to_step(value, points_step(rounding), ROUND_CEILING)


def _to_step(value: Decimal | Fraction, step: Decimal, mode: str) -> Decimal:
    # Work in whole steps with an exact Fraction so 1/3 shares never round the wrong way.
    exact = Fraction(value) / Fraction(step)
    whole = exact.numerator // exact.denominator
    if mode == ROUND_CEILING and whole != exact:
        whole += 1
    return (Decimal(whole) * step).quantize(step)


def is_on_step(value: Decimal, rounding: PointsRounding) -> bool:
    step = points_step(rounding)
    return (value / step) == (value / step).to_integral_value()


def format_money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def format_points(value: Decimal, rounding: PointsRounding) -> str:
    return str(value.quantize(points_step(rounding)))


def to_cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


# What a till takes at most: the ledger keeps hundredths and thousandths in SQLite's 64-bit
# integers, so every amount that reaches it is bounded where it enters (a price, a quantity,
# a line, a receipt, an adjustment), far below the overflow and far above any real shop.
MAX_PRICE = Decimal("99999999.99")
MAX_QUANTITY = Decimal("99999.999")
MAX_TOTAL = Decimal("9999999999.99")
MAX_LINES = 10_000


def check_sale_size(lines: list[tuple[Decimal, Decimal]]) -> None:
    """Refuse (``amount_too_large``) a receipt whose price, quantity or total is beyond
    what a till records; ``lines`` are (price, quantity) pairs."""
    if len(lines) > MAX_LINES:
        raise LoyaltyError("amount_too_large", f"a receipt has at most {MAX_LINES} lines")
    total = ZERO
    for price, qty in lines:
        if abs(price) > MAX_PRICE:
            raise LoyaltyError("amount_too_large", f"a price is at most {MAX_PRICE}")
        if qty > MAX_QUANTITY:
            raise LoyaltyError("amount_too_large", f"a quantity is at most {MAX_QUANTITY}")
        total += abs(price) * qty
        if total > MAX_TOTAL:
            raise LoyaltyError("amount_too_large", f"a receipt's total is at most {MAX_TOTAL}")


def check_points_size(points: Decimal) -> None:
    """An adjustment of points is bounded like a price."""
    if abs(points) > MAX_PRICE:
        raise LoyaltyError("amount_too_large", f"an adjustment is at most {MAX_PRICE} points")
