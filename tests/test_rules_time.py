"""Points over time: pending, expiry and spending order, welcome, birthday, win-back,
expiry warnings."""

from __future__ import annotations

from tests.shop import advance, expect, line, register, sale, samosale_program

REG = register("2026-01-10T10:00:00", "anna", "+79001234567")


def test_accrual_delay_keeps_points_pending_until_they_become_available(simulate):
    run = simulate(samosale_program(accrual_delay_days=14), [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00")),
        expect("2026-01-10T10:05:00", customer="anna", balance="0", pending="30"),
        sale("2026-01-11T10:05:00", "anna", "r2", line("a", "100.00"), redeem="1",
             expect_error="redeem_above_max"),
        expect("2026-01-24T10:04:59", customer="anna", balance="0", pending="30"),
        expect("2026-01-24T10:05:00", customer="anna", balance="30", pending="0"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert [(a["kind"], a["at"]) for a in run.autos()] == [("available", "2026-01-24T10:05:00")]


def test_points_spent_soonest_expiring_first(simulate):
    program = samosale_program(welcome={"points": "100", "expiry_days": 90}, expiry_days=30)
    run = simulate(program, [
        REG,  # welcome 100, expires 2026-04-10
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00")),  # 30, expires 02-09
        sale("2026-01-11T10:00:00", "anna", "r2", line("a", "100.00"), redeem="30"),
        # r2 spent r1's 30 (expiring first), so nothing expires on 02-09
        advance("2026-02-10T00:00:00"),
        expect("2026-02-10T00:00:00", customer="anna", balance="102"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert [a["kind"] for a in run.autos()] == []


def test_an_expect_exactly_at_expiry_sees_the_lot_expired(simulate):
    run = simulate(samosale_program(welcome={"points": "200", "expiry_days": 30}), [
        REG,
        expect("2026-02-09T09:59:59", customer="anna", balance="200"),
        expect("2026-02-09T10:00:00", customer="anna", balance="0"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_never_expiring_points_are_spent_last(simulate):
    program = samosale_program(welcome={"points": "100"}, expiry_days=None)
    run = simulate(program, [
        REG,
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "1000.00")),
        advance("2027-06-01T00:00:00"),
        expect("2027-06-01T00:00:00", customer="anna", balance="130"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_welcome_bonus_expires_after_its_own_days(simulate):
    run = simulate(samosale_program(welcome={"points": "200", "expiry_days": 7}), [
        REG,
        advance("2026-01-17T10:00:00"),
        expect("2026-01-17T10:00:00", customer="anna", balance="0", messages=["welcome"]),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.autos("expiry")[0]["points"] == "200"


def test_birthday_on_29_february_is_credited_for_the_28th_in_common_years(simulate):
    program = samosale_program(birthday={"points": "500", "days_before": 3, "expiry_days": 14})
    run = simulate(program, [
        register("2026-01-10T10:00:00", "leap", "+79001234567", birthday="1992-02-29"),
        advance("2028-03-01T00:00:00"),
        expect("2028-03-01T00:00:00", customer="leap", messages=["welcome", "birthday", "birthday", "birthday"]),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert [a["at"] for a in run.autos("birthday")] == [
        "2026-02-25T00:00:00",  # 28 Feb 2026 - 3 days
        "2027-02-25T00:00:00",
        "2028-02-26T00:00:00",  # 29 Feb 2028 - 3 days
    ]


def test_birthday_once_per_calendar_year_and_not_for_a_window_already_open(simulate):
    program = samosale_program(birthday={"points": "500", "days_before": 5, "expiry_days": 14})
    run = simulate(program, [
        register("2026-01-18T10:00:00", "anna", "+79001234567", birthday="1990-01-20"),
        advance("2026-12-31T00:00:00"),
        expect("2026-12-31T00:00:00", customer="anna", messages=["welcome"]),
        advance("2027-01-15T00:00:00"),
        expect("2027-01-15T00:00:00", customer="anna", balance="500", messages=["birthday"]),
        expect("2027-01-29T00:00:00", customer="anna", balance="0"),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_winback_first_reminder_then_second_with_fixed_points(simulate):
    program = samosale_program(winback={"first_after_days": 30, "second_after_days": 60,
                                        "second_points": "150", "second_expiry_days": 10})  # fmt: skip
    run = simulate(program, [
        REG,
        sale("2026-01-10T12:00:00", "anna", "r1", line("a", "100.00")),
        advance("2026-03-20T00:00:00"),
        expect("2026-03-20T00:00:00", customer="anna", balance="150",
               messages=["welcome", "winback_first", "winback_second"]),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert [(a["kind"], a["at"], a["points"]) for a in run.autos()] == [
        ("winback_first", "2026-02-09T12:00:00", "0"),
        ("winback_second", "2026-03-11T12:00:00", "150"),
        ("expiry", "2026-03-11T12:00:00", "3"),  # r1's points, 60 days after the sale
    ]


def test_winback_second_gives_10_percent_of_the_average_check(simulate):
    program = samosale_program(winback={"first_after_days": 45, "second_after_days": 75,
                                        "second_points_percent_of_avg_check": "10",
                                        "second_expiry_days": 10}, expiry_days=None)  # fmt: skip
    run = simulate(program, [
        REG,
        sale("2026-01-10T12:00:00", "anna", "r1", line("a", "1000.00")),
        sale("2026-01-11T12:00:00", "anna", "r2", line("a", "2999.00")),
        # average check (1000 + 2999) / 2 = 1999.50 -> 10% = 199.95 -> 199 points
        advance("2026-03-28T00:00:00"),
        expect("2026-03-28T00:00:00", customer="anna", balance="318"),
        advance("2026-04-07T12:00:00"),
        expect("2026-04-07T12:00:00", customer="anna", balance="119"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.autos("winback_second")[0]["points"] == "199"


def test_a_purchase_starts_a_new_quiet_period(simulate):
    program = samosale_program(winback={"first_after_days": 30})
    run = simulate(program, [
        REG,
        sale("2026-01-10T12:00:00", "anna", "r1", line("a", "100.00")),
        sale("2026-02-05T12:00:00", "anna", "r2", line("a", "100.00")),
        expect("2026-03-01T00:00:00", customer="anna", messages=["welcome"]),
        expect("2026-03-07T12:00:00", customer="anna", messages=["winback_first"]),
        sale("2026-03-08T12:00:00", "anna", "r3", line("a", "100.00")),
        expect("2026-04-07T12:00:00", customer="anna", messages=["winback_first"]),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_no_winback_for_a_customer_who_never_bought(simulate):
    run = simulate(samosale_program(winback={"first_after_days": 30}), [
        REG,
        expect("2026-06-01T00:00:00", customer="anna", messages=["welcome"]),
    ])  # fmt: skip
    assert run.code == 0, run.err


def test_expiry_warning_once_per_lot_n_days_before(simulate):
    program = samosale_program(welcome={"points": "200", "expiry_days": 30}, expiry_warning_days=7)
    run = simulate(program, [
        REG,
        sale("2026-01-20T10:00:00", "anna", "r1", line("a", "100.00"), redeem="20"),
        expect("2026-02-02T09:59:59", customer="anna", messages=["welcome"]),
        expect("2026-02-02T10:00:00", customer="anna", messages=["expiry_warning"]),
        advance("2026-03-30T00:00:00"),
        expect("2026-03-30T00:00:00", customer="anna", messages=["expiry_warning"]),
    ])  # fmt: skip
    assert run.code == 0, run.err
    warnings = run.autos("expiry_warning")
    assert [(w["at"], w["points"]) for w in warnings] == [
        ("2026-02-02T10:00:00", "180"),  # the welcome lot, 7 days before 02-09
        ("2026-03-14T10:00:00", "2"),  # r1's lot of 2 points, 7 days before 03-21
    ]


def test_no_warning_for_a_lot_already_spent(simulate):
    program = samosale_program(welcome={"points": "200", "expiry_days": 30}, expiry_warning_days=7)
    run = simulate(program, [
        REG,
        sale("2026-01-20T10:00:00", "anna", "r1", line("a", "1000.00"), redeem="200"),
        expect("2026-02-20T00:00:00", customer="anna", messages=["welcome"]),
    ])  # fmt: skip
    assert run.code == 0, run.err
