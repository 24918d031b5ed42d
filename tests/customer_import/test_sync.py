"""Customers brought over at one till reach the other through the real central server,
with their opening balance and no welcome bonus on either side."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from cashier_app import service
from cashier_app.service.customer_import import guess_mapping, read_customer_file
from cashier_app.service.customer_import_write import import_customers
from cashier_app.service.users import Actor, Role
from cashier_app.sync import outbox, worker
from central_server import schema as s
from tests.customer_import.conftest import RUSSIAN_ROWS, write_csv
from tests.sync.conftest import sqlite_server, till  # noqa: F401 (fixtures)


def test_imported_customers_sync_to_another_till(sqlite_server, till, tmp_path):  # noqa: F811
    a, b = till(sqlite_server, "A"), till(sqlite_server, "B")  # welcome bonus: 100
    manager = Actor(None, "Мария", Role.MANAGER)  # staff of an enrolled till come from the server
    f = read_customer_file(write_csv(tmp_path / "old.csv", RUSSIAN_ROWS, "cp1251"))
    assert import_customers(a, manager, f, guess_mapping(f.headers)).imported == 3
    result = worker.sync_once(a, worker.client_for(a))
    assert result.pushed >= 5  # three registrations, two opening balances
    assert outbox.queued_count(a) == 0
    worker.sync_once(b, worker.client_for(b))
    for ledger in (a, b):
        anna = service.get_customer(ledger, service.find_by_phone(ledger, "89001112233"))
        olga = service.get_customer(ledger, service.find_by_phone(ledger, "89003334455"))
        assert (anna.balance, olga.balance) == (Decimal("150"), Decimal("1200"))
    with sqlite_server.store.engine.connect() as conn:
        assert conn.execute(select(s.quarantine)).all() == []  # nothing held for review
