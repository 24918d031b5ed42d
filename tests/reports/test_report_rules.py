"""Who may see which report, the shift report, and days in a store's time zone that
changes its clocks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service import users
from cashier_app.service.report_model import Period
from cashier_app.service.reports import (
    birthdays_report,
    groups_report,
    points_report,
    sales_report,
    shift_report,
    tiers_report,
    winback_report,
)
from cashier_app.service.users import OPERATOR, Role
from tests.reports.store import goods, msk
from tests.shop import samosale_program

BERLIN = ZoneInfo("Europe/Berlin")
DAY = Period(date(2026, 3, 2), date(2026, 3, 2))


@pytest.fixture
def staff(ledger):
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    return {
        "manager": users.create_user(ledger, "Ольга", Role.MANAGER, "111111", actor=admin),
        "cashier": users.create_user(ledger, "Иван", Role.CASHIER, "3333", actor=admin),
    }


@pytest.fixture
def shifts(ledger, staff):
    """Olga's shift 09:00-18:00 and Ivan's 10:00-19:00 on 2 March."""
    olga, ivan = staff["manager"], staff["cashier"]
    anna = service.register_customer(ledger, "+79160000003", name="Anna", at=msk(3, 1))
    theirs = users.open_shift(ledger, actor=olga, at=msk(3, 2, 9))
    mine = users.open_shift(ledger, actor=ivan, at=msk(3, 2, 10))
    service.record_sale(
        ledger, goods("1000.00"), customer_id=anna.customer.id, number="R-1",
        actor=olga, at=msk(3, 2, 9, 30),
    )  # fmt: skip
    service.record_sale(ledger, goods("300.00"), number="R-2", actor=olga, at=msk(3, 2, 9, 40))
    service.record_sale(ledger, goods("200.00"), number="R-3", actor=ivan, at=msk(3, 2, 10, 30))
    service.record_return(
        ledger, "R-2", [ReturnRequest("sku0", D("1"))], actor=olga, at=msk(3, 2, 11)
    )
    service.adjust_balance(
        ledger, anna.customer.id, D("10"), "sorry for the wait", actor=olga, at=msk(3, 2, 12)
    )
    users.close_shift(ledger, actor=olga, at=msk(3, 2, 18))
    users.close_shift(ledger, actor=ivan, at=msk(3, 2, 19))
    # After her shift: not the shift's return.
    service.record_return(
        ledger, "R-1", [ReturnRequest("sku0", D("1"))], actor=olga, at=msk(3, 2, 20)
    )
    return {"olga": theirs.id, "ivan": mine.id}


def test_the_shift_report_counts_each_cashiers_receipts_returns_and_adjustments(
    ledger, staff, shifts
):
    report = shift_report(ledger, staff["manager"], DAY)
    assert report.rows == (
        # 1000 to Anna (30 points) and 300 without a card; the 300 returned at 11:00;
        # 10 points added to Anna at 12:00. The 20:00 return is after her shift.
        ("Ольга", "2026-03-02 09:00 – 18:00", 2, D("1300.00"), D("0.00"), D("30.00"),
         1, D("300.00"), 1),
        ("Иван", "2026-03-02 10:00 – 19:00", 1, D("200.00"), D("0.00"), D("0.00"),
         0, D("0.00"), 0),
        # The 20:00 return is on the line of what no shift holds, not left out.
        ("Ольга", "outside a shift", 0, D("0.00"), D("0.00"), D("0.00"),
         1, D("1000.00"), 0),
    )  # fmt: skip


def test_a_cashier_sees_the_report_of_their_own_shift_only(ledger, staff, shifts):
    ivan = staff["cashier"]
    own = shift_report(ledger, ivan, DAY, shift_id=shifts["ivan"])
    assert [r[:4] for r in own.rows] == [("Иван", "2026-03-02 10:00 – 19:00", 1, D("200.00"))]
    with pytest.raises(LoyaltyError) as refused:
        shift_report(ledger, ivan, DAY, shift_id=shifts["olga"])
    assert refused.value.code == "not_allowed"
    with pytest.raises(LoyaltyError):
        shift_report(ledger, ivan, DAY)


def test_an_unknown_shift_is_refused(ledger, staff):
    with pytest.raises(LoyaltyError) as refused:
        shift_report(ledger, staff["manager"], DAY, shift_id="no-such-shift")
    assert refused.value.code == "unknown_shift"


@pytest.mark.parametrize(
    "report", [sales_report, points_report, groups_report, tiers_report, shift_report]
)
def test_a_cashier_is_refused_every_report_by_the_service(ledger, staff, report):
    with pytest.raises(LoyaltyError) as refused:
        report(ledger, staff["cashier"], DAY)
    assert refused.value.code == "not_allowed"


@pytest.mark.parametrize("report", [winback_report, birthdays_report])
def test_a_cashier_is_refused_the_customer_lists(ledger, staff, report):
    with pytest.raises(LoyaltyError) as refused:
        report(ledger, staff["cashier"], msk(3, 2))
    assert refused.value.code == "not_allowed"


@pytest.fixture
def berlin(make_ledger):
    program = samosale_program()
    program["timezone"] = "Europe/Berlin"
    return make_ledger(program)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_days_follow_the_stores_clock_across_both_daylight_saving_changes(berlin):
    # Clocks go forward at 02:00 on 29 March 2026 and back at 03:00 on 25 October.
    for n, moment in enumerate(
        [
            at(2026, 3, 29, 0, 30),  # 23:30 UTC on the 28th, an hour after the offset was +1
            at(2026, 3, 29, 23, 30),  # 21:30 UTC
            at(2026, 3, 30, 0, 30),  # 22:30 UTC on the 29th: a fixed +1 h would say the 29th
            at(2026, 10, 25, 23, 30),  # +1 again: 22:30 UTC
            at(2026, 10, 26, 0, 30),  # 23:30 UTC on the 25th
        ]
    ):
        service.record_sale(berlin, goods("100.00"), number=f"N-{n}", at=moment)

    def per_day(first: date, last: date) -> list[tuple[object, ...]]:
        report = sales_report(berlin, OPERATOR, Period(first, last, "day"))
        return [(r[0], r[2]) for r in report.rows if r[1] == "other"]

    assert per_day(date(2026, 3, 28), date(2026, 3, 30)) == [
        ("2026-03-28", 0),
        ("2026-03-29", 2),
        ("2026-03-30", 1),
    ]
    assert per_day(date(2026, 10, 25), date(2026, 10, 26)) == [("2026-10-25", 1), ("2026-10-26", 1)]


def test_points_taken_back_before_they_were_spendable_never_were_owed(make_ledger):
    """A week's accrual delay: Anna's 30 points for 1000.00 on 2 March wait until 9 March,
    but she returns everything on 4 March; Boris's 15 for 500.00 become spendable on the
    9th. W10 owes nothing; W11 accrues Boris's 15."""
    ledger = make_ledger(samosale_program(accrual_delay_days=7))
    anna = service.register_customer(ledger, "+79160000003", name="Anna", at=msk(3, 1))
    boris = service.register_customer(ledger, "+79160000002", name="Boris", at=msk(3, 1))
    service.record_sale(
        ledger, goods("1000.00"), customer_id=anna.customer.id, number="A-1", at=msk(3, 2)
    )
    service.record_sale(
        ledger, goods("500.00"), customer_id=boris.customer.id, number="B-1", at=msk(3, 2)
    )
    service.record_return(ledger, "A-1", [ReturnRequest("sku0", D("1"))], at=msk(3, 4))
    service.run_automations(ledger, until=msk(3, 15))
    report = points_report(ledger, OPERATOR, Period(date(2026, 3, 2), date(2026, 3, 15), "week"))
    assert [(r[0], r[1], r[7]) for r in report.rows] == [
        ("2026-W10", D("0.00"), D("0.00")),
        ("2026-W11", D("15.00"), D("15.00")),
    ]


