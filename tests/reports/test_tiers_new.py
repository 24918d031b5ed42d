"""A customer registered during the period did not move between tiers: they are new in
their tier at its end (a defect the store-manager tester found: they were counted as
moved out of the first tier)."""

from __future__ import annotations

from datetime import date

from cashier_app import service
from cashier_app.service.report_model import Period
from cashier_app.service.reports import tiers_report
from cashier_app.service.users import OPERATOR
from tests.reports.store import goods, msk
from tests.shop import samosale_program

MARCH = Period(date(2026, 3, 2), date(2026, 3, 15))


def shop(ledger):
    """Vera, registered in January, reaches Silver in March (a move); Dina registers on 3
    March and buys 12,000.00 (new, at Silver); Egor registers on 4 March and buys nothing
    (new, at Start); Boris, a customer since January, stays at Start."""

    def register(phone, name, at):
        return service.register_customer(ledger, phone, name=name, at=at).customer.id

    vera = register("+79160000001", "Vera", msk(1, 5))
    register("+79160000002", "Boris", msk(1, 6))
    dina = register("+79160000005", "Dina", msk(3, 3))
    register("+79160000006", "Egor", msk(3, 4))
    service.record_sale(ledger, goods("10000.00"), customer_id=vera, number="V-1", at=msk(3, 5))
    service.record_sale(ledger, goods("12000.00"), customer_id=dina, number="D-1", at=msk(3, 6))


def test_customers_registered_in_the_period_are_new_not_moved(ledger):
    shop(ledger)
    report = tiers_report(ledger, OPERATOR, MARCH)
    assert [c.key for c in report.columns] == ["tier", "customers", "new", "moved_in", "moved_out"]
    assert report.rows == (
        ("Start", 2, 1, 0, 1),  # Boris stays, Egor is new; Vera moved out
        ("Silver", 2, 1, 1, 0),  # Vera moved in, Dina is new
        ("Gold", 0, 0, 0, 0),
    )


def test_with_a_tier_window_they_are_new_too(make_ledger):
    ledger = make_ledger(samosale_program(tier_window_days=30))
    shop(ledger)
    report = tiers_report(ledger, OPERATOR, MARCH)
    assert report.rows == (
        ("Start", 2, 1, 0, 1),
        ("Silver", 2, 1, 1, 0),
        ("Gold", 0, 0, 0, 0),
    )
