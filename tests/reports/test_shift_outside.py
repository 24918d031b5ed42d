"""The shift report leaves out no return or adjustment of its period: those no listed shift
holds are shown on a line per user (a defect the store-manager tester found: two returns
made at the command line, with no shift open, left the day's report empty)."""

from __future__ import annotations

from decimal import Decimal as D

from cashier_app import service
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service import users
from cashier_app.service.reports import shift_report
from cashier_app.service.reports.shift_outside import OUTSIDE
from tests.reports.store import goods, msk
from tests.reports.test_report_rules import DAY, shifts, staff  # noqa: F401


def test_returns_and_adjustments_with_no_shift_open_are_not_left_out(ledger, staff):  # noqa: F811
    olga = staff["manager"]
    anna = service.register_customer(ledger, "+79160000003", name="Anna", at=msk(3, 1))
    service.record_sale(ledger, goods("1000.00", "300.00"), customer_id=anna.customer.id,
                        number="R-1", at=msk(3, 1, 15))  # fmt: skip
    # 2 March: Olga, with no shift open, takes two returns and corrects a balance.
    service.record_return(ledger, "R-1", [ReturnRequest("sku0", D("1"))], actor=olga,
                          at=msk(3, 2, 11))  # fmt: skip
    service.record_return(ledger, "R-1", [ReturnRequest("sku1", D("1"))], actor=olga,
                          at=msk(3, 2, 12))  # fmt: skip
    service.adjust_balance(ledger, anna.customer.id, D("10"), "sorry", actor=olga,
                           at=msk(3, 2, 13))  # fmt: skip
    report = shift_report(ledger, olga, DAY)
    assert report.rows == (
        ("Ольга", OUTSIDE, 0, D("0.00"), D("0.00"), D("0.00"), 2, D("1300.00"), 1),
    )


def test_a_return_after_the_shift_closed_is_outside_it(ledger, staff, shifts):  # noqa: F811
    report = shift_report(ledger, staff["manager"], DAY)
    # The 11:00 return and the 12:00 adjustment are in Olga's shift; the 20:00 return of
    # Anna's 1000.00 after it closed is on its own line.
    assert [r[:2] + r[6:] for r in report.rows] == [
        ("Ольга", "2026-03-02 09:00 – 18:00", 1, D("300.00"), 1),
        ("Иван", "2026-03-02 10:00 – 19:00", 0, D("0.00"), 0),
        ("Ольга", OUTSIDE, 1, D("1000.00"), 0),
    ]


def test_a_cashiers_own_closing_shift_shows_only_that_shift(ledger, staff, shifts):  # noqa: F811
    ivan = staff["cashier"]
    own = shift_report(ledger, ivan, DAY, shift_id=shifts["ivan"])
    assert [r[1] for r in own.rows] == ["2026-03-02 10:00 – 19:00"]
    assert users.current_shift(ledger, ivan) is None