def test_tiers_with_a_window_read_only_the_windows_purchases(make_ledger):
    """Silver from 10,000 of purchases in the last 30 days: Vera's 10,000.00 on 1 February
    holds her at Silver when the period starts (2 March) and has left the window by its
    end (15 March)."""
    ledger = make_ledger(samosale_program(tier_window_days=30))
    vera = service.register_customer(ledger, "+79160000001", name="Vera", at=msk(1, 5))
    service.record_sale(
        ledger, goods("10000.00"), customer_id=vera.customer.id, number="V-1", at=msk(2, 1)
    )
    report = tiers_report(ledger, OPERATOR, Period(date(2026, 3, 2), date(2026, 3, 15)))
    assert report.rows == (("Start", 1, 0, 1, 0), ("Silver", 0, 0, 0, 1), ("Gold", 0, 0, 0, 0))


def test_tiers_when_every_customer_is_in_the_ladder(ledger):
    """No staff and nobody registered after the period: the active customers are read
    without looking up their group. Vera reaches Silver with 10,000.00 on 3 March; Boris
    stays at Start."""
    vera = service.register_customer(ledger, "+79160000001", name="Vera", at=msk(1, 5))
    boris = service.register_customer(ledger, "+79160000002", name="Boris", at=msk(1, 6))
    for number, (who, price, day) in enumerate(
        [(vera, "10000.00", msk(3, 3)), (boris, "500.00", msk(3, 4))]
    ):
        service.record_sale(
            ledger, goods(price), customer_id=who.customer.id, number=f"R-{number}", at=day
        )
    report = tiers_report(ledger, OPERATOR, Period(date(2026, 3, 2), date(2026, 3, 15)))
    assert report.rows == (("Start", 1, 0, 0, 1), ("Silver", 1, 0, 1, 0), ("Gold", 0, 0, 0, 0))
