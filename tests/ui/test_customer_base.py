"""Back office → Customers…: the base opens at once, scrolls to its end reading only the
windows it shows, follows a new filter without mixing in an old one's pages, refuses a
bad filter without losing the list, and its actions reach the service (judged by what the
ledger holds afterwards). No statement runs on the GUI thread."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import event, select

from bench.generate import build
from cashier_app import service
from cashier_app.service import users
from cashier_app.service.customer_base import CustomerFilter
from cashier_app.storage import schema as t
from cashier_app.ui.customer_base import CustomerBaseScreen
from cashier_app.ui.customer_base.actions import AdjustDialog, MoveDialog
from cashier_app.ui.customer_base.model import PAGE, PLACEHOLDER
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation
from tests.ui.conftest import when_modal

BIG = 4_000


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """A base of 4,000 customers, bulk-loaded as the benchmark does."""
    folder = tmp_path_factory.mktemp("big")
    build(folder, BIG, BIG * 2, hot_events=10)
    ledger = service.open_ledger(folder)
    admin = users.create_user(
        ledger, "Admin", users.Role.ADMINISTRATOR, "999999", actor=users.OPERATOR
    )
    users.create_user(ledger, "Мария", users.Role.MANAGER, "333333", actor=admin)
    yield ledger
    ledger.db.close()


@pytest.fixture
def big_window(qtbot, qapp, big_store):
    ws = Workstation(big_store, users.login(big_store, "Мария", "333333"))
    tasks = TaskManager()
    scanner = ScannerFilter()
    window = MainWindow(ws, tasks, scanner)
    qtbot.addWidget(window)
    window.show()
    yield window
    tasks.shutdown()
    window.close()


def open_base(qtbot, window: MainWindow) -> CustomerBaseScreen:
    window.back_office.actions["customer_base_action"].trigger()
    screen = window.findChild(CustomerBaseScreen)
    assert screen is not None
    qtbot.waitUntil(lambda: screen.model.total is not None, timeout=10000)
    return screen


def cell(screen: CustomerBaseScreen, row: int, column: int = 0) -> str:
    index = screen.model.index(row, column)
    assert index.isValid(), f"no row {row}"
    return str(screen.model.data(index))


def test_the_base_scrolls_to_its_end_reading_only_the_windows_it_shows(qtbot, big_window):
    screen = open_base(qtbot, big_window)
    model = screen.model
    assert model.rowCount() == BIG
    assert "4 000" in screen.count_label.text()
    qtbot.waitUntil(lambda: cell(screen, 0) != PLACEHOLDER)
    screen.table.scrollToBottom()
    QApplication.processEvents()
    assert cell(screen, BIG - 1) == PLACEHOLDER or model.row_at(BIG - 1) is not None
    qtbot.waitUntil(lambda: cell(screen, BIG - 1) != PLACEHOLDER, timeout=10000)
    assert cell(screen, BIG - 1).startswith("Покупатель")
    # The first window and the last ones: never the 20 windows of the whole base.
    assert model.pages_read <= 4
    assert model.loaded_rows() <= 4 * PAGE


def test_a_new_filter_drops_the_pages_of_the_old_one(qtbot, big_window):
    screen = open_base(qtbot, big_window)
    model = screen.model
    qtbot.waitUntil(lambda: cell(screen, 0) != PLACEHOLDER)
    # Two filters in a row: the first one's count and pages arrive late and are dropped.
    model.set_query(CustomerFilter(search="Покупатель 12"))
    screen.filters.search.setText("1234")
    screen.apply_filter()
    qtbot.waitUntil(lambda: model.total is not None and cell(screen, 0) != PLACEHOLDER)
    qtbot.wait(300)  # what the first filter asked has come back by now
    assert model.filter.search == "1234"
    assert model.total == model.rowCount() == 1
    row = model.row_at(0)
    assert row is not None and row.phone == "+79000001234"


def test_a_bad_filter_is_explained_and_the_list_stays(qtbot, big_window):
    screen = open_base(qtbot, big_window)
    screen.filters.min_balance.setText("lots")
    screen.apply_filter()
    assert "number" in screen.message.text()
    assert screen.model.filter == CustomerFilter() and screen.model.rowCount() == BIG
    screen.filters.min_balance.setText("")
    screen.filters.birthday_from.setText("13-45")
    screen.apply_filter()
    assert "03-08" in screen.message.text()


def test_sorting_by_a_column_asks_the_service_again(qtbot, big_window):
    screen = open_base(qtbot, big_window)
    screen.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: screen.model.order.column == "balance")
    qtbot.waitUntil(lambda: screen.model.row_at(1) is not None)
    first, second = screen.model.row_at(0), screen.model.row_at(1)
    assert first is not None and second is not None and first.balance >= second.balance


@pytest.fixture
def statements(store):
    ledger, _ = store
    seen: list[tuple[threading.Thread, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((threading.current_thread(), statement))

    event.listen(ledger.db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(ledger.db.engine, "before_cursor_execute", record)


def test_the_managers_actions_reach_the_ledger(
    qtbot, open_window, store, anna, statements, tmp_path, monkeypatch
):
    ledger, _ = store
    cid = anna.customer.id
    before = service.get_customer(ledger, cid).balance
    window = open_window("manager")
    window.tasks.wait_for(window.ws.begin)  # what login does before the window opens
    statements.clear()  # the window's own work starts here
    screen = open_base(qtbot, window)
    assert screen.model.total == 1
    qtbot.waitUntil(lambda: screen.model.row_at(0) is not None)
    screen.table.selectRow(0)

    def adjust(dialog: AdjustDialog) -> None:
        dialog.points.setText("150")
        dialog._check()
        assert dialog.error.text() != ""  # no reason given: refused in the dialog
        dialog.reason.setText("apology for a long wait")
        dialog._check()

    when_modal(AdjustDialog, adjust)
    screen.adjust_button.click()
    qtbot.waitUntil(lambda: screen.message.text() == "Points adjusted.")

    def move(dialog: MoveDialog) -> None:
        dialog.group.setCurrentIndex(dialog.group.findData("staff"))
        dialog.accept()

    qtbot.waitUntil(lambda: screen.model.row_at(0) is not None)
    screen.table.selectRow(0)
    when_modal(MoveDialog, move)
    screen.move_button.click()
    qtbot.waitUntil(lambda: "moved" in screen.message.text())

    path = tmp_path / "base.csv"
    # The button, as a manager clicks it: the save dialog answers with the file.
    monkeypatch.setattr(
        "cashier_app.ui.customer_base.screen.QFileDialog.getSaveFileName",
        lambda *args: (str(path), "CSV (*.csv)"),
    )
    screen.export_button.click()
    qtbot.waitUntil(lambda: "exported" in screen.message.text())
    assert "Анна Смирнова" in path.read_text(encoding="utf-8-sig")

    def erase(box: QMessageBox) -> None:
        assert "Анна Смирнова" in box.text() and "cannot be undone" in box.text()
        button = next(b for b in box.buttons() if b.text() == "Erase for good")
        button.click()

    qtbot.waitUntil(lambda: screen.model.row_at(0) is not None)
    screen.table.selectRow(0)
    when_modal(QMessageBox, erase)
    screen.anonymise_button.click()
    qtbot.waitUntil(lambda: "erased" in screen.message.text())
    qtbot.waitUntil(lambda: screen.model.row_at(0) is not None)
    assert screen.model.data(screen.model.index(0, 0)) == "(anonymised)"
    main = threading.main_thread()
    on_main = [sql for thread, sql in statements if thread is main]
    assert not on_main, f"statements ran on the GUI thread: {on_main}"
    after = service.get_customer(ledger, cid)
    assert after.balance == before + Decimal("150") and after.group_id == "staff"
    with ledger.db.read() as conn:
        erased = conn.execute(
            select(t.customers.c.anonymised_at).where(t.customers.c.id == cid)
        ).scalar_one()
        actions = [
            (r.action, json.loads(r.details)) for r in conn.execute(select(t.audit_log)).all()
        ]
    assert erased is not None
    assert ("export_customers", {"filter": {}, "sort": "registered", "format": "csv",
            "rows": 1, "file": str(path.resolve())}) in actions  # fmt: skip
    assert {"adjust_balance", "move_customer_group", "anonymise_customer"} <= {
        a for a, _ in actions
    }


def test_a_cashier_sees_no_customer_base(open_window):
    window = open_window("cashier")
    assert not window.back_office.actions["customer_base_action"].isVisible()


def test_rows_outside_the_base_have_no_data(qtbot, open_window, anna):
    window = open_window("manager")
    screen = open_base(qtbot, window)
    assert screen.model.data(QModelIndex()) is None
