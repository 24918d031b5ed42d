"""The pure engine on its own: spreading, spending order, debt, return shares."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cashier_app.engine.calendar import add_days, birthday_in_year
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.lots import Account, Lot, LotKind, MovementKind, credit, debit, expire
from cashier_app.engine.money import ceil_points, floor_points, round_money
from cashier_app.engine.receipt import spread
from cashier_app.engine.returns import (
    ReturnRequest,
    SoldLine,
    SoldReceipt,
    Spend,
    quote_return,
    refund_lots,
)

MSK = ZoneInfo("Europe/Moscow")
KYIV = ZoneInfo("Europe/Kyiv")
T0 = datetime(2026, 1, 10, 10, 0, tzinfo=MSK)
D = Decimal


def lot(lot_id: str, points: str, days_to_expiry: int | None, credited: int = 0) -> Lot:
    at = T0 + timedelta(minutes=credited)
    exp = at + timedelta(days=days_to_expiry) if days_to_expiry is not None else None
    return Lot(lot_id, LotKind.ACCRUAL, D(points), D(points), at, at, exp, settled=True)


def test_spread_adds_up_exactly_and_gives_remainders_to_the_largest_fractions():
    assert spread(100, [1, 1, 1]) == [34, 33, 33]
    assert spread(43000, [300000, 200000]) == [25800, 17200]
    assert sum(spread(9999, [7, 13, 29, 1])) == 9999
    assert spread(0, [1, 2]) == [0, 0]
    assert spread(5, [0, 0]) == [0, 0]


def test_money_half_up_and_points_floor_and_ceil():
    assert round_money(D("10.005")) == D("10.01")
    assert round_money(D("10.004")) == D("10.00")
    assert floor_points(D("78.5"), "unit") == D("78")
    assert ceil_points(D("7.5"), "unit") == D("8")
    assert ceil_points(D("7"), "unit") == D("7")
    assert floor_points(D("29.9997"), "cent") == D("29.99")


def test_spending_takes_soonest_expiring_first_then_oldest_then_never_expiring():
    acc = Account(
        (
            lot("never", "10", None),
            lot("late", "10", 60),
            lot("soon", "10", 5),
            lot("soon2", "10", 5, credited=1),
        )
    )
    acc, moves = debit(acc, D("25"), T0 + timedelta(hours=1))
    assert [(m.lot, m.points) for m in moves] == [
        ("soon", D("10")),
        ("soon2", D("10")),
        ("late", D("5")),
    ]
    assert acc.balance(T0 + timedelta(hours=1)) == D("15")


def test_a_debit_beyond_the_balance_is_refused_unless_debt_is_allowed():
    acc = Account((lot("a", "10", 30),))
    with pytest.raises(LoyaltyError):
        debit(acc, D("11"), T0)
    acc, moves = debit(acc, D("15"), T0, kind=MovementKind.TAKE_BACK, allow_debt=True)
    assert acc.debt == D("5") and acc.balance(T0) == D("-5")
    assert moves[-1].kind is MovementKind.DEBT


def test_a_new_credit_pays_the_debt_first():
    acc = Account((), debt=D("40"))
    acc, moves = credit(acc, lot("new", "100", 30), T0)
    assert acc.debt == 0 and acc.balance(T0) == D("60")
    assert [m.kind for m in moves] == [MovementKind.CREDIT, MovementKind.REPAY]


def test_expiry_writes_off_what_is_left():
    acc = Account((lot("a", "10", 30),))
    acc, moves = expire(acc, "a", T0 + timedelta(days=30))
    assert acc.balance(T0) == 0 and moves[0].points == D("10")


def test_days_are_wall_clock_days_across_a_dst_change():
    start = datetime(2026, 3, 20, 10, 0, tzinfo=KYIV)  # Kyiv moves clocks on 29 March
    later = add_days(start, 30, KYIV)
    assert later.hour == 10 and later.day == 19 and later.month == 4


def test_29_february_is_celebrated_on_the_28th_in_common_years():
    from datetime import date

    assert birthday_in_year(date(1992, 2, 29), 2027) == date(2027, 2, 28)
    assert birthday_in_year(date(1992, 2, 29), 2028) == date(2028, 2, 29)


def test_return_shares_are_cumulative():
    sold = SoldReceipt(
        (SoldLine("cup", D("3"), D("999.99"), D("0"), D("0"), D("999.99")),),
        accrued=D("29"),
        redeemed=D("0"),
    )
    first = quote_return(sold, [ReturnRequest("cup", D("1"))], "unit")
    assert (first.points_taken_back, first.refunded) == (D("10"), D("333.33"))
    sold2 = SoldReceipt(
        (SoldLine("cup", D("3"), D("999.99"), D("0"), D("0"), D("999.99"), returned_qty=D("1")),),
        accrued=D("29"), redeemed=D("0"), points_taken_back=D("10"),
    )  # fmt: skip
    second = quote_return(sold2, [ReturnRequest("cup", D("2"))], "unit")
    assert (second.points_taken_back, second.refunded) == (D("19"), D("666.66"))


def test_refund_lots_mirror_the_spends_latest_expiring_first():
    spends = [
        Spend("soon", D("30"), T0 + timedelta(days=5)),
        Spend("late", D("20"), T0 + timedelta(days=50)),
    ]
    lots = refund_lots(spends, D("25"), T0, "refund:x")
    assert [(x.origin_lot, x.points, x.expires_at) for x in lots] == [
        ("late", D("20"), T0 + timedelta(days=50)),
        ("soon", D("5"), T0 + timedelta(days=5)),
    ]


def test_points_to_redeem_may_come_as_text_but_must_be_a_number_or_max():
    from cashier_app.engine.program import parse_program
    from cashier_app.engine.receipt import LineInput, Shopper, quote_receipt
    from tests.shop import samosale_program

    program = parse_program(samosale_program())
    shopper = Shopper(program.default_group, D("0"), D("0"), D("500"))
    lines = [LineInput("a", D("1000.00"), D("1"))]
    assert quote_receipt(program, lines, shopper, "120").redeemed == D("120")  # type: ignore[arg-type]
    assert quote_receipt(program, lines, shopper, "max").redeemed == D("300")
    with pytest.raises(LoyaltyError) as err:
        quote_receipt(program, lines, shopper, "lots")  # type: ignore[arg-type]
    assert err.value.code == "invalid_redeem"
