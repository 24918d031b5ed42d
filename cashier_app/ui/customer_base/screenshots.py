"""``python -m cashier_app.ui.customer_base.screenshots DIR``: the customer base as a manager
sees it, rendered offscreen on the demo store plus 700 older customers (some in the staff
group, some without consent, some who bought long ago), filtered to the birthdays of the
coming holidays with consent; and one customer's card. Writes customer_base.png and
customer_base-card.png."""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from cashier_app import service
from cashier_app.demo import DEMO_USERS, FIRST, LAST, _surname, seed_demo
from cashier_app.engine.receipt import LineInput
from cashier_app.service import users
from cashier_app.ui.app import make_app
from cashier_app.ui.customer_base.card import BaseCustomerCard
from cashier_app.ui.customer_base.screen import CustomerBaseScreen
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


def _settle(app: QApplication, until: Callable[[], bool], ms: int = 6000) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end and not until():
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()


def _older_customers(ledger: service.Ledger, n: int) -> None:
    rng = random.Random(11)
    now = datetime.now(UTC)
    for i in range(n):
        registered = now - timedelta(days=rng.randint(60, 700))
        reg = service.register_customer(
            ledger, f"+7926{i:07d}",
            name=f"{(first := rng.choice(FIRST))} {_surname(rng.choice(LAST), first)}",
            birthday=date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28)),
            group="staff" if rng.random() < 0.1 else None, consent=rng.random() < 0.7,
            at=registered,
        )  # fmt: skip
        if rng.random() < 0.6:
            bought = registered + timedelta(days=rng.randint(1, (now - registered).days))
            amount = Decimal(rng.randint(300, 12000))
            line = LineInput("goods", amount, Decimal(1), category="flowers")
            service.record_sale(ledger, [line], customer_id=reg.customer.id, at=bought)


def take(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = make_app(lang="en")
    ledger = service.open_ledger(Path(tempfile.mkdtemp(prefix="cashier-base-shots-")))
    seed_demo(ledger, customers=300)
    _older_customers(ledger, 700)
    service.run_automations(ledger)  # expiries and birthdays up to now, as the window does
    manager = next(u for u in DEMO_USERS if u.role.value == "manager")
    ws = Workstation(ledger, users.login(ledger, manager.name, manager.pin))
    ws.begin()
    tasks = TaskManager(app)
    window = MainWindow(ws, tasks, ScannerFilter(parent=app))
    window.resize(QSize(1366, 768))
    window.show()
    screen = CustomerBaseScreen(window)
    screen.resize(QSize(1320, 700))
    screen.show()
    _settle(app, lambda: screen.model.total is not None)
    bar = screen.filters
    bar.birthday_from.setText("12-20")
    bar.birthday_to.setText("01-10")
    bar.consent.setCurrentIndex(bar.consent.findData(True))
    screen.apply_filter()
    _settle(app, lambda: screen.model.total is not None and screen.model.row_at(0) is not None)
    screen.table.selectRow(1)
    _settle(app, lambda: False, ms=300)
    screen.grab().save(str(out / "customer_base.png"))
    print(f"wrote {out / 'customer_base.png'}")
    shopper = next(
        r
        for i in range(screen.model.rowCount())
        if (r := screen.model.row_at(i)) and r.last_purchase_at
    )
    card = BaseCustomerCard(ws, tasks, shopper, screen)
    card.show()
    card.tabs.setCurrentIndex(2)
    _settle(app, lambda: card.events.rowCount() > 0)
    card.grab().save(str(out / "customer_base-card.png"))
    print(f"wrote {out / 'customer_base-card.png'}")
    card.close()
    screen.close()
    window.close()
    tasks.shutdown()
    ledger.db.close()


if __name__ == "__main__":
    take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
