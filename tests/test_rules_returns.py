"""Returns and manual adjustments."""

from __future__ import annotations

from tests.shop import adjust, advance, expect, line, register, ret, sale, samosale_program

REG = register("2026-01-10T10:00:00", "anna", "+79001234567")


def test_two_partial_returns_end_exactly_where_a_whole_return_would(simulate):
    run = simulate(samosale_program(), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("cup", "333.33", qty="3")),  # 29 points
        ret("2026-01-11T10:00:00", "r1", {"sku": "cup", "qty": "1"}),
        ret("2026-01-12T10:00:00", "r1", {"sku": "cup", "qty": "2"}),
        expect("2026-01-12T10:00:00", customer="anna", balance="0", tier_basis="0.00"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    first, second = run.step(2), run.step(3)
    assert (first["refunded"], first["points_taken"]) == ("333.33", "10")  # 29/3 = 9.67, up
    assert (second["refunded"], second["points_taken"]) == ("666.66", "19")


def test_returning_more_than_was_sold_is_refused(simulate):
    run = simulate(samosale_program(), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("cup", "100.00", qty="2")),
        ret("2026-01-11T10:00:00", "r1", {"sku": "cup", "qty": "3"}, expect_error="return_exceeds_sale"),
        ret("2026-01-11T10:00:00", "r1", {"sku": "cup", "qty": "2"}),
        ret("2026-01-11T10:01:00", "r1", {"sku": "cup", "qty": "0.001"}, expect_error="return_exceeds_sale"),
        ret("2026-01-11T10:01:00", "nope", {"sku": "cup", "qty": "1"}, expect_error="unknown_receipt"),
        ret("2026-01-11T10:01:00", "r1", {"sku": "spoon", "qty": "1"}, expect_error="unknown_line"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_redeemed_points_come_back_with_their_original_expiry(simulate):
    program = samosale_program(welcome={"points": "100", "expiry_days": 30})
    run = simulate(program, [
        REG,  # welcome lot expires 2026-02-09 10:00
        sale("2026-01-20T10:00:00", "anna", "r1", line("a", "200.00"), line("b", "200.00"), redeem="100"),
        ret("2026-01-21T10:00:00", "r1", {"sku": "a", "qty": "1"}),
        expect("2026-01-21T10:00:00", customer="anna", balance="54"),
        expect("2026-02-09T10:00:00", customer="anna", balance="4"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    r = run.step(2)
    # 50 redeemed on line a come back; a's share of r1's 9 accrued points is 4.5 -> 5
    assert (r["refunded"], r["points_returned"], r["points_taken"]) == ("150.00", "50", "5")


def test_points_given_back_after_their_expiry_expire_at_once(simulate):
    program = samosale_program(welcome={"points": "100", "expiry_days": 30})
    run = simulate(program, [
        REG,
        sale("2026-01-20T10:00:00", "anna", "r1", line("a", "400.00"), redeem="100"),
        ret("2026-02-15T10:00:00", "r1", {"sku": "a", "qty": "1"}),
        expect("2026-02-15T10:00:00", customer="anna", balance="0"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.step(2)["points_returned"] == "100"
    assert [(a["kind"], a["points"]) for a in run.autos()] == [("expiry", "100")]


def test_a_return_of_spent_points_goes_negative_and_later_accruals_pay_it_off(simulate):
    run = simulate(samosale_program(), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("tv", "10000.00")),  # 300 points
        sale("2026-01-11T10:05:00", "anna", "r2", line("case", "1000.00"), redeem="300"),  # +35
        ret("2026-01-12T10:00:00", "r1", {"sku": "tv", "qty": "1"}),
        expect("2026-01-12T10:00:00", customer="anna", balance="-265", tier_basis="1000.00"),
        sale("2026-01-13T10:05:00", "anna", "r3", line("a", "1000.00"), redeem="max",
             expect_error=None),
        expect("2026-01-13T10:05:00", receipt="r3", redeemed="0", accrued="30"),
        expect("2026-01-13T10:05:00", customer="anna", balance="-235"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.step(3)["points_taken"] == "300"


def test_returning_the_whole_receipt_restores_balance_and_tier_basis(simulate):
    run = simulate(samosale_program(welcome={"points": "500"}), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "700.00"), line("b", "300.00", qty="2"),
             redeem="max"),
        ret("2026-01-10T11:00:00", "r1", {"sku": "a", "qty": "1"}, {"sku": "b", "qty": "2"}),
        expect("2026-01-10T11:00:00", customer="anna", balance="500", tier_basis="0.00"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.step(2)["refunded"] == run.step(1)["paid"]


def test_return_by_line_number(simulate):
    run = simulate(samosale_program(), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "100.00"), line("a", "300.00")),
        ret("2026-01-10T11:00:00", "r1", {"line": 2, "qty": "1"}),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.step(2)["refunded"] == "300.00"


def test_manager_adjustments_plus_expires_minus_spends(simulate):
    run = simulate(samosale_program(expiry_days=10), [
        REG,
        adjust("2026-01-10T11:00:00", "anna", "100", "compensation for a late order"),
        adjust("2026-01-10T11:01:00", "anna", "-30", "typo"),
        adjust("2026-01-10T11:02:00", "anna", "-71", expect_error="insufficient_points"),
        adjust("2026-01-10T11:03:00", "anna", "5", reason="  ", expect_error="reason_required"),
        adjust("2026-01-10T11:04:00", "anna", "0", expect_error="invalid_points"),
        expect("2026-01-10T11:05:00", customer="anna", balance="70"),
        advance("2026-01-20T11:00:00"),
        expect("2026-01-20T11:00:00", customer="anna", balance="0"),
    ])  # fmt: skip
    assert run.code == 0, run.err
