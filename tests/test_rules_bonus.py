"""Bonus rules as the shop sees them: tiers, steps, caps, redemption, rounding."""

from __future__ import annotations

from tests.shop import adjust, expect, line, register, sale, samosale_program

REG = register("2026-01-10T10:00:00", "anna", "+79001234567")


def test_samosale_silver_tier_starts_after_10000_and_the_crossing_receipt_earns_3_percent(simulate):
    run = simulate(samosale_program(), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("tv", "9000.00")),
        sale("2026-01-11T10:05:00", "anna", "r2", line("tv", "2000.00")),  # crosses 10000
        sale("2026-01-12T10:05:00", "anna", "r3", line("tv", "1000.00")),
        expect("2026-01-12T10:05:00", receipt="r2", accrued="60"),
        expect("2026-01-12T10:05:00", receipt="r3", accrued="50"),
        expect("2026-01-12T10:05:00", customer="anna", tier="Silver", tier_basis="12000.00"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_saby_100_points_per_full_300(simulate):
    program = samosale_program(accrual={"kind": "per_step", "step": "300", "points": "100"})
    run = simulate(program, [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "299.99")),
        sale("2026-01-10T10:06:00", "anna", "r2", line("a", "900.00")),
        sale("2026-01-10T10:07:00", "anna", "r3", line("a", "1199.99")),
        expect("2026-01-10T10:07:00", receipt="r1", accrued="0"),
        expect("2026-01-10T10:07:00", receipt="r2", accrued="300"),
        expect("2026-01-10T10:07:00", receipt="r3", accrued="300"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_tobacco_excluded_from_bonus_base_and_from_the_cap(simulate):
    run = simulate(samosale_program(welcome={"points": "1000"}), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("latte", "500.00", category="coffee"),
             line("cigs", "500.00", category="tobacco"), redeem="max"),
        expect("2026-01-10T10:05:00", receipt="r1", total="1000.00", redeemed="150",
               paid="850.00", accrued="10"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_no_loyalty_item_takes_no_bonus_even_when_its_category_is_allowed(simulate):
    run = simulate(samosale_program(), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00"),
             line("b", "1000.00", no_loyalty=True)),
        expect("2026-01-10T10:05:00", receipt="r1", accrued="30"),
        expect("2026-01-10T10:05:00", customer="anna", tier_basis="2000.00"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_categories_only_limits_the_bonus(simulate):
    run = simulate(samosale_program(categories={"only": ["flowers"]}), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("roses", "1000.00", category="flowers"),
             line("vase", "1000.00", category="decor"), line("x", "5.00", category=None)),
        expect("2026-01-10T10:05:00", receipt="r1", accrued="30"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_brand_exclusion(simulate):
    run = simulate(samosale_program(brands={"exclude": ["royal-canin"]}), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("feed", "1000.00", brand="royal-canin"),
             line("toy", "1000.00", brand="kong")),
        expect("2026-01-10T10:05:00", receipt="r1", accrued="30"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_redeem_above_cap_is_refused_not_trimmed_and_nothing_is_written(simulate):
    run = simulate(samosale_program(welcome={"points": "500"}), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00"), redeem="301",
             expect_error="redeem_above_max"),
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00"), redeem="300"),
        expect("2026-01-10T10:05:00", receipt="r1", redeemed="300", paid="700.00", accrued="21"),
        expect("2026-01-10T10:05:00", customer="anna", balance="221"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.step(1)["error"] == "redeem_above_max"


def test_max_with_an_empty_balance_redeems_nothing(simulate):
    run = simulate(samosale_program(), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00"), redeem="max"),
        expect("2026-01-10T10:05:00", receipt="r1", redeemed="0", paid="1000.00", accrued="30"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_redeeming_a_fraction_of_a_point_is_refused_with_unit_rounding(simulate):
    run = simulate(samosale_program(welcome={"points": "500"}), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00"), redeem="10.50",
             expect_error="invalid_redeem"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_no_accrual_when_redeeming_if_the_program_says_so(simulate):
    program = samosale_program(welcome={"points": "100"}, accrue_when_redeeming=False)
    run = simulate(program, [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00"), redeem="50"),
        sale("2026-01-10T10:06:00", "anna", "r2", line("a", "1000.00")),
        expect("2026-01-10T10:06:00", receipt="r1", redeemed="50", accrued="0"),
        expect("2026-01-10T10:06:00", receipt="r2", accrued="30"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_cent_rounding_keeps_hundredths_of_a_point(simulate):
    program = samosale_program()
    program["points_rounding"] = "cent"
    run = simulate(program, [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "999.99")),
        expect("2026-01-10T10:05:00", receipt="r1", accrued="29.99"),
        expect("2026-01-10T10:05:00", customer="anna", balance="29.99"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.step(1)["accrued"] == "29.99"


def test_a_point_worth_two_roubles_pays_twice_its_number(simulate):
    program = samosale_program(welcome={"points": "100"})
    program["bonus_value"] = "2"
    run = simulate(program, [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "500.00"), redeem="max"),
        expect("2026-01-10T10:05:00", receipt="r1", redeemed="75", paid="350.00", accrued="10"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_anonymous_receipt_gets_nothing_but_counts(simulate):
    run = simulate(samosale_program(), [
        sale("2026-01-10T10:05:00", None, "r1", line("a", "1000.00")),
        sale("2026-01-10T10:06:00", None, "r2", line("a", "1000.00"), redeem="1",
             expect_error="redeem_above_max"),
        expect("2026-01-10T10:06:00", receipt="r1", total="1000.00", discount="0.00",
               paid="1000.00", accrued="0"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_messages_only_group_collects_nothing(simulate):
    run = simulate(samosale_program(welcome={"points": "200"}), [
        register("2026-01-10T10:00:00", "ivan", "+79001234568", group="sms"),
        sale("2026-01-10T10:05:00", "ivan", "r1", line("a", "1000.00")),
        adjust("2026-01-10T10:06:00", "ivan", "10", expect_error="no_bonus_program"),
        expect("2026-01-10T10:06:00", receipt="r1", discount="0.00", accrued="0"),
        expect("2026-01-10T10:06:00", customer="ivan", balance="0", messages=["welcome"]),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_tier_window_counts_only_the_last_n_days(simulate):
    run = simulate(samosale_program(tier_window_days=30), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "10000.00")),
        expect("2026-01-11T10:00:00", customer="anna", tier="Silver", tier_basis="10000.00"),
        sale("2026-02-20T10:05:00", "anna", "r2", line("a", "1000.00")),  # r1 is out of the window
        expect("2026-02-20T10:05:00", receipt="r2", accrued="30"),
        expect("2026-02-20T10:05:00", customer="anna", tier="Start", tier_basis="1000.00"),
    ])  # fmt: skip
    assert run.code == 0, run.err
