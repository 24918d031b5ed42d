"""Computing a receipt: discount, redemption cap and spreading, accrual (docs/program.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import (
    HUNDRED,
    ZERO,
    floor_points,
    format_points,
    from_cents,
    is_on_step,
    parse_amount,
    round_money,
    to_cents,
)
from cashier_app.engine.program import (
    BonusProgram,
    CategoryFilter,
    DiscountProgram,
    Group,
    PercentAccrual,
    Program,
)
from cashier_app.engine.tiers import tier_for

RedeemRequest = Decimal | Literal["max"]


@dataclass(frozen=True, slots=True)
class LineInput:
    sku: str
    price: Decimal
    qty: Decimal
    category: str | None = None
    brand: str | None = None
    no_loyalty: bool = False
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Shopper:
    """What the receipt needs to know about the identified customer at this moment."""

    group: Group
    bonus_basis: Decimal  # tier basis for the bonus tiers (windowed if the program says so)
    discount_basis: Decimal  # all purchases, for cumulative discount tiers
    available_points: Decimal  # spendable now, after any debt (may be zero or negative)
    redeem_limit: Decimal | None = None  # an extra ceiling, e.g. the offline limit


@dataclass(frozen=True, slots=True)
class QuotedLine:
    sku: str
    category: str | None
    brand: str | None
    name: str | None
    price: Decimal
    qty: Decimal
    no_loyalty: bool
    amount: Decimal
    discount: Decimal
    redeemed_money: Decimal
    accrual_base: Decimal
    discount_eligible: bool
    bonus_eligible: bool

    @property
    def after_discount(self) -> Decimal:
        return self.amount - self.discount


@dataclass(frozen=True, slots=True)
class ReceiptQuote:
    lines: tuple[QuotedLine, ...]
    total: Decimal
    discount: Decimal
    discount_percent: Decimal
    redeemed: Decimal  # points
    redeemed_money: Decimal
    max_redeem: Decimal  # points
    paid: Decimal
    accrual_base: Decimal
    accrual_percent: Decimal | None
    accrued: Decimal  # points
    tier: str | None  # the bonus tier the receipt was computed at (before this receipt)

    @property
    def after_discount(self) -> Decimal:
        """What the tier basis grows by: money plus bonuses, all lines (step 7)."""
        return self.total - self.discount


def _eligible(
    line: LineInput, categories: CategoryFilter | None, brands: CategoryFilter | None
) -> bool:
    if line.no_loyalty:
        return False  # by law or by choice: never discounted, never paid with bonuses
    if categories is not None and not categories.allows(line.category):
        return False
    return brands is None or brands.allows(line.brand)


def discount_percent_for(program: DiscountProgram | None, basis: Decimal) -> Decimal:
    if program is None:
        return ZERO
    if program.kind == "fixed":
        return program.percent or ZERO
    tier = tier_for(program.tiers or (), basis)
    return tier.percent if tier is not None else ZERO


def bonus_percent_for(
    program: BonusProgram | None, basis: Decimal
) -> tuple[Decimal | None, str | None]:
    if program is None or not isinstance(program.accrual, PercentAccrual):
        return None, None
    tier = tier_for(program.accrual.tiers, basis)
    if tier is None:
        return ZERO, None
    return tier.percent, tier.title


def spread(total_cents: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_cents`` over ``weights`` proportionally; largest remainder, so the parts
    add up exactly (ties go to the earlier line)."""
    whole = sum(weights)
    if whole <= 0 or total_cents == 0:
        return [0] * len(weights)
    parts = [total_cents * w // whole for w in weights]
    remainders = [total_cents * w % whole for w in weights]
    left = total_cents - sum(parts)
    for i in sorted(range(len(weights)), key=lambda k: (-remainders[k], k))[:left]:
        parts[i] += 1
    return parts


def quote_receipt(
    program: Program,
    lines: Sequence[LineInput],
    shopper: Shopper | None,
    redeem: RedeemRequest = ZERO,
) -> ReceiptQuote:
    """The receipt as the customer will be told it; raises LoyaltyError on a bad request."""
    if not lines:
        raise LoyaltyError("empty_receipt", "a receipt needs at least one line")
    rounding = program.points_rounding
    group = shopper.group if shopper else None
    bonus = program.bonus_program_of(group) if group else None
    disc = program.discount_program_of(group) if group else None

    amounts = [round_money(line.price * line.qty) for line in lines]
    total = sum(amounts, ZERO)

    # Step 3: discount percent per eligible line, half-up per line.
    d_percent = discount_percent_for(disc, shopper.discount_basis) if shopper else ZERO
    d_ok = [disc is not None and _eligible(line, disc.categories, disc.brands) for line in lines]
    discounts = [
        round_money(a * d_percent / HUNDRED) if ok and d_percent else ZERO
        for a, ok in zip(amounts, d_ok, strict=True)
    ]
    discount = sum(discounts, ZERO)

    # Step 4: the redemption cap on bonus-eligible lines after discounts.
    b_ok = [bonus is not None and _eligible(line, bonus.categories, bonus.brands) for line in lines]
    eligible_cents = [
        to_cents(a - d) if ok else 0 for a, d, ok in zip(amounts, discounts, b_ok, strict=True)
    ]
    eligible_total = from_cents(sum(eligible_cents))
    max_redeem = ZERO
    if bonus is not None and shopper is not None and shopper.available_points > ZERO:
        cap = floor_points(
            eligible_total * bonus.max_redeem_percent / HUNDRED / program.bonus_value, rounding
        )
        max_redeem = min(cap, floor_points(shopper.available_points, rounding))
        if shopper.redeem_limit is not None:
            max_redeem = min(max_redeem, max(ZERO, floor_points(shopper.redeem_limit, rounding)))

    if isinstance(redeem, str) and redeem != "max":
        try:  # a number of points written as text, as the UI and the CLI pass it
            redeem = parse_amount(redeem)
        except ValueError:
            raise LoyaltyError(
                "invalid_redeem", f"{redeem!r} is neither a number of points nor 'max'"
            ) from None
    if isinstance(redeem, str):
        redeemed = max_redeem
    else:
        if redeem < ZERO or not is_on_step(redeem, rounding):
            raise LoyaltyError(
                "invalid_redeem",
                f"points to redeem must be a non-negative multiple of the points step: {redeem}",
            )
        if redeem > max_redeem:
            raise LoyaltyError(
                "redeem_above_max",
                f"at most {format_points(max_redeem, rounding)} points can be redeemed "
                f"on this receipt, not {format_points(redeem, rounding)}",
                max_redeem=max_redeem,
            )
        redeemed = redeem
    redeemed_money = round_money(redeemed * program.bonus_value)
    # Proportional spreading is what a later partial return gives back.
    redeemed_parts = spread(to_cents(redeemed_money), eligible_cents)

    bases = [c - r for c, r in zip(eligible_cents, redeemed_parts, strict=True)]
    accrual_base = from_cents(sum(bases))
    accrual_percent, tier_name = bonus_percent_for(bonus, shopper.bonus_basis if shopper else ZERO)
    accrued = ZERO
    if bonus is not None and not (redeemed > ZERO and not bonus.accrue_when_redeeming):
        if isinstance(bonus.accrual, PercentAccrual):
            accrued = floor_points(accrual_base * (accrual_percent or ZERO) / HUNDRED, rounding)
        else:
            steps = (accrual_base / bonus.accrual.step).to_integral_value(rounding=ROUND_FLOOR)
            accrued = floor_points(steps * bonus.accrual.points, rounding)

    quoted = tuple(
        QuotedLine(
            sku=line.sku,
            category=line.category,
            brand=line.brand,
            name=line.name,
            price=line.price,
            qty=line.qty,
            no_loyalty=line.no_loyalty,
            amount=amounts[i],
            discount=discounts[i],
            redeemed_money=from_cents(redeemed_parts[i]),
            accrual_base=from_cents(bases[i]) if b_ok[i] else ZERO,
            discount_eligible=d_ok[i],
            bonus_eligible=b_ok[i],
        )
        for i, line in enumerate(lines)
    )
    return ReceiptQuote(
        lines=quoted,
        total=total,
        discount=discount,
        discount_percent=d_percent,
        redeemed=redeemed,
        redeemed_money=redeemed_money,
        max_redeem=max_redeem,
        paid=total - discount - redeemed_money,
        accrual_base=accrual_base,
        accrual_percent=accrual_percent,
        accrued=accrued,
        tier=tier_name,
    )
