"""The counter as a cashier meets it: real scanners (Shift inside the burst, slow ones),
the quantity key, scans into dialogs and at the login screen, Enter after payment, a
window that fits a small screen. Each case is judged by what the ledger recorded where
it records anything."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from sqlalchemy import select

from cashier_app import service
from cashier_app.service import users
from cashier_app.service.cards import qr_payload
from cashier_app.storage import schema as t
from cashier_app.ui import i18n
from cashier_app.ui.checkout import ReceiptState
from cashier_app.ui.dialogs import FreeAmountDialog, LoginDialog, RegistrationDialog
from cashier_app.ui.scanner import Burst, ScannerFilter, ScannerSettings, is_scan
from tests.ui.conftest import hid_scan, key_enter, type_keys, when_modal

LATTE = "4600000000015"  # Латте 0,4, 250.00
CAPPUCCINO = "4600000000022"  # Капучино 0,3, 220.00


def recorded_lines(ledger) -> list[tuple[str, Decimal, Decimal, str | None]]:
    """(sku, qty, price, customer) of every receipt line the ledger holds."""
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(
                t.receipt_lines.c.sku,
                t.receipt_lines.c.qty,
                t.receipt_lines.c.price,
                t.receipts.c.customer_id,
            )
            .join(t.receipts, t.receipts.c.id == t.receipt_lines.c.receipt_id)
            .order_by(t.receipts.c.number, t.receipt_lines.c.line_no)
        ).all()
    return [tuple(r) for r in rows]


def pay_cash(qtbot, co) -> None:
    qtbot.waitUntil(lambda: co.quote is not None and co.cash_button.isEnabled())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: co.state is ReceiptState.PAID)


@pytest.fixture(autouse=True)
def _own_settings(tmp_path):
    """Workstation settings (last user, scanner) of this test only."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield


# -- the quantity key ------------------------------------------------------------------------
def test_ctrl_q_then_3_sells_three_not_thirteen(qtbot, open_window, store):
    ledger, _ = store
    co = open_window().checkout
    qtbot.keyClick(co.code_input, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is co.qty_input)
    qtbot.waitUntil(lambda: co.qty_input.selectedText() == "1")
    qtbot.keyClicks(co.qty_input, "3")
    qtbot.waitUntil(lambda: co.qty_input.text() == "3")  # typing is given back in ~0.1 s
    qtbot.keyClick(co.qty_input, Qt.Key.Key_Return)  # Enter goes back to the code field
    assert QApplication.focusWidget() is co.code_input
    type_keys(qtbot, LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    pay_cash(qtbot, co)
    assert recorded_lines(ledger) == [("latte", Decimal(3), Decimal("250.00"), None)]


def test_a_weight_of_0_350_is_0_350_not_10_35(qtbot, open_window):
    co = open_window().checkout
    qtbot.keyClick(co.code_input, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: co.qty_input.selectedText() == "1")
    qtbot.keyClicks(co.qty_input, "0.350")
    qtbot.waitUntil(lambda: co.qty_input.text() == "0.350")


def test_ctrl_q_works_under_a_single_russian_layout(qtbot, open_window):
    """Under ru alone Qt sees Ctrl+Й; the physical key is Q (X11 keycode 24)."""
    co = open_window().checkout
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(
            co.code_input,
            QKeyEvent(kind, 0x419, Qt.KeyboardModifier.ControlModifier, 24, 0, 0, "й"),
        )
    qtbot.waitUntil(lambda: QApplication.focusWidget() is co.qty_input)


def test_ctrl_a_selects_all_under_a_single_ukrainian_layout(qtbot, open_window):
    co = open_window().checkout
    co.code_input.setText("латте")
    co.code_input.deselect()
    QApplication.sendEvent(
        co.code_input,
        QKeyEvent(QEvent.Type.KeyPress, 0x424, Qt.KeyboardModifier.ControlModifier, 38, 0, 0, "ф"),
    )
    assert co.code_input.selectedText() == "латте"


# -- scanners as they really are --------------------------------------------------------------
@pytest.mark.parametrize("layout", ["ru", "us"])
def test_a_qr_card_scanned_with_shift_inside_the_burst_finds_the_customer(
    qtbot, open_window, anna, layout
):
    co = open_window().checkout
    hid_scan(qtbot, qr_payload(anna.card), layout=layout, gap_ms=2)
    qtbot.waitUntil(lambda: co.customer is not None)
    assert co.customer.id == anna.customer.id
    assert co.code_input.text() == ""


@pytest.mark.parametrize("gap_ms", [1, 10, 30, 50])
def test_a_card_scanned_into_the_quantity_field_sets_the_customer_at_any_scanner_pace(
    qtbot, open_window, anna, gap_ms
):
    co = open_window().checkout
    co.qty_input.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is co.qty_input)
    hid_scan(qtbot, qr_payload(anna.card), gap_ms=gap_ms)
    qtbot.waitUntil(lambda: co.customer is not None)
    assert co.qty_input.text() == "1"  # the card never became a quantity


