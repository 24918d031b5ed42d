"""A real cashier window on a real ledger, driven like a cashier and a scanner would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from cashier_app import service
from cashier_app.paths import resource
from cashier_app.service import catalogue, users
from cashier_app.service.users import OPERATOR, Role
from cashier_app.ui import theme
from cashier_app.ui.keyboard import LAYOUT_BACK, X11_KEYCODE_OF
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation

# What a key produces under the Russian layout: the inverse of LAYOUT_BACK.
RUSSIAN = {lat: cyr for cyr, lat in LAYOUT_BACK.items() if cyr.isalpha()}


def press(widget: QWidget, text: str, keycode: int, shift: bool) -> None:
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, 0, mods, keycode, 0, 0, text))


def key_enter(widget: QWidget) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(
            widget,
            QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, 36, 0, 0, "\r"),
        )


def type_keys(qtbot, code: str, layout: str = "ru", gap_ms: int = 0, enter: bool = True) -> None:
    """Send ``code`` as a keyboard would, to whatever widget has focus: physical keys
    (X11 keycodes) with the characters the active layout makes of them."""
    for ch in code:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has focus"
        keycode = X11_KEYCODE_OF[ch]
        shift = ch.isupper() or ch in ':"<>?{}!@#$%^&*()_+~|'
        text = RUSSIAN.get(ch, ch) if layout == "ru" else ch
        press(widget, text, keycode, shift)
        if gap_ms:
            qtbot.wait(gap_ms)
    if enter:
        key_enter(QApplication.focusWidget())


def when_modal(kind: type[QDialog], act: Callable[[QDialog], None]) -> list[QDialog]:
    """Run ``act`` on the modal dialog of ``kind`` once its exec() has shown it (a modal
    dialog blocks the window in its own event loop, so a timer does the clicking). Gives
    the dialogs seen, for the test to check afterwards."""
    seen: list[QDialog] = []
    timer = QTimer(QApplication.instance())  # parented: lives until it has acted
    polls = iter(range(500))  # 10 s

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        found = isinstance(dialog, kind) and dialog.isVisible()
        if not found and next(polls, None) is not None:
            return
        timer.stop()
        timer.deleteLater()
        if found:
            seen.append(dialog)
            # Should the act not close it, close it anyway: a dialog left open would keep
            # the test in its event loop past every waitUntil.
            QTimer.singleShot(3000, dialog, lambda: dialog.isVisible() and dialog.reject())
            act(dialog)

    timer.timeout.connect(poll)
    timer.start(20)
    return seen


def hid_scan(
    qtbot, code: str, layout: str = "ru", gap_ms: int = 0, terminator: str = "enter"
) -> None:
    """A USB HID scanner: the physical keys of a US keyboard, Shift pressed before every
    capital and every shifted symbol and released after it, ``gap_ms`` between keys, then
    Enter (or Tab). What each key produces follows the active layout."""
    shift_key = 50  # X11 keycode of the left Shift

    def send(
        kind: QEvent.Type, key: int, mods: Qt.KeyboardModifier, keycode: int, text: str
    ) -> None:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has focus"
        QApplication.sendEvent(widget, QKeyEvent(kind, key, mods, keycode, 0, 0, text))

    for ch in code:
        keycode = X11_KEYCODE_OF[ch]
        shifted = ch.isupper() or ch in ':"<>?{}!@#$%^&*()_+~|'
        text = RUSSIAN.get(ch, ch) if layout == "ru" else ch
        mods = Qt.KeyboardModifier.ShiftModifier if shifted else Qt.KeyboardModifier.NoModifier
        if shifted:
            send(QEvent.Type.KeyPress, Qt.Key.Key_Shift, mods, shift_key, "")
        key = (
            Qt.Key.Key_A + ord(ch.lower()) - ord("a") if ch.isascii() and ch.isalpha() else ord(ch)
        )
        if layout == "ru" and text != ch and text.isalpha():
            key = ord(text.upper())  # Qt's key of a Cyrillic letter is its code point
        send(QEvent.Type.KeyPress, key, mods, keycode, text)
        send(QEvent.Type.KeyRelease, key, mods, keycode, text)
        if shifted:
            send(
                QEvent.Type.KeyRelease,
                Qt.Key.Key_Shift,
                Qt.KeyboardModifier.NoModifier,
                shift_key,
                "",
            )
        if gap_ms:
            qtbot.wait(gap_ms)
    if terminator == "tab":
        send(QEvent.Type.KeyPress, Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier, 23, "\t")
    else:
        key_enter(QApplication.focusWidget())


@pytest.fixture
def store(make_ledger):
    ledger = make_ledger()
    catalogue.import_catalogue(ledger, resource("demo_catalogue.csv"))
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    staff = {
        "cashier": users.create_user(ledger, "Анна", Role.CASHIER, "1111", actor=admin),
        "senior": users.create_user(ledger, "Ольга", Role.SENIOR_CASHIER, "2222", actor=admin),
        "manager": users.create_user(ledger, "Мария", Role.MANAGER, "333333", actor=admin),
    }
    return ledger, staff


@pytest.fixture
def open_window(qtbot, qapp, store) -> Callable[[str], MainWindow]:
    theme.apply(qapp)
    ledger, staff = store
    made: list[tuple[MainWindow, TaskManager, ScannerFilter]] = []

    def make(role: str = "cashier") -> MainWindow:
        ws = Workstation(ledger, staff[role])
        ws.ensure_shift()
        tasks = TaskManager()
        scanner = ScannerFilter()
        scanner.install(qapp)
        window = MainWindow(ws, tasks, scanner)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        window.checkout.code_input.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is window.checkout.code_input)
        made.append((window, tasks, scanner))
        return window

    yield make
    for window, tasks, scanner in made:
        qapp.removeEventFilter(scanner)
        tasks.shutdown()
        window.close()


@pytest.fixture
def anna(store):
    ledger, _ = store
    return service.register_customer(
        ledger, "+79001234567", name="Анна Смирнова", at=datetime.now(UTC)
    )
