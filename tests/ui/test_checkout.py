"""The cashier's workstation driven like a cashier and a scanner would (offscreen Qt)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.service.cards import qr_payload
from cashier_app.storage import schema as t
from cashier_app.ui.checkout import ReceiptState
from cashier_app.ui.dialogs import LoginDialog
from tests.ui.conftest import type_keys

LATTE = "4600000000015"  # Латте 0,4, 250.00, coffee
CIGS = "4600000000251"  # Сигареты, tobacco, no loyalty


def receipts(ledger) -> int:
    with ledger.db.read() as conn:
        return conn.execute(select(func.count()).select_from(t.receipts)).scalar_one()


def test_log_in_with_a_pin(qtbot, store):
    ledger, _ = store
    from cashier_app.service import users

    dialog = LoginDialog(
        [("Анна", "cashier"), ("Ольга", "senior cashier")], lambda n, p: users.login(ledger, n, p)
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.pin, "0000")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert dialog.error.text() == "Wrong PIN: 4 tries left." and dialog.actor is None
    # One Enter is one try (it used to count twice: the field and the default button).
    with ledger.db.read() as conn:
        failed = conn.execute(
            select(t.users.c.failed_pins).where(t.users.c.name == "Анна")
        ).scalar()
    assert failed == 1
    qtbot.keyClicks(dialog.pin, "1111")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert dialog.actor is not None and dialog.actor.name == "Анна"


def test_scan_product_and_card_in_russian_layout_redeem_max_and_pay(
    qtbot, open_window, store, anna
):
    ledger, _ = store
    service.adjust_balance(ledger, anna.customer.id, Decimal("300"), "welcome gift")
    window = open_window("cashier")
    co = window.checkout
    type_keys(qtbot, LATTE)  # a product barcode, scanned
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    type_keys(qtbot, qr_payload(anna.card))  # LOYAL:… arrives as ДЩНФДЖ… under the Russian layout
    qtbot.waitUntil(lambda: co.customer is not None)
    assert co.customer_name.text() == "Анна Смирнова"
    assert "+7 *** ***-45-67" in co.customer_line.text()  # a cashier sees a masked phone
    assert co.code_input.text() == ""  # nothing leaked into the focused field
    qtbot.waitUntil(lambda: co.quote is not None and co.quote.max_redeem == Decimal("75"))
    qtbot.keyClick(co.code_input, Qt.Key.Key_F6)  # Max
    qtbot.waitUntil(lambda: co.to_pay_label.text() == "175.00")
    assert co.redeem_input.text() == "75"
    qtbot.keyClick(co.code_input, Qt.Key.Key_F9)  # pay cash
    qtbot.waitUntil(lambda: co.state is ReceiptState.PAID)
    assert co.last_sale is not None and co.last_sale.quote.redeemed == Decimal("75")
    assert "Receipt" in co.slip_title.text() and "175.00" in co.slip_text.text()
    assert service.get_customer(ledger, anna.customer.id).balance == Decimal("230")  # 300 - 75 + 5
    assert receipts(ledger) == 1
    qtbot.keyClick(co.next_button, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: co.state is ReceiptState.OPEN and co.model.rowCount() == 0)


def test_a_scan_while_the_quantity_field_has_focus_does_not_change_the_quantity(qtbot, open_window):
    window = open_window()
    co = window.checkout
    co.qty_input.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is co.qty_input)
    co.qty_input.setText("3")
    type_keys(qtbot, LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    assert co.model.lines[0].qty == Decimal("3")  # the quantity typed before the scan applies
    assert co.qty_input.text() == "1"  # and the scanned digits never reached the field


def test_fast_human_typing_is_not_taken_for_a_scan(qtbot, open_window):
    window = open_window()
    co = window.checkout
    type_keys(qtbot, "latte", layout="en", gap_ms=70, enter=False)
    qtbot.waitUntil(lambda: co.code_input.text() == "latte")
    assert co.model.rowCount() == 0
    qtbot.keyClick(co.code_input, Qt.Key.Key_Return)  # typed SKU + Enter adds the product
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)


def test_malformed_scans_give_a_calm_message_and_change_nothing(qtbot, open_window, anna):
    window = open_window()
    co = window.checkout
    type_keys(qtbot, LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    before = [(ln.sku, ln.qty) for ln in co.model.lines]
    type_keys(qtbot, "LOYAL:2999999999999")  # a card nobody has: F3 is offered
    qtbot.waitUntil(lambda: "has no customer yet: F3" in co.message.text())
    assert co.unknown_card == "2999999999999"
    type_keys(qtbot, "%%%%%%%%")  # garbage
    qtbot.waitUntil(lambda: "%%%%" in co.message.text())
    type_keys(qtbot, "12")  # too short to be a scan: it reaches the field as typing
    qtbot.waitUntil(lambda: "Nothing found" in co.message.text())
    assert [(ln.sku, ln.qty) for ln in co.model.lines] == before
    assert co.customer is None


def test_no_loyalty_items_earn_nothing_and_the_total_still_counts(qtbot, open_window, anna):
    window = open_window()
    co = window.checkout
    type_keys(qtbot, CIGS)
    type_keys(qtbot, anna.card)
    qtbot.waitUntil(
        lambda: (
            co.customer is not None and co.quote is not None and co.quote.total == Decimal("240.00")
        )
    )
    assert co.quote.accrued == 0 and co.earn_label.text() == "0"


def test_register_at_the_till_and_see_the_card(qtbot, open_window, store):
    from cashier_app.ui.dialogs import RegistrationDialog

    ledger, _ = store
    window = open_window()
    dialog = RegistrationDialog(window.ws, window.tasks, "", window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.phone, "8 912 000-11-22")
    assert dialog.ok.isEnabled()
    dialog.name.setText("Пётр Новиков")  # QTest.keyClicks types ASCII only
    dialog.consent.setChecked(True)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_registration is not None)
    assert not dialog.barcode.pixmap().isNull() and not dialog.qr.pixmap().isNull()
    found = service.find_by_phone(ledger, "+79120001122")
    assert found == dialog.result_registration.customer.id


def test_registration_refuses_a_bad_phone_as_it_is_typed(qtbot, open_window):
    from cashier_app.ui.dialogs import RegistrationDialog

    window = open_window()
    dialog = RegistrationDialog(window.ws, window.tasks, "", window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.phone, "12345")
    assert not dialog.ok.isEnabled() and dialog.phone.property("invalid") is True


def test_partial_return_by_a_senior_cashier(qtbot, open_window, store, anna):
    from cashier_app.ui.dialogs import ReturnDialog

    ledger, staff = store
    from cashier_app.engine.receipt import LineInput
    from cashier_app.service import users

    users.open_shift(ledger, actor=staff["cashier"])
    sale = service.record_sale(
        ledger, [LineInput("latte", Decimal("250.00"), Decimal(2), category="coffee", name="Латте")],
        customer_id=anna.customer.id, actor=staff["cashier"],
    )  # fmt: skip
    window = open_window("senior")
    assert window.return_action.isVisible()
    dialog = ReturnDialog(window.ws, window.tasks, window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.number, sale.number)
    qtbot.keyClick(dialog.number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.table.item(0, 3).setText("1")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_return is not None)
    assert dialog.result_return.refunded == Decimal("250.00")
    assert dialog.result_return.points_taken_back == Decimal("8")


def test_a_cashier_cannot_reach_manager_actions(qtbot, open_window):
    window = open_window("cashier")
    assert not window.return_action.isVisible()
    assert not window.import_action.isEnabled()
    qtbot.keyClick(window.checkout.code_input, Qt.Key.Key_F7)
    assert "senior cashier" in window.checkout.message.text()


def test_customer_card_shows_lots_and_receipts(qtbot, open_window, store, anna):
    from cashier_app.ui.dialogs import CustomerCardDialog

    ledger, _ = store
    service.adjust_balance(ledger, anna.customer.id, Decimal("100"), "gift")
    window = open_window()
    dialog = CustomerCardDialog(
        window.ws, window.tasks, service.get_customer(ledger, anna.customer.id), window
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.lots.rowCount() == 1)
    assert dialog.lots.item(0, 1).text() == "100"


def test_import_dialog_reports_rows_and_the_window_keeps_ticking(
    qtbot, open_window, store, tmp_path
):
    from PySide6.QtCore import QTimer

    from cashier_app.ui.dialogs import ImportDialog

    csv = tmp_path / "catalogue.csv"
    rows = ["sku,barcode,name,price,category,brand,no_loyalty"]
    rows += [f"s{i},{2900000000000 + i},Товар {i},{i % 500 + 1}.00,c{i % 7},," for i in range(5000)]
    rows.append("bad,,Хлеб,двести,,,")
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    window = open_window("manager")
    assert window.import_action.isEnabled()
    dialog = ImportDialog(window.ws, window.tasks, csv, window)
    qtbot.addWidget(dialog)
    ticks = []
    beat = QTimer()
    beat.timeout.connect(lambda: ticks.append(1))
    beat.start(10)
    dialog.skip.setChecked(True)
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30000)
    beat.stop()
    assert dialog.report.imported == 5000 and len(dialog.report.problems) == 1
    assert dialog.problems.count() == 1 and "двести" in dialog.problems.item(0).text()
    assert dialog.progress.value() == 100
    assert len(ticks) > 5  # the event loop kept running while the writer thread imported


def test_register_into_another_group(qtbot, open_window):
    from cashier_app.ui.dialogs import RegistrationDialog

    window = open_window()
    dialog = RegistrationDialog(window.ws, window.tasks, "+79120003344", window)
    qtbot.addWidget(dialog)
    assert dialog.group.currentData() == "regular"  # the default group
    dialog.group.setCurrentIndex(dialog.group.findData("staff"))
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_registration is not None)
    assert dialog.result_registration.customer.group_id == "staff"


def test_return_from_the_customers_history(qtbot, open_window, store, anna, monkeypatch):
    from cashier_app.engine.receipt import LineInput
    from cashier_app.service import users
    from cashier_app.ui import dialogs

    ledger, staff = store
    users.open_shift(ledger, actor=staff["cashier"])
    sale = service.record_sale(ledger, [LineInput("latte", Decimal("250.00"), Decimal(2), name="Латте")],
                               customer_id=anna.customer.id, actor=staff["cashier"])  # fmt: skip
    window = open_window("senior")
    card = dialogs.CustomerCardDialog(
        window.ws, window.tasks, service.get_customer(ledger, anna.customer.id), window
    )
    qtbot.addWidget(card)
    qtbot.waitUntil(lambda: card.receipts.rowCount() == 1)
    opened = []
    monkeypatch.setattr(
        dialogs.ReturnDialog, "exec", lambda self: opened.append(self.number.text())
    )
    card.receipts.selectRow(0)
    qtbot.mouseClick(card.return_button, Qt.MouseButton.LeftButton)
    assert opened == [sale.number]
