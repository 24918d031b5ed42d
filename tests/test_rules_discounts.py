"""Discount programs: fixed, cumulative, category limits, and both kinds at once."""

from __future__ import annotations

from tests.shop import expect, line, register, sale, samosale_program


def test_staff_get_a_fixed_10_percent_and_no_points(simulate):
    run = simulate(samosale_program(), [
        register("2026-01-10T10:00:00", "boris", "+79001234567", group="staff"),
        sale("2026-01-10T10:05:00", "boris", "r1", line("a", "333.33"), line("b", "100.05")),
        expect("2026-01-10T10:05:00", receipt="r1", total="433.38", discount="43.34",
               paid="390.04", accrued="0"),
        expect("2026-01-10T10:05:00", customer="boris", discount_percent="10", balance="0"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    # half-up per line: 33.333 -> 33.33 and 10.005 -> 10.01


def test_no_loyalty_item_is_never_discounted(simulate):
    run = simulate(samosale_program(), [
        register("2026-01-10T10:00:00", "boris", "+79001234567", group="staff"),
        sale("2026-01-10T10:05:00", "boris", "r1", line("a", "100.00"),
             line("cigs", "200.00", category="tobacco", no_loyalty=True)),
        expect("2026-01-10T10:05:00", receipt="r1", discount="10.00"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_vip_cumulative_discount_on_clothes_only_then_bonus_on_the_rest(simulate):
    run = simulate(samosale_program(welcome={"points": "100"}), [
        register("2026-01-10T10:00:00", "vera", "+79001234567", group="vip"),
        sale("2026-01-10T10:05:00", "vera", "r1", line("dress", "600.00", category="clothes")),
        expect("2026-01-10T10:05:00", customer="vera", discount_percent="3"),
        sale("2026-01-11T10:05:00", "vera", "r2", line("dress", "1000.00", category="clothes"),
             line("perfume", "1000.00", category="beauty"), redeem="max"),
        # 3% on the dress only; cap 30% of 970+1000 = 591, balance 118 -> 118
        expect("2026-01-11T10:05:00", receipt="r2", discount="30.00", redeemed="118",
               paid="1852.00", accrued="55"),
        expect("2026-01-11T10:05:00", customer="vera", tier_basis="2570.00"),
    ])  # fmt: skip
    assert run.code == 0, run.err
