"""New or loyal comes from when the customer first bought, which each receipt holds: a
sale dated before a customer's first one becomes their first on every receipt, and a
ledger from before migration 0008 gets it worked out when it is upgraded."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cashier_app import service
from cashier_app.service.report_model import Period
from cashier_app.service.reports import sales_report
from cashier_app.service.users import OPERATOR
from cashier_app.storage import migrate
from cashier_app.storage import schema as t
from tests.reports.store import goods, msk
from tests.shop import samosale_program


def _segments(ledger, day: int) -> dict[str, int]:
    report = sales_report(ledger, OPERATOR, Period(date(2026, 3, day), date(2026, 3, day)))
    return {row[1]: row[2] for row in report.rows if row[2]}


def _firsts(ledger) -> dict[str, object]:
    with ledger.db.read() as conn:
        rows = conn.execute(select(t.receipts.c.number, t.receipts.c.first_purchase_at))
        return {number: first for number, first in rows}


def test_a_sale_dated_before_the_first_one_makes_it_loyal_later(tmp_path):
    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program())
    mila = service.register_customer(ledger, "+79160000011", at=msk(2, 1)).customer.id
    service.record_sale(ledger, goods("300.00"), customer_id=mila, number="M-10", at=msk(3, 10))
    assert _segments(ledger, 10) == {"new": 1}
    # A manager records the paper receipt of 1 March afterwards.
    service.record_sale(ledger, goods("100.00"), customer_id=mila, number="M-1", at=msk(3, 1))
    assert _firsts(ledger) == {"M-10": msk(3, 1), "M-1": msk(3, 1)}
    assert _segments(ledger, 1) == {"new": 1}
    assert _segments(ledger, 10) == {"loyal": 1}


def test_an_upgraded_ledger_knows_each_customers_first_purchase(tmp_path):
    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program())
    ivan = service.register_customer(ledger, "+79160000012", at=msk(2, 1)).customer.id
    service.record_sale(ledger, goods("100.00"), customer_id=ivan, number="I-1", at=msk(3, 2))
    service.record_sale(ledger, goods("200.00"), customer_id=ivan, number="I-2", at=msk(3, 9))
    service.record_sale(ledger, goods("50.00"), number="N-1", at=msk(3, 9))
    migrate.downgrade(ledger.db, "0007")
    migrate.upgrade(ledger.db)
    assert _firsts(ledger) == {"I-1": msk(3, 2), "I-2": msk(3, 2), "N-1": None}
    assert _segments(ledger, 9) == {"loyal": 1, "other": 1}