def test_a_card_in_the_points_field_never_becomes_points(qtbot, open_window, store, anna):
    """Even a scanner slower than the filter allows: Enter in the points field with a
    13-digit number is a code, not 2 trillion points."""
    co = open_window().checkout
    type_keys(qtbot, LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    co.redeem_input.setEnabled(True)
    co.redeem_input.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is co.redeem_input)
    type_keys(qtbot, anna.card, gap_ms=120)  # far slower than any scanner: arrives as typing
    qtbot.waitUntil(lambda: co.customer is not None)
    assert co.redeem_input.text() == "0"


def test_a_person_typing_a_phone_fast_but_unevenly_is_not_a_scan():
    settings = ScannerSettings()
    person = Burst("89001234567", (70, 35, 68, 40, 72, 30, 66, 45, 71, 38, 60))
    assert not is_scan(person, settings)
    slow_scanner = Burst("2000100000014", (50, 49, 51, 50, 50, 52, 48, 50, 50, 51, 50, 49, 50))
    assert is_scan(slow_scanner, settings)
    fast_scanner = Burst("LOYAL:2000100000014", (2, 0, 9, 1, 3) + (1,) * 14)
    assert is_scan(fast_scanner, settings)
    too_short = Burst("1234", (5, 5, 5, 5))
    assert not is_scan(too_short, settings)


def test_calibration_learns_the_scanners_pace_prefix_and_suffix(qtbot, qapp):
    from cashier_app.ui.scanner_dialog import TEST_CODE, ScannerDialog

    scanner = ScannerFilter(ScannerSettings())
    scanner.install(qapp)
    try:
        dialog = ScannerDialog(scanner)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
        qtbot.mouseClick(dialog.calibrate_button, Qt.MouseButton.LeftButton)
        hid_scan(qtbot, "]C" + TEST_CODE + "#", layout="us", gap_ms=45)
        qtbot.waitUntil(lambda: dialog.prefix.text() == "]C")
        assert dialog.suffix.text() == "#"
        # just above the scanner's own pace: looser would take fast typing for scans
        assert 50 <= dialog.interval.value() <= 70
        dialog.save()
        assert ScannerSettings.load().prefix == "]C" and scanner.settings.suffix == "#"
    finally:
        qapp.removeEventFilter(scanner)


# -- scans where the cashier is not at the receipt -------------------------------------------
def test_a_scan_at_the_login_screen_costs_no_pin_tries(qtbot, qapp, store):
    ledger, _ = store
    scanner = ScannerFilter()
    scanner.install(qapp)
    dialog = LoginDialog([("Анна", "cashier")], lambda n, p: users.login(ledger, n, p))
    scanner.scanned.connect(dialog.take_scan)
    qtbot.addWidget(dialog)
    try:
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.pin)
        for _ in range(3):
            hid_scan(qtbot, "2000100000014", gap_ms=1)
        qtbot.waitUntil(lambda: "scan, not a PIN" in dialog.error.text())
        with ledger.db.read() as conn:
            failed = conn.execute(
                select(t.users.c.failed_pins).where(t.users.c.name == "Анна")
            ).scalar()
        assert failed == 0 and dialog.actor is None and dialog.pin.text() == ""
    finally:
        qapp.removeEventFilter(scanner)


