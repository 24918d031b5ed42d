"""The window never waits on SQLite: every statement the screens and dialogs cause runs on
a TaskManager thread. Judged by the thread each statement ran on, recorded by SQLite
as it ran, while a manager works through the main screens."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import event

from cashier_app.paths import resource
from cashier_app.ui.dialogs import (
    CustomerCardDialog,
    EnrolDialog,
    FindCustomerDialog,
    FreeAmountDialog,
    ImportDialog,
    RegistrationDialog,
    ReturnDialog,
)
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.refused_dialog import RefusedDialog
from cashier_app.ui.reports.shift_dialog import ShiftReportDialog
from cashier_app.ui.reports.window import ReportsDialog
from tests.ui.conftest import when_modal
from tests.ui.test_refused_operations import a_refused_sale

LATTE = "4600000000015"


@pytest.fixture
def statements(store) -> Iterator[list[tuple[threading.Thread, str]]]:
    """(thread, statement) of everything sent to the ledger while the fixture is on: by
    SQLite's own trace of every connection, so the hot path's prepared statements, which
    go to the driver directly (storage/prepared.py), are seen as well."""
    ledger, _ = store
    seen: list[tuple[threading.Thread, str]] = []

    def record(statement: str) -> None:
        seen.append((threading.current_thread(), statement))

    def trace(dbapi_connection, connection_record) -> None:
        dbapi_connection.set_trace_callback(record)

    event.listen(ledger.db.engine, "connect", trace)
    ledger.db.engine.dispose()  # every connection from now on is a traced one
    yield seen
    event.remove(ledger.db.engine, "connect", trace)
    ledger.db.engine.dispose()


def sell_a_latte(qtbot, window: MainWindow) -> str:
    co = window.checkout
    co.handle_code(LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1 and co.cash_button.isEnabled())
    co.pay("cash")
    qtbot.waitUntil(lambda: co.last_sale is not None)
    return co.last_sale.number


def test_no_statement_runs_on_the_gui_thread(qtbot, open_window, store, anna, statements):
    ledger, _ = store
    a_refused_sale(ledger, "R-1")
    window = open_window("manager")
    window.tasks.wait_for(window.ws.begin)  # what login does before the window opens
    statements.clear()  # the store's setup above ran here; the window's work starts now
    opened: list[list[QDialog]] = []

    def register(dialog: RegistrationDialog) -> None:
        dialog.phone.setText("+79120001122")
        dialog.ok.click()
        qtbot.waitUntil(lambda: dialog.result_registration is not None)
        dialog.accept()

    opened.append(when_modal(RegistrationDialog, register))
    window.register_customer()
    qtbot.waitUntil(lambda: window.checkout.customer is not None)
    window.checkout.set_customer(None)

    def find(dialog: FindCustomerDialog) -> None:
        dialog.query.setText(anna.card)
        dialog.accept()

    opened.append(when_modal(FindCustomerDialog, find))
    window.find_customer()
    qtbot.waitUntil(lambda: window.checkout.customer is not None)
    number = sell_a_latte(qtbot, window)

    def card(dialog: CustomerCardDialog) -> None:
        qtbot.waitUntil(lambda: dialog.receipts.rowCount() == 1)
        dialog.reject()

    opened.append(when_modal(CustomerCardDialog, card))
    window.customer_card(anna.customer.id)
    window.checkout.new_receipt()

    def return_a_line(dialog: ReturnDialog) -> None:
        dialog.number.setText(number)
        dialog.load()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
        dialog.return_all()
        qtbot.waitUntil(lambda: dialog.result_return is not None)

    opened.append(when_modal(ReturnDialog, return_a_line))
    window.start_return()

    def free(dialog: FreeAmountDialog) -> None:
        dialog.amount.setText("120")
        dialog.category.setCurrentIndex(dialog.category.findData("coffee"))
        dialog._check()

    opened.append(when_modal(FreeAmountDialog, free))
    window.free_amount()
    qtbot.waitUntil(lambda: window.checkout.model.rowCount() == 1)

    def load(dialog: ImportDialog) -> None:
        dialog.path.setText(str(resource("demo_catalogue.csv")))
        dialog.run()
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
        dialog.accept()

    opened.append(when_modal(ImportDialog, load))
    window.import_catalogue()

    def enrol(dialog: EnrolDialog) -> None:
        # A manager may not enrol the till: the service says so, no server is reached.
        dialog.url.setText("http://127.0.0.1:9")
        dialog.code.setText("ABCD-EF12-3456-7890")
        dialog.ok.click()
        qtbot.waitUntil(lambda: dialog.error.text() != "")
        assert dialog.error.text() == "Your role may not do this."
        dialog.reject()

    opened.append(when_modal(EnrolDialog, enrol))
    window.enrol()

    def review(dialog: RefusedDialog) -> None:
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
        dialog.table.selectRow(0)
        dialog.reviewed_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 0)
        dialog.accept()

    opened.append(when_modal(RefusedDialog, review))
    window.refused_operations()

    def reports(dialog: ReportsDialog) -> None:
        qtbot.waitUntil(lambda: dialog.report is not None)
        for kind in dialog.kinds[1:]:
            seen = dialog.loads
            dialog.choose(kind.key)
            qtbot.waitUntil(lambda seen=seen: dialog.loads > seen)
        dialog.accept()

    opened.append(when_modal(ReportsDialog, reports))
    window.back_office.actions["reports_action"].trigger()

    window.checkout.new_receipt()

    def shift_report(dialog: ShiftReportDialog) -> None:
        qtbot.waitUntil(lambda: dialog.report is not None)
        dialog.accept()

    opened.append(when_modal(ShiftReportDialog, shift_report))
    with qtbot.waitSignal(window.logged_out):
        window.close_shift()

    assert all(opened), "a dialog never opened"
    on_gui = [sql for thread, sql in statements if thread is threading.main_thread()]
    assert len(statements) > 50, "the recorder saw nothing: the test proves nothing"
    assert on_gui == [], f"{len(on_gui)} statement(s) ran on the GUI thread: {on_gui[:3]}"
