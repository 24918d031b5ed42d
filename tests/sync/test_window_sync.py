"""The administrator enrols the till from the window; the status bar then shows it online
with nothing waiting."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cashier_app import service
from cashier_app.service import users
from cashier_app.service.users import OPERATOR, Role
from cashier_app.ui.app import start_sync
from cashier_app.ui.dialogs import EnrolDialog
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation
from tests.shop import samosale_program


def test_enrol_from_the_window_and_see_it_online(qtbot, qapp, sqlite_server, tmp_path):
    ledger = service.open_ledger(tmp_path / "till")
    service.install_program(ledger, samosale_program())
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    ws = Workstation(ledger, admin)
    ws.ensure_shift()
    service.register_customer(ledger, "+79001234567")
    tasks = TaskManager()
    window = MainWindow(ws, tasks, ScannerFilter())
    qtbot.addWidget(window)
    loop = start_sync(ws, tasks, window, qapp)
    try:
        assert window.enrol_action.isVisible()
        dialog = EnrolDialog(ws, tasks, window)
        qtbot.addWidget(dialog)
        qtbot.keyClicks(dialog.url, sqlite_server.url)
        qtbot.keyClicks(dialog.code, sqlite_server.store.issue_code())
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.device_id is not None, timeout=10000)
        window.sync_requested.emit()
        qtbot.waitUntil(
            lambda: (
                "Online" in window.online_label.text()
                and window.queue_label.text() == "everything is sent"
            ),
            timeout=15000,
        )
    finally:
        loop.stop()
        tasks.shutdown()
        ledger.db.close()


def test_a_cashier_cannot_enrol(qtbot, tmp_path):
    ledger = service.open_ledger(tmp_path / "till")
    service.install_program(ledger, samosale_program())
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    cashier = users.create_user(ledger, "Иван", Role.CASHIER, "1111", actor=admin)
    tasks = TaskManager()
    window = MainWindow(Workstation(ledger, cashier), tasks, ScannerFilter())
    qtbot.addWidget(window)
    assert not window.enrol_action.isVisible()
    tasks.shutdown()
    ledger.db.close()