def test_the_login_list_starts_on_the_last_user_of_this_till(qtbot, store):
    ledger, _ = store
    people = [("Admin", "administrator"), ("Анна", "cashier"), ("Ольга", "senior cashier")]
    first = LoginDialog(people, lambda n, p: users.login(ledger, n, p))
    qtbot.addWidget(first)
    assert first.user.currentData() == "Admin"
    first.user.setCurrentIndex(2)
    first.pin.setText("2222")
    first.try_login()
    assert first.actor is not None and first.actor.name == "Ольга"
    again = LoginDialog(people, lambda n, p: users.login(ledger, n, p))
    qtbot.addWidget(again)
    assert again.user.currentData() == "Ольга"


def test_a_referrers_card_scanned_in_registration_goes_to_the_referrer_field(
    qtbot, open_window, anna
):
    window = open_window()
    co = window.checkout

    def scan_referrer(dialog) -> None:
        dialog.referrer.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.referrer)
        hid_scan(qtbot, anna.card, gap_ms=1)
        qtbot.waitUntil(lambda: dialog.referrer.text() == anna.card)
        dialog.reject()

    seen = when_modal(RegistrationDialog, scan_referrer)
    qtbot.keyClick(co.code_input, Qt.Key.Key_F3)
    qtbot.waitUntil(lambda: bool(seen) and not seen[0].isVisible())
    assert co.customer is None  # the receipt behind the dialog was not touched


def test_a_scan_into_a_dialog_without_a_code_field_is_refused_on_top(qtbot, open_window, anna):
    window = open_window()
    co = window.checkout
    banners: list[str] = []

    def scan_into_free_amount(dialog) -> None:
        dialog.amount.setFocus()
        hid_scan(qtbot, qr_payload(anna.card), gap_ms=1)
        qtbot.waitUntil(lambda: dialog.findChild(QLabel, "notice") is not None)
        banners.append(dialog.findChild(QLabel, "notice").text())
        assert dialog.amount.text() == ""
        dialog.reject()

    seen = when_modal(FreeAmountDialog, scan_into_free_amount)
    qtbot.keyClick(co.code_input, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: bool(banners))
    assert "cannot go into this window" in banners[0]
    assert seen and co.customer is None and co.model.rowCount() == 0


def test_an_unknown_card_is_offered_to_a_new_customer_with_f3(qtbot, open_window, store):
    ledger, _ = store
    window = open_window()
    co = window.checkout
    hid_scan(qtbot, "2000100000014", gap_ms=1)  # a pre-printed card nobody has yet
    qtbot.waitUntil(lambda: "F3" in co.message.text())

    def register(dialog) -> None:
        assert dialog.card.text() == "2000100000014"
        dialog.phone.setText("+79005556677")
        dialog.register()
        qtbot.waitUntil(lambda: dialog.result_registration is not None)
        dialog.accept()

    when_modal(RegistrationDialog, register)
    qtbot.keyClick(co.code_input, Qt.Key.Key_F3)
    qtbot.waitUntil(lambda: co.customer is not None)
    assert service.find_by_card(ledger, "2000100000014") == co.customer.id


# -- payment and the next customer -----------------------------------------------------------
def test_enter_after_payment_starts_the_next_receipt(qtbot, open_window):
    co = open_window().checkout
    type_keys(qtbot, LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    pay_cash(qtbot, co)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is co.next_button)
    key_enter(co.next_button)
    qtbot.waitUntil(lambda: co.state is ReceiptState.OPEN and co.model.rowCount() == 0)


