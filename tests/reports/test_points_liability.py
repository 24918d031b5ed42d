"""The points report's outstanding figure is what customers can spend (a debt is not a
negative liability), and opening balances brought over by an import are their own column,
not managers' adjustments (defects the store-manager tester found)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from cashier_app import service
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.report_model import Period
from cashier_app.service.reports import points_report
from cashier_app.service.users import OPERATOR
from tests.reports.store import goods, msk

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def figures(report):
    return dict(zip((c.key for c in report.columns), report.rows[-1], strict=True))


def test_a_debt_is_not_taken_off_what_other_customers_can_spend(ledger):
    """Gleb buys 10,000.00 (300 points), which make him Silver, spends them on 1,000.00
    (accruing 5 % of 700 = 35), then returns the 10,000.00: 300 are taken back, 35 from his
    balance, 265 become a debt. Hanna holds 30 points from 1,000.00. What customers can
    spend is Hanna's 30, not 30 - 265."""
    gleb = service.register_customer(ledger, "+79160000007", name="Gleb", at=msk(3, 1))
    hanna = service.register_customer(ledger, "+79160000008", name="Hanna", at=msk(3, 1))
    gid = gleb.customer.id
    service.record_sale(ledger, goods("10000.00"), customer_id=gid, number="G-1", at=msk(3, 2))
    service.record_sale(
        ledger, goods("1000.00"), customer_id=gid, number="G-2", redeem=D("300"), at=msk(3, 3)
    )
    service.record_sale(
        ledger, goods("1000.00"), customer_id=hanna.customer.id, number="H-1", at=msk(3, 4)
    )
    service.record_return(ledger, "G-1", [ReturnRequest("sku0", D("1"))], at=msk(3, 5))
    row = figures(points_report(ledger, OPERATOR, MARCH))
    assert row["liability_points"] == D("30.00")
    assert row["liability_money"] == D("30.00")
    assert row["debt"] == D("265.00")
    # Walked back to a part's end before the debt, the same rule holds.
    weekly = points_report(ledger, OPERATOR, Period(date(2026, 3, 2), date(2026, 3, 8), "day"))
    by_day = {r[0]: r for r in weekly.rows}
    debt_col = weekly.column("debt")
    owed_col = weekly.column("liability_points")
    assert by_day["2026-03-04"][owed_col] == D("65.00")  # Gleb's 35 and Hanna's 30
    assert by_day["2026-03-04"][debt_col] == D("0.00")
    assert by_day["2026-03-05"][owed_col] == D("30.00")
    assert by_day["2026-03-05"][debt_col] == D("265.00")


def test_opening_balances_of_an_import_are_not_managers_adjustments(tmp_path, ledger):
    """Anna comes over with 150 points and Olga with 1,200 (1,350 opening); a manager
    adds 50 to Boris the same day, and an adjustment written before the import marked its
    events (only its reason says "opening balance") counts as opening too."""
    from cashier_app.service import users
    from cashier_app.service.customer_import import guess_mapping, read_customer_file
    from cashier_app.service.customer_import_write import import_customers
    from cashier_app.service.users import Role
    from tests.customer_import.conftest import RUSSIAN_ROWS, write_csv

    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    manager = users.create_user(ledger, "Мария", Role.MANAGER, "333333", actor=admin)
    f = read_customer_file(write_csv(tmp_path / "old.csv", RUSSIAN_ROWS, "cp1251"))
    import_customers(ledger, manager, f, guess_mapping(f.headers), at=msk(3, 10))
    boris = service.register_customer(ledger, "+79160000002", name="Boris", at=msk(3, 1))
    bid = boris.customer.id
    service.adjust_balance(ledger, bid, D("50"), "a gift", actor=manager, at=msk(3, 10, 13))
    service.adjust_balance(
        ledger, bid, D("5"), "opening balance (import of older.csv)", at=msk(3, 10, 14)
    )
    row = figures(points_report(ledger, OPERATOR, MARCH))
    assert row["opening"] == D("1355.00")
    assert row["adjusted"] == D("50.00")
    assert row["liability_points"] == D("1405.00")
