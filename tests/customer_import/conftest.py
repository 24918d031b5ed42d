"""A shop moving from its old system: its customer files as that system writes them, and
the shop's staff."""

from __future__ import annotations

from pathlib import Path

import pytest

from cashier_app.service import users
from cashier_app.service.users import OPERATOR, Role
from tests.shop import samosale_program

# Russian headers as an old Russian cash system exports them (Windows-1251, semicolons).
RUSSIAN_ROWS = [
    "Телефон;ФИО;Дата рождения;Группа;Бонусы;Карта;Согласие",
    "8 (900) 111-22-33;Анна Смирнова;12.03.1985;Покупатели;150;;да",
    "+7 900 222-33-44;Иван Петров;1990-07-01;VIP;0;;нет",
    "89003334455;Ольга Иванова;;;1 200;;",
]


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def staff(ledger):
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    return {
        "admin": admin,
        "manager": users.create_user(ledger, "Мария", Role.MANAGER, "333333", actor=admin),
        "cashier": users.create_user(ledger, "Анна", Role.CASHIER, "1111", actor=admin),
    }


@pytest.fixture
def welcome_ledger(make_ledger):
    """A program with a welcome bonus, to show an imported customer does not get it."""
    return make_ledger(samosale_program(welcome={"points": "100", "expiry_days": 60}))
