"""A till with staff, a customer and a sale, and the ways a ledger gets damaged."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.service import users
from cashier_app.service.ledger import Ledger
from cashier_app.service.ledger_file import DB_NAME
from cashier_app.service.users import OPERATOR, Actor, Role

LATTE = [LineInput("latte", Decimal("250.00"), Decimal("1"), category="coffee")]
ADMIN_PIN = "000000"


@dataclass
class Till:
    ledger: Ledger
    folder: Path
    admin: Actor
    manager: Actor
    cashier: Actor
    anna: str  # a customer's id

    @property
    def path(self) -> Path:
        return self.folder / DB_NAME


@pytest.fixture
def till(make_ledger, clock) -> Till:
    ledger = make_ledger()
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, ADMIN_PIN, actor=OPERATOR)
    manager = users.create_user(ledger, "Мария", Role.MANAGER, "333333", actor=admin)
    cashier = users.create_user(ledger, "Анна", Role.CASHIER, "1111", actor=admin)
    anna = service.register_customer(ledger, "+79001234567", name="Анна").customer.id
    service.record_sale(ledger, LATTE, customer_id=anna)
    clock.now += timedelta(minutes=5)
    return Till(ledger, ledger.db.path.parent, admin, manager, cashier, anna)


def page_size(path: Path) -> int:
    raw = int.from_bytes(path.read_bytes()[16:18], "big")
    return 65536 if raw == 1 else raw


def break_table(path: Path, table: str) -> None:
    """The table's root page says it is of a kind no b-tree page is: the ledger fails its
    check, and reading that table fails."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size(path)] = 0x7F
    path.write_bytes(bytes(data))
