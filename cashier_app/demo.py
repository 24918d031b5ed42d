"""The demo store: the Samosale default program, a café–flower shop catalogue, a few
hundred customers with some history, and four users, one of each role."""

from __future__ import annotations

import contextlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import catalogue, users
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import OPERATOR, Role

FIRST = [
    "Анна",
    "Мария",
    "Ольга",
    "Елена",
    "Ирина",
    "Дарья",
    "Иван",
    "Пётр",
    "Сергей",
    "Алексей",
    "Дмитрий",
    "Наталья",
    "Татьяна",
    "Михаил",
    "Андрей",
    "Юлия",
    "Тарас",
    "Оксана",
]
LAST = [
    "Смирнов",
    "Иванов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Петров",
    "Волков",
    "Соловьёв",
    "Васильев",
    "Зайцев",
    "Павлов",
    "Семёнов",
]


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: Role
    pin: str


DEMO_USERS = (
    DemoUser("Анна", Role.CASHIER, "1111"),
    DemoUser("Ольга", Role.SENIOR_CASHIER, "2222"),
    DemoUser("Мария", Role.MANAGER, "333333"),
    DemoUser("Администратор", Role.ADMINISTRATOR, "000000"),
)


def _surname(last: str, first: str) -> str:
    female = first.endswith(("а", "я")) and first not in ("Илья",)
    return last + ("а" if female else "") if last.endswith(("ов", "ев", "ёв", "ин")) else last


def seed_demo(ledger: Ledger, customers: int = 300, seed: int = 7) -> None:
    """Fill an empty ledger with the demo store; does nothing to one already seeded."""
    from cashier_app.paths import resource

    if users.has_users(ledger):
        return
    rng = random.Random(seed)
    doc = json.loads(resource("programs", "samosale_default.json").read_text(encoding="utf-8"))
    start = datetime.now(UTC) - timedelta(days=40)
    with contextlib.suppress(LoyaltyError):  # a program may be installed already
        service.install_program(ledger, doc, at=start)
    catalogue.import_catalogue(ledger, resource("demo_catalogue.csv"), at=start)
    by_sku = {p.sku: p for p in catalogue.list_products(ledger)}
    admin = None
    for u in reversed(DEMO_USERS):
        actor = users.create_user(ledger, u.name, u.role, u.pin, actor=admin or OPERATOR, at=start)
        admin = admin or actor
    ids = []
    for n in range(customers):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        at = start + timedelta(minutes=n * 3)
        birthday = (
            date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.7
            else None
        )
        reg = service.register_customer(
            ledger, f"+7916{n:07d}", name=f"{first} {_surname(last, first)}", birthday=birthday,
            consent=True, at=at,
        )  # fmt: skip
        ids.append(reg.customer.id)
    skus = sorted(by_sku)
    moment = start + timedelta(days=2)
    for _ in range(customers):
        moment += timedelta(minutes=rng.randint(5, 180))
        picked = rng.sample(skus, rng.randint(1, 4))
        lines = catalogue.product_lines((by_sku[s], Decimal(rng.randint(1, 3))) for s in picked)
        service.record_sale(
            ledger, lines, customer_id=rng.choice(ids) if rng.random() < 0.8 else None,
            redeem="max" if rng.random() < 0.2 else Decimal(0), at=moment,
        )  # fmt: skip
        if moment > datetime.now(UTC) - timedelta(hours=1):
            break
    service.run_automations(ledger)


def demo_dir() -> Path:
    from cashier_app.paths import default_data_dir

    return default_data_dir().parent / "cashier-app-demo"
