"""At the till window: a product typed by name, chosen from the pick list, or a free
amount (F5) is charged what the catalogue says, and the ledger records that price (typed
and as the stored integer of hundredths). A latte by name once cost 25000.00 here."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox
from sqlalchemy import select

from cashier_app.storage import schema as t
from cashier_app.ui.checkout import ReceiptState
from cashier_app.ui.dialogs import FreeAmountDialog, PickDialog
from tests.ui.conftest import type_keys, when_modal

LATTE = Decimal("250.00")  # "Латте 0,4" in resources/demo_catalogue.csv


def recorded_lines(ledger, receipt_id: str) -> list[tuple[str, Decimal, int]]:
    """(sku, price, the integer SQLite holds) of each line of the receipt."""
    rl = t.receipt_lines.c
    with ledger.db.read() as conn:
        typed = conn.execute(
            select(rl.sku, rl.price).where(rl.receipt_id == receipt_id).order_by(rl.line_no)
        ).all()
        raw = conn.exec_driver_sql(
            "SELECT price FROM receipt_lines WHERE receipt_id = ? ORDER BY line_no", (receipt_id,)
        ).scalars()
        return [(sku, price, stored) for (sku, price), stored in zip(typed, raw, strict=True)]


def pay_cash_and_read(qtbot, window, ledger) -> list[tuple[str, Decimal, int]]:
    co = window.checkout
    qtbot.waitUntil(lambda: co.quote is not None)
    # A desktop gives the window back its activation when a dialog closes; offscreen Qt
    # does not, and F9 is a window shortcut.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(co.code_input, Qt.Key.Key_F9)  # pay cash
    qtbot.waitUntil(lambda: co.state is ReceiptState.PAID)
    assert co.last_sale is not None
    return recorded_lines(ledger, co.last_sale.receipt_id)


def test_latte_typed_by_name_at_the_till_costs_250_not_25000(qtbot, open_window, store):
    ledger, _ = store
    window = open_window()
    co = window.checkout
    type_keys(qtbot, "kfnnt", gap_ms=70)  # "латте" under the Russian layout, then Enter
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)  # one match: added without a list
    assert co.model.lines[0].sku == "latte" and co.model.lines[0].price == LATTE
    qtbot.waitUntil(lambda: co.total_label.text() == "250.00")  # the quote comes off-thread
    assert pay_cash_and_read(qtbot, window, ledger) == [("latte", LATTE, 25000)]


def test_latte_chosen_from_the_pick_list_costs_250(qtbot, open_window, store):
    ledger, _ = store
    window = open_window()
    co = window.checkout
    shown: list[list[str]] = []

    def choose_latte(dialog: QDialog) -> None:
        assert isinstance(dialog, PickDialog)
        items = [dialog.list.item(i).text() for i in range(dialog.list.count())]
        shown.append(items)
        dialog.list.setCurrentRow(next(i for i, s in enumerate(items) if s.startswith("Латте")))
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)  # Enter picks the highlighted row

    when_modal(PickDialog, choose_latte)
    type_keys(qtbot, "0,4", layout="en", gap_ms=70)  # "Латте 0,4" and "Американо 0,4"
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    assert len(shown[0]) == 2
    assert any(s.startswith("Латте") and s.endswith("250.00") for s in shown[0]), shown
    assert any(s.startswith("Американо") and s.endswith("190.00") for s in shown[0]), shown
    assert co.model.lines[0].sku == "latte" and co.model.lines[0].price == LATTE
    assert pay_cash_and_read(qtbot, window, ledger) == [("latte", LATTE, 25000)]


def test_a_free_amount_of_250_at_the_till_costs_250(qtbot, open_window, store):
    ledger, _ = store
    window = open_window()
    co = window.checkout

    def enter_250(dialog: QDialog) -> None:
        assert isinstance(dialog, FreeAmountDialog)
        # Set, not typed: six quick keys and Enter are what a scanner sends, and the
        # window's scanner filter would take them for a scan. A decimal comma, as typed.
        dialog.amount.setText("250,00")
        box = dialog.findChild(QDialogButtonBox)
        accept = QDialogButtonBox.ButtonRole.AcceptRole
        next(b for b in box.buttons() if box.buttonRole(b) == accept).click()  # OK

    seen = when_modal(FreeAmountDialog, enter_250)
    qtbot.keyClick(co.code_input, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    assert seen and seen[0].amount_value == LATTE
    assert co.model.lines[0].price == LATTE
    [(sku, price, stored)] = pay_cash_and_read(qtbot, window, ledger)
    assert sku.startswith("free:") and (price, stored) == (LATTE, 25000)
