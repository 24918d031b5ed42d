"""``python -m cashier_app.ui.staff.screenshots DIR``: the Staff… and Audit log… screens on
the demo store after a morning's work (logins, a wrong PIN, a lock, a promotion, a PIN
reset, a deactivated user, an adjustment), for the README and for looking at them."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QDialog

from cashier_app import service
from cashier_app.demo import DEMO_USERS, seed_demo
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import staff, users
from cashier_app.service.users import Role
from cashier_app.ui.app import make_app
from cashier_app.ui.audit_log.dialog import AuditLogDialog
from cashier_app.ui.staff.dialog import StaffDialog
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


def _settle(app: QApplication, until: Callable[[], bool], seconds: float = 8.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()


def _a_morning(ledger: service.Ledger) -> users.Actor:
    pins = {u.name: u.pin for u in DEMO_USERS}
    admin = next(u for u in DEMO_USERS if u.role is Role.ADMINISTRATOR)
    boss = users.login(ledger, admin.name, admin.pin)
    for name in ("Анна", "Ольга"):
        users.login(ledger, name, pins[name])
    users.create_user(ledger, "Пётр", Role.CASHIER, "4444", actor=boss)
    users.create_user(ledger, "Светлана", Role.CASHIER, "5555", actor=boss)
    for _ in range(5):  # Пётр forgets his PIN and is locked
        with contextlib.suppress(LoyaltyError):
            users.login(ledger, "Пётр", "0000")
    staff.set_role(ledger, boss, "Анна", Role.SENIOR_CASHIER)
    staff.deactivate_user(ledger, boss, "Светлана")
    maria = users.login(ledger, "Мария", pins["Мария"])
    customer = service.search_customers(ledger, "а")[0]
    service.adjust_balance(ledger, customer.id, Decimal(150), "birthday cake was late", actor=maria)
    return boss


def take(out: Path, lang: str = "en") -> None:
    out.mkdir(parents=True, exist_ok=True)
    sfx = "" if lang == "en" else f"-{lang}"
    app = make_app(lang=lang)
    ledger = service.open_ledger(Path(tempfile.mkdtemp(prefix="cashier-staff-")))
    seed_demo(ledger, customers=20)
    ws = Workstation(ledger, _a_morning(ledger))
    tasks = TaskManager(app)
    screens: list[tuple[str, QDialog, Callable[[], bool]]] = []
    staff_screen = StaffDialog(ws, tasks)
    screens.append(("staff", staff_screen, lambda: staff_screen.table.rowCount() > 0))
    log = AuditLogDialog(ws, tasks)
    log.resize(1200, 640)
    screens.append(("audit_log", log, lambda: log.table.rowCount() > 0))
    for name, dialog, ready in screens:
        dialog.show()
        _settle(app, ready)
        if isinstance(dialog, StaffDialog):
            dialog.table.selectRow(
                next(i for i, m in enumerate(dialog.members) if m.name == "Пётр")
            )
            _settle(app, lambda: False, 0.3)
        path = out / f"{name}{sfx}.png"
        dialog.grab().save(str(path))
        print(f"wrote {path}")
        dialog.close()
    tasks.shutdown()
    ledger.db.close()


if __name__ == "__main__":
    import sys

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    take(folder)
    take(folder, "ru")