def test_scan_card_products_f6_f9_then_the_next_customers_card(qtbot, open_window, store, anna):
    """A whole sale with two keys: the scans, F6, F9, and the next customer's scan."""
    ledger, _ = store
    service.adjust_balance(ledger, anna.customer.id, Decimal("300"), "gift")
    boris = service.register_customer(ledger, "+79007654321", name="Борис")
    co = open_window().checkout
    hid_scan(qtbot, qr_payload(anna.card), gap_ms=1)
    hid_scan(qtbot, LATTE, gap_ms=1)
    hid_scan(qtbot, CAPPUCCINO, gap_ms=1)
    qtbot.waitUntil(lambda: co.model.rowCount() == 2 and co.customer is not None)
    qtbot.waitUntil(lambda: co.quote is not None and co.quote.max_redeem > 0)
    most = co.quote.max_redeem
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: co.quote is not None and co.quote.redeemed > 0)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F9)
    hid_scan(qtbot, boris.card, gap_ms=1)  # at once, while the sale may still be recording
    qtbot.waitUntil(lambda: co.customer is not None and co.customer.id == boris.customer.id)
    assert co.state is ReceiptState.OPEN and co.model.rowCount() == 0
    lines = recorded_lines(ledger)
    assert [(sku, qty, price) for sku, qty, price, _ in lines] == [
        ("latte", Decimal(1), Decimal("250.00")), ("cappuccino", Decimal(1), Decimal("220.00")),
    ]  # fmt: skip
    assert {customer for *_, customer in lines} == {anna.customer.id}
    with ledger.db.read() as conn:
        redeemed = conn.execute(select(t.receipts.c.redeemed)).scalar_one()
    assert redeemed == most > 0


# -- the window on a small screen -------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "ru", "uk"])
def test_the_window_fits_1280_by_720_in_every_language(qtbot, qapp, open_window, lang):
    i18n.install(qapp, lang)
    try:
        window = open_window("senior")
        hint = window.minimumSizeHint()
        assert hint.width() <= 1280 and hint.height() <= 720 - 40, hint  # 40: the title bar
        window.resize(1280, 680)
        qtbot.wait(50)
        co = window.checkout
        for widget in (co.cash_button, co.card_pay_button, co.max_button, co.hints):
            assert widget.isVisible() and widget.geometry().bottom() <= co.height()
    finally:
        i18n.install(qapp, "en")


def test_the_status_bar_names_the_role_once_and_a_standalone_till_says_so(qtbot, open_window):
    window = open_window("cashier")
    assert window.user_label.text() == "Анна (cashier)"
    assert window.online_label.text() == "● Standalone"
    assert window.queue_label.text() == ""


def test_a_cashier_sees_no_return_hint(qtbot, open_window):
    assert "F7" not in open_window("cashier").checkout.hints.text()
    assert "F7" in open_window("senior").checkout.hints.text()


def test_a_bad_phone_says_why_register_is_greyed(qtbot, open_window):
    window = open_window()
    dialog = RegistrationDialog(window.ws, window.tasks, "", window)
    qtbot.addWidget(dialog)
    dialog.phone.setText("8 912 67 89")
    assert not dialog.ok.isEnabled()
    assert "Not a phone number" in dialog.error.text()
    dialog.phone.setText("8 912 ABC 67 89")
    assert not dialog.ok.isEnabled()
    assert "digits only" in dialog.error.text()


def test_free_amount_categories_read_as_words_and_buttons_speak_russian(qtbot, qapp):
    i18n.install(qapp, "ru")
    try:
        dialog = FreeAmountDialog(["coffee", "bakery", "a_shop_code"])
        qtbot.addWidget(dialog)
        items = [dialog.category.itemText(i) for i in range(dialog.category.count())]
        assert items == ["Без категории", "Кофе", "Выпечка", "a_shop_code"]
        assert dialog.category_code() is None  # nothing is filed as bakery by default
        dialog.category.setCurrentIndex(2)
        assert dialog.category_code() == "bakery"
        texts = {b.text() for b in dialog.findChildren(QLineEdit)} | {
            b.text()
            for b in dialog.findChildren(__import__("PySide6.QtWidgets").QtWidgets.QPushButton)
        }
        assert {"ОК", "Отмена"} <= texts
    finally:
        i18n.install(qapp, "en")


