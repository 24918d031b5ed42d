"""``cashier-app screenshots DIR``: the screens a person looks at, rendered on a virtual
display from a fresh demo store, for the README and for looking at what we built."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QWidget

from cashier_app import service
from cashier_app.demo import DEMO_USERS, seed_demo
from cashier_app.paths import resource
from cashier_app.service import catalogue, users
from cashier_app.ui.app import make_app
from cashier_app.ui.checkout import ReceiptState
from cashier_app.ui.dialogs import CustomerCardDialog, ImportDialog, RegistrationDialog
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


def _settle(app: QApplication, until: Callable[[], bool] | None = None, ms: int = 4000) -> None:
    import time

    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            break
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()


def _save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(f"wrote {path}")


def take(out: Path, lang: str = "en") -> None:
    """All screens in English; in Russian and Ukrainian the two busiest, to check that
    longer words are not clipped (files end in -ru, -uk)."""
    out.mkdir(parents=True, exist_ok=True)
    app = make_app(lang=lang)
    sfx = "" if lang == "en" else f"-{lang}"
    folder = Path(tempfile.mkdtemp(prefix="cashier-shots-"))
    ledger = service.open_ledger(folder)
    seed_demo(ledger, customers=60)
    cashier = next(u for u in DEMO_USERS if u.role.value == "manager")
    actor = users.login(ledger, cashier.name, cashier.pin)
    ws = Workstation(ledger, actor)
    ws.ensure_shift()
    tasks = TaskManager(app)
    scanner = ScannerFilter(parent=app)
    scanner.install(app)
    window = MainWindow(ws, tasks, scanner)
    window.resize(QSize(1366, 768))
    window.show()
    co = window.checkout
    _settle(app, ms=500)
    if not sfx:
        _save(window, out / "checkout-empty.png")

    anna = service.register_customer(ledger, "+79001234567", name="Анна Смирнова", consent=True)
    service.adjust_balance(
        ledger, anna.customer.id, Decimal("640"), "перенос баллов со старой карты"
    )
    for code in ("4600000000015", "4600000000138", "4600000000183", "4600000000251"):
        co.handle_code(code)
        _settle(app, lambda: False, ms=300)
    co.handle_code(f"LOYAL:{anna.card}")
    _settle(
        app, lambda: co.customer is not None and co.quote is not None and co.quote.max_redeem > 0
    )
    co.redeem_max()
    _settle(app, lambda: co.quote is not None and co.quote.redeemed > 0)
    _save(window, out / f"checkout-customer-redeem{sfx}.png")
    if not sfx:
        window.resize(QSize(1920, 1080))
        _settle(app, ms=300)
        _save(window, out / "checkout-customer-redeem-1920.png")
        window.resize(QSize(1366, 768))
    co.pay("card")
    _settle(app, lambda: co.state is ReceiptState.PAID)
    _save(window, out / f"checkout-paid{sfx}.png")

    reg = RegistrationDialog(ws, tasks, "8 912 345-67-89", window)
    reg.name.setText("Пётр Новиков")
    reg.consent.setChecked(True)
    reg.show()
    reg.register()
    _settle(app, lambda: reg.result_registration is not None)
    _settle(app, ms=200)
    _save(reg, out / f"registration{sfx}.png")
    reg.close()
    if sfx:
        window.close()
        tasks.shutdown()
        ledger.db.close()
        return

    card = CustomerCardDialog(ws, tasks, service.get_customer(ledger, anna.customer.id), window)
    card.show()
    _settle(app, lambda: card.receipts.rowCount() > 0)
    _save(card, out / "customer-card.png")
    card.close()

    bad = folder / "catalogue.csv"
    bad.write_text(
        resource("demo_catalogue.csv").read_text(encoding="utf-8")
        + "bread-xl,,Хлеб большой,двести,bakery,,\n,,Без артикула,100,,,\n",
        encoding="utf-8",
    )
    imp = ImportDialog(ws, tasks, bad, window)
    imp.skip.setChecked(True)
    imp.show()
    imp.run()
    _settle(app, lambda: imp.report is not None)
    _save(imp, out / "import.png")
    imp.close()

    _refused_list(app, ws, tasks, window, out)
    window.close()
    tasks.shutdown()
    ledger.db.close()
    assert catalogue  # keeps the import visible to readers of this module


def _refused_list(
    app: QApplication, ws: Workstation, tasks: TaskManager, window: MainWindow, out: Path
) -> None:
    """The manager's list of operations the server refused: one sale of a till whose clock
    ran a day ahead, as the server words it."""
    from datetime import UTC, datetime, timedelta

    from cashier_app.engine.receipt import LineInput
    from cashier_app.sync import outbox
    from cashier_app.ui.refused_dialog import RefusedDialog

    ledger = ws.ledger
    ahead = datetime.now(UTC) + timedelta(days=1)
    line = LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")
    event_id = service.record_sale(ledger, [line], at=ahead).event_id
    now = datetime.now(UTC).isoformat("T", "seconds")
    reason = (
        f"invalid_event: at: dated in the future: later than the server's time {now} "
        "plus 10 minutes; is the till's clock ahead?"
    )
    outbox.refuse(ledger, [(event_id, reason)], datetime.now(UTC))
    window.refresh_status()
    _settle(app, lambda: window.refused_label.isVisible())
    dialog = RefusedDialog(ws, tasks, window)
    dialog.show()
    _settle(app, lambda: dialog.table.rowCount() > 0)
    dialog.table.selectRow(0)
    _settle(app, ms=200)
    _save(dialog, out / "refused-operations.png")
    _save(window, out / "checkout-refused-warning.png")
    dialog.close()


if __name__ == "__main__":
    import sys

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for language in ("en", "ru", "uk"):
        take(folder, language)
