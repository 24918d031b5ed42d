"""The sale's hot reads go to the driver directly (storage/prepared.py): each must give
exactly what SQLAlchemy gives for the same statement, value for value and type for type,
so a prepared read can never be the 100x price again (an amount read as its stored
hundredths, a moment read without its zone)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.service import ledger as service_ledger
from cashier_app.service import sales as service_sales
from cashier_app.storage.prepared import PreparedRead

LATTE = LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")

HOT_READS = {
    f"{module.__name__}.{name}": value
    for module in (service_ledger, service_sales)
    for name, value in vars(module).items()
    if isinstance(value, PreparedRead)
}


def test_the_sale_path_reads_through_prepared_statements():
    assert {name.rsplit(".", 1)[1] for name in HOT_READS} >= {
        "_LOAD_CUSTOMER",
        "_OPEN_LOTS",
        "_MAX_VERSION",
        "_FIRST_PURCHASE",
        "_OPEN_SHIFT",
        "_MESSAGE_RECORDED",
    }


@pytest.fixture
def anna_after_a_few_sales(ledger):
    """A customer with a birthday, cards, sales with and without points spent, so her
    rows hold amounts, moments, dates, flags and text."""
    anna = service.register_customer(
        ledger, "+79001234567", name="Анна", birthday=date(1990, 3, 5), consent=True
    ).customer
    service.record_sale(ledger, [LATTE], customer_id=anna.id)
    ledger.clock.now += timedelta(days=20)
    service.record_sale(ledger, [LATTE], customer_id=anna.id, redeem="max")
    return anna


@pytest.mark.parametrize("name", sorted(HOT_READS))
def test_a_prepared_read_gives_what_sqlalchemy_gives(ledger, anna_after_a_few_sales, name):
    read = HOT_READS[name]
    now = ledger.clock()
    params = {
        "cid": anna_after_a_few_sales.id,
        "customer_id": anna_after_a_few_sales.id,
        "since": now - timedelta(days=60),
        "uid": "nobody",
        "kind": "welcome",
        "at": now,
    }
    given = {k: v for k, v in params.items() if k in read.statement.compile().params}
    with ledger.db.read() as conn:
        expected = [tuple(r) for r in conn.execute(read.statement, given).all()]
        got = [tuple(r) for r in read.all(conn, given)]
        first = read.first(conn, given)
    assert got == expected
    assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in expected]
    assert (first is None) == (expected == [])


def test_the_customers_row_reads_the_same_amounts_and_moments(ledger, anna_after_a_few_sales):
    with ledger.db.read() as conn:
        row = service_ledger._LOAD_CUSTOMER.first(conn, {"cid": anna_after_a_few_sales.id})
        lots = service_ledger._OPEN_LOTS.all(conn, {"cid": anna_after_a_few_sales.id})
    assert row.birthday == date(1990, 3, 5)
    assert isinstance(row.balance, Decimal) and row.balance.as_tuple().exponent == -2
    assert row.last_purchase_at.tzinfo is not None
    assert all(isinstance(lot.settled, bool) for lot in lots)
