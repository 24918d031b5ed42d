"""The reports read a period from the indexes made for them (migration 0007): if a change
to a query or an index made SQLite read each receipt's or movement's row again, a year of a
million receipts would go from a tenth of a second to seconds (docs/benchmarks.md)."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from sqlalchemy import event

from cashier_app.service.report_model import Period
from cashier_app.service.reports import (
    birthdays_report,
    groups_report,
    points_report,
    sales_report,
)
from cashier_app.service.users import OPERATOR
from tests.reports.store import build_shop, msk

MONTH = Period(date(2026, 3, 1), date(2026, 3, 31), "week")
WHOLE_MONTH = Period(date(2026, 3, 1), date(2026, 3, 31))


def plans(ledger, run) -> str:
    """Every query plan of the report ``run`` makes, as SQLite explains them."""
    statements = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(ledger.db.engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(ledger.db.engine, "before_cursor_execute", grab)
    raw = sqlite3.connect(ledger.db.path)
    try:
        return "\n".join(
            str(row)
            for statement, parameters in statements
            if statement.lstrip().upper().startswith(("SELECT", "WITH"))
            for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    finally:
        raw.close()


@pytest.fixture
def shop(ledger):
    build_shop(ledger)
    return ledger


def test_sales_read_receipts_and_their_customers_first_purchase_from_one_index(shop):
    found = plans(shop, lambda: sales_report(shop, OPERATOR, MONTH))
    assert "COVERING INDEX ix_receipts_at" in found
    assert "ix_receipts_customer_at" not in found  # no look-up receipt by receipt


def test_points_read_movements_from_the_moment_index_alone(shop):
    found = plans(shop, lambda: points_report(shop, OPERATOR, MONTH))
    assert "COVERING INDEX ix_lot_movements_at_kind" in found
    assert "SCAN lot_movements" not in found


def test_birthdays_are_found_by_their_index(shop):
    found = plans(shop, lambda: birthdays_report(shop, OPERATOR, msk(3, 15)))
    assert "ix_customers_birthday_day" in found


def test_group_moves_are_found_by_their_own_index(shop):
    found = plans(shop, lambda: groups_report(shop, OPERATOR, WHOLE_MONTH))
    assert "ix_events_group_moves" in found
    assert "SCAN events" not in found