def test_close_shift_returns_to_the_login_screen(qtbot, open_window, store):
    ledger, staff = store
    from cashier_app.ui.reports.shift_dialog import ShiftReportDialog

    window = open_window("cashier")
    shown = when_modal(ShiftReportDialog, lambda dialog: dialog.accept())  # its report first
    with qtbot.waitSignal(window.logged_out):
        window.close_shift()
    assert shown
    assert not window.isVisible()
    assert users.current_shift(ledger, staff["cashier"]) is None


def test_a_number_that_is_one_customers_phone_and_anothers_card_asks_which(
    qtbot, open_window, store, anna
):
    """Anna's phone is +7 900 123-45-67; Boris carries a pre-printed card 9001234567."""
    ledger, _ = store
    boris = service.register_customer(ledger, "+79005550000", name="Борис", card="9001234567")
    window = open_window()
    found = window.ws.identify("9001234567")
    assert found.kind == "ambiguous"
    assert [c.id for c in found.candidates] == [anna.customer.id, boris.customer.id]
    co = window.checkout

    def choose_card(dialog) -> None:
        assert "Борис" in dialog.list.item(1).text()
        dialog.list.setCurrentRow(1)
        dialog.accept()

    from cashier_app.ui.dialogs import PickDialog

    when_modal(PickDialog, choose_card)
    co.code_input.setText("9001234567")
    key_enter(co.code_input)
    qtbot.waitUntil(lambda: co.customer is not None)
    assert co.customer.id == boris.customer.id


def test_f9_right_after_typing_50_points_pays_50_not_5(qtbot, open_window, store, anna):
    """Typed keys are held a moment (they could be the start of a scan); a shortcut that
    comes meanwhile waits for them."""
    ledger, _ = store
    service.adjust_balance(ledger, anna.customer.id, Decimal("300"), "gift")
    co = open_window().checkout
    type_keys(qtbot, LATTE)
    type_keys(qtbot, anna.card)
    qtbot.waitUntil(lambda: co.customer is not None and co.quote is not None)
    qtbot.waitUntil(lambda: co.redeem_input.isEnabled())
    co.redeem_input.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is co.redeem_input)
    co.redeem_input.selectAll()
    type_keys(qtbot, "50", enter=False)  # held by the scanner filter for now
    qtbot.keyClick(co.redeem_input, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: co.state is ReceiptState.PAID)
    with ledger.db.read() as conn:
        assert conn.execute(select(t.receipts.c.redeemed)).scalar_one() == Decimal("50")


# -- what a cashier tried on a real X server -------------------------------------------------
def test_a_products_barcode_is_never_registered_as_a_card(store):
    from cashier_app.engine.errors import LoyaltyError

    ledger, _ = store
    with pytest.raises(LoyaltyError) as refused:
        service.register_customer(ledger, "+79051112233", card=LATTE)
    assert refused.value.code == "card_is_product"
    assert service.find_by_phone(ledger, "+79051112233") is None


def test_a_product_scanned_into_the_phone_field_of_registration_goes_nowhere(
    qtbot, open_window, store
):
    window = open_window()
    co = window.checkout
    notes: list[str] = []

    def scan_latte(dialog) -> None:
        dialog.phone.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.phone)
        hid_scan(qtbot, LATTE, gap_ms=1)
        qtbot.waitUntil(lambda: dialog.findChild(QLabel, "notice") is not None)
        notes.append(dialog.findChild(QLabel, "notice").text())
        assert dialog.card.text() == "" and dialog.phone.text() == ""
        dialog.reject()

    when_modal(RegistrationDialog, scan_latte)
    qtbot.keyClick(co.code_input, Qt.Key.Key_F3)
    qtbot.waitUntil(lambda: bool(notes))
    assert "Card or Referrer" in notes[0]
    assert co.model.rowCount() == 0 and co.customer is None


