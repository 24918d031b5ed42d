"""The customer-groups report does not rewrite the past after a group move: a receipt
counts in the group its customer was in at the sale (a defect the store-manager tester
found: Clara's early-November receipts were counted under staff after her move on the
20th)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from cashier_app import service
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.customer_changes import move_to_group
from cashier_app.service.report_model import Period
from cashier_app.service.reports import groups_report
from cashier_app.service.users import OPERATOR
from tests.reports.store import goods, msk


def clara_moves_to_staff(ledger):
    """Clara (regular) buys 1,000.00 on 5 November and 500.00 on 10 November, returns the
    500.00 on 12 November, is moved to staff on 20 November, and buys 2,000.00 (1,800.00
    with staff's 10 %) on 25 November. Boris (regular) buys 300.00 on 6 November."""
    clara = service.register_customer(ledger, "+79003333333", name="Clara", at=msk(10, 1))
    boris = service.register_customer(ledger, "+79160000002", name="Boris", at=msk(10, 1))
    cid = clara.customer.id
    service.record_sale(ledger, goods("1000.00"), customer_id=cid, number="C-1", at=msk(11, 5))
    service.record_sale(ledger, goods("500.00"), customer_id=cid, number="C-2", at=msk(11, 10))
    service.record_return(ledger, "C-2", [ReturnRequest("sku0", D("1"))], at=msk(11, 12))
    service.record_sale(
        ledger, goods("300.00"), customer_id=boris.customer.id, number="B-1", at=msk(11, 6)
    )
    move_to_group(ledger, OPERATOR, [cid], "staff", at=msk(11, 20, 10))
    service.record_sale(ledger, goods("2000.00"), customer_id=cid, number="C-3", at=msk(11, 25))


def rows(report):
    return {r[0]: r[1:] for r in report.rows}


def test_receipts_before_a_move_stay_in_the_group_of_their_moment(ledger):
    clara_moves_to_staff(ledger)
    first_half = rows(
        groups_report(ledger, OPERATOR, Period(date(2026, 11, 1), date(2026, 11, 15)))
    )
    # Clara and Boris were both regular customers then; 1000 + 500 - 500 + 300.
    assert first_half["Покупатели"] == (2, 3, D("1300.00"), D("433.33"))
    assert first_half["Сотрудники"] == (0, 0, D("0.00"), D("0.00"))
    month = rows(groups_report(ledger, OPERATOR, Period(date(2026, 11, 1), date(2026, 11, 30))))
    assert month["Покупатели"] == (1, 3, D("1300.00"), D("433.33"))
    assert month["Сотрудники"] == (1, 1, D("1800.00"), D("1800.00"))
