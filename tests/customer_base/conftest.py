"""A hand-made store for the customer base: four customers whose every filter answer is
known by heart (the shop's clock stands at 2 March 2026, 09:00 Moscow)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.service import users
from cashier_app.service.users import OPERATOR, Actor, Role
from tests.conftest import MSK


def _buy(ledger, customer_id: str, amount: str, at: datetime) -> None:
    line = LineInput("goods", Decimal(amount), Decimal("1"), category="coffee")
    service.record_sale(ledger, [line], customer_id=customer_id, at=at)


@dataclass
class Shop:
    ledger: service.Ledger
    manager: Actor
    cashier: Actor
    anna: str  # regular, Silver, bought last week, birthday 28 December, consent
    ivan: str  # regular, Start, last bought in November, birthday 5 January, no consent
    olga: str  # staff, never bought, registered in January, birthday 15 June, consent
    petr: str  # VIP, Gold, bought yesterday, no birthday, consent


@pytest.fixture
def shop(make_ledger) -> Shop:
    ledger = make_ledger()
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    manager = users.create_user(ledger, "Мария", Role.MANAGER, "333333", actor=admin)
    cashier = users.create_user(ledger, "Анна", Role.CASHIER, "1111", actor=admin)

    def register(phone, name, birthday, group, consent, at) -> str:
        return service.register_customer(
            ledger, phone, name=name, birthday=birthday, group=group, consent=consent, at=at
        ).customer.id

    anna = register("+79001234567", "Анна Смирнова", date(1990, 12, 28), None, True,
                    datetime(2025, 6, 1, 12, tzinfo=MSK))  # fmt: skip
    ivan = register("+79001112233", "Иван Петров", date(1985, 1, 5), None, False,
                    datetime(2025, 1, 10, 12, tzinfo=MSK))  # fmt: skip
    olga = register("+79005556677", "Ольга Иванова", date(1992, 6, 15), "staff", True,
                    datetime(2026, 1, 15, 12, tzinfo=MSK))  # fmt: skip
    petr = register("+79007778899", "Пётр Соколов", None, "vip", True,
                    datetime(2024, 5, 1, 12, tzinfo=MSK))  # fmt: skip
    _buy(ledger, ivan, "500", datetime(2025, 11, 1, 12, tzinfo=MSK))
    _buy(ledger, anna, "12000", datetime(2026, 2, 25, 12, tzinfo=MSK))
    _buy(ledger, petr, "60000", datetime(2026, 3, 1, 12, tzinfo=MSK))
    return Shop(ledger, manager, cashier, anna, ivan, olga, petr)