def test_a_product_wins_over_a_card_registered_with_its_barcode_before_it_was_refused(
    qtbot, open_window, store, anna
):
    ledger, _ = store
    with ledger.db.write() as conn:  # as an older version let it happen
        conn.execute(t.cards.insert().values(number=LATTE, customer_id=anna.customer.id,
                                             issued_at=anna.customer.registered_at))  # fmt: skip
    window = open_window()
    assert window.ws.identify(LATTE).kind == "product"
    assert window.ws.identify("LOYAL:" + LATTE).kind == "customer"


def test_two_enters_on_an_unknown_phone_do_not_register_a_nameless_customer(
    qtbot, open_window, store
):
    ledger, _ = store
    window = open_window()
    co = window.checkout
    seen = []

    def press_enter_again(dialog) -> None:
        seen.append(dialog)
        # the name comes next (focus moves once the dialog is active: later on a busy machine)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name, timeout=3000)
        key_enter(dialog.name)
        qtbot.wait(100)
        assert dialog.result_registration is None
        dialog.reject()

    when_modal(RegistrationDialog, press_enter_again)
    co.code_input.setText("89990001133")
    key_enter(co.code_input)
    qtbot.waitUntil(lambda: bool(seen) and not seen[0].isVisible())
    assert service.find_by_phone(ledger, "+79990001133") is None


def test_del_in_the_empty_code_field_removes_the_selected_line(qtbot, open_window):
    co = open_window().checkout
    type_keys(qtbot, LATTE)
    type_keys(qtbot, CAPPUCCINO)
    qtbot.waitUntil(lambda: co.model.rowCount() == 2)
    assert QApplication.focusWidget() is co.code_input
    qtbot.keyClick(co.code_input, Qt.Key.Key_Up)
    qtbot.keyClick(co.code_input, Qt.Key.Key_Delete)
    assert [ln.sku for ln in co.model.lines] == ["cappuccino"]
    qtbot.keyClick(co.code_input, Qt.Key.Key_Delete)
    assert co.model.rowCount() == 0


def test_the_russian_keys_of_the_point_make_a_weight(qtbot, open_window):
    """Under ЙЦУКЕН the "." key types "ю": 0ю350 is 0.350 kg."""
    co = open_window().checkout
    co.qty_input.setText("0ю350")
    type_keys(qtbot, LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    assert co.model.lines[0].qty == Decimal("0.350")


def test_a_scan_while_the_menu_is_open_reaches_the_receipt(qtbot, open_window, anna):
    window = open_window()
    co = window.checkout
    menu = window.menuBar().actions()[0].menu()
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is menu)
    from tests.ui.conftest import RUSSIAN, X11_KEYCODE_OF  # keys to the menu, as X sends them

    for ch in anna.card:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(menu, QKeyEvent(kind, ord(ch), Qt.KeyboardModifier.NoModifier,
                                                   X11_KEYCODE_OF[ch], 0, 0, RUSSIAN.get(ch, ch)))  # fmt: skip
    QApplication.sendEvent(
        menu,
        QKeyEvent(
            QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, 36, 0, 0, "\r"
        ),
    )
    qtbot.waitUntil(lambda: co.customer is not None)
    assert not menu.isVisible()


def test_closing_the_shift_over_an_unpaid_receipt_asks_first(qtbot, open_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window = open_window()
    co = window.checkout
    type_keys(qtbot, LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1)
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.No
    )
    window.close_shift()
    assert asked and window.isVisible() and co.model.rowCount() == 1


def test_a_second_card_over_a_receipt_says_the_customer_changed(qtbot, open_window, store, anna):
    ledger, _ = store
    boris = service.register_customer(ledger, "+79007654321", name="Борис")
    co = open_window().checkout
    hid_scan(qtbot, anna.card, gap_ms=1)
    qtbot.waitUntil(lambda: co.customer is not None)
    hid_scan(qtbot, boris.card, gap_ms=1)
    qtbot.waitUntil(lambda: co.customer.id == boris.customer.id)
    assert co.message.text() == "Customer changed: Борис (was Анна Смирнова)."
