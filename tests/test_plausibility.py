"""The plausibility rules never hold a receipt the engine itself computed: whatever the
lines, group, tier, discount, points rounding, bonus value and redemption. And they do
hold one changed past the program's bounds."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.plausibility import implausible
from cashier_app.engine.program import Program, parse_program
from cashier_app.engine.receipt import LineInput, Shopper, quote_receipt
from tests.shop import samosale_program


def _programs() -> list[Program]:
    percent = samosale_program()
    cents = samosale_program() | {"points_rounding": "cent", "bonus_value": "0.5"}
    steps = samosale_program(accrual={"kind": "per_step", "step": "100", "points": "7"})
    return [parse_program(p) for p in (percent, cents, steps)]


PROGRAMS = _programs()


def _payload(quote: Any) -> dict[str, Any]:
    def text(value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    return {
        "lines": [
            {k: text(v) for k, v in dataclasses.asdict(line).items()} for line in quote.lines
        ],
        "total": str(quote.total),
        "discount": str(quote.discount),
        "redeemed": str(quote.redeemed),
        "paid": str(quote.paid),
        "accrued": str(quote.accrued),
    }


lines = st.lists(
    st.builds(
        LineInput,
        sku=st.just("x"),
        price=st.decimals("0.01", "99999.99", places=2),
        qty=st.decimals("0.001", "50", places=3),
        category=st.sampled_from(["clothes", "shoes", "tobacco", "goods", None]),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(
    program=st.sampled_from(PROGRAMS),
    items=lines,
    group=st.sampled_from(["regular", "staff", "vip", "sms"]),
    basis=st.decimals("0", "100000", places=2),
    points=st.decimals("0", "100000", places=0),
    redeem=st.sampled_from(["max", Decimal(0)]),
)
def test_what_the_engine_computes_is_plausible(program, items, group, basis, points, redeem):
    shopper = Shopper(program.group(group), basis, basis, points)  # type: ignore[arg-type]
    try:
        quote = quote_receipt(program, items, shopper, redeem)
    except LoyaltyError:
        return
    payload = _payload(quote)
    assert implausible("sale", payload, program) is None, payload
    assert implausible("sale", {**payload, "lines": []}, program) is None, payload


def test_a_receipt_changed_past_the_bounds_is_held():
    program = PROGRAMS[0]
    shopper = Shopper(program.group("regular"), Decimal(0), Decimal(0), Decimal(5000))  # type: ignore[arg-type]
    quote = quote_receipt(program, [LineInput("tv", Decimal("10000"), Decimal(1))], shopper, "max")
    payload = _payload(quote)
    assert implausible("sale", payload, program) is None
    assert implausible("sale", payload | {"accrued": "701"}, program)  # 7% of 10000 at most
    assert implausible("sale", payload | {"redeemed": "3001"}, program)  # 30% cap
    assert implausible("sale", payload | {"total": "10000.01"}, program)
    assert implausible("sale", payload | {"paid": "9999"}, program)
    sale = payload
    ret = {"points_taken": quote.accrued, "points_returned": quote.redeemed, "refunded": "1"}
    assert implausible("return", ret, program, sale) is None
    assert implausible("return", ret | {"points_taken": quote.accrued + 1}, program, sale)
    assert implausible("return", ret | {"points_returned": quote.redeemed + 1}, program, sale)
    assert implausible("return", ret | {"refunded": "100000"}, program, sale)
    assert implausible("return", ret | {"points_taken": "1000000"}, program, None) is None


def test_an_accrual_lot_lives_as_the_program_says():
    """Samosale's points are spendable at once and expire after 60 days."""
    from datetime import UTC, datetime, timedelta

    program = PROGRAMS[0]
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    shopper = Shopper(program.group("regular"), Decimal(0), Decimal(0), Decimal(0))  # type: ignore[arg-type]
    quote = quote_receipt(program, [LineInput("tv", Decimal("1000"), Decimal(1))], shopper, 0)

    def sale(available: datetime, expires: datetime | None) -> dict[str, Any]:
        lot = {"id": "accrual:r", "available_at": available.isoformat()}
        lot["expires_at"] = expires.isoformat() if expires else None
        return _payload(quote) | {"accrual_lot": lot, "tier": quote.tier}

    honest = sale(at, at + timedelta(days=60))
    assert implausible("sale", honest, program, at=at) is None
    assert implausible("sale", sale(at, datetime(2100, 1, 1, tzinfo=UTC)), program, at=at)
    assert implausible("sale", sale(at, None), program, at=at)
    assert implausible(
        "sale", sale(at + timedelta(days=30), at + timedelta(days=90)), program, at=at
    )
    assert implausible("sale", honest | {"tier": "Platinum"}, program, at=at)
    # points said to be accrued, and no lot to hold them: a till always writes the lot
    assert implausible("sale", honest | {"accrual_lot": None, "customer_id": "c"}, program)


def test_a_manual_adjustment_worth_a_fortune_is_held():
    program = PROGRAMS[0]
    assert implausible("adjustment", {"points": "640"}, program) is None
    assert implausible("adjustment", {"points": "-640"}, program) is None
    assert implausible("adjustment", {"points": "99999999.99"}, program)
    assert implausible("adjustment", {"points": "-99999999.99"}, program)
