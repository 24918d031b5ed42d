"""Barcode scanners in keyboard mode, recognised from anywhere in the application.

An application-wide event filter holds back printable key presses for a few
milliseconds. Keys that arrive faster than a person can type and end with Enter or Tab
form a scan: the characters never reach the focused widget (a scan while the quantity
field has focus does not change the quantity) and ``scanned`` is emitted with the code.
Anything else, a person typing included, is replayed to the widget it was meant for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from cashier_app.ui.keyboard import decode_key

TERMINATORS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab}


@dataclass(frozen=True)
class ScannerSettings:
    """Workstation settings (QSettings, not the ledger): ``cashier-app scanner`` sets them."""

    max_interval_ms: int = 35  # scanners send a key every 1-15 ms; people every 80+ ms
    min_length: int = 6
    prefix: str = ""
    suffix: str = ""

    @classmethod
    def load(cls) -> ScannerSettings:
        store = QSettings("cashier-app", "workstation")
        d = cls()

        def number(key: str, default: int, low: int, high: int) -> int:
            try:
                value = int(store.value(f"scanner/{key}", default))  # type: ignore[call-overload]
            except (TypeError, ValueError):
                return default
            return value if low <= value <= high else default

        return cls(
            max_interval_ms=number("max_interval_ms", d.max_interval_ms, 5, 200),
            min_length=number("min_length", d.min_length, 1, 64),
            prefix=str(store.value("scanner/prefix", d.prefix) or ""),
            suffix=str(store.value("scanner/suffix", d.suffix) or ""),
        )

    def save(self) -> None:
        store = QSettings("cashier-app", "workstation")
        for key, value in (("max_interval_ms", self.max_interval_ms), ("min_length", self.min_length),
                           ("prefix", self.prefix), ("suffix", self.suffix)):  # fmt: skip
            store.setValue(f"scanner/{key}", value)
        store.sync()


@dataclass
class _Held:
    target: QObject
    event: QKeyEvent
    char: str


def _copy(event: QKeyEvent) -> QKeyEvent:
    return QKeyEvent(
        event.type(),
        event.key(),
        event.modifiers(),
        event.nativeScanCode(),
        event.nativeVirtualKey(),
        event.nativeModifiers(),
        event.text(),
        event.isAutoRepeat(),
        event.count(),
    )


class ScannerFilter(QObject):
    scanned = Signal(str)

    def __init__(
        self,
        settings: ScannerSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or ScannerSettings()
        self._clock = clock
        self._held: list[_Held] = []
        self._last = 0.0
        self._replaying = False
        self._windows = QGuiApplication.platformName() == "windows"
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def install(self, app: QCoreApplication) -> None:
        app.installEventFilter(self)

    # -- the filter ------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if self._replaying or event.type() != QEvent.Type.KeyPress:
            return False
        focus = QApplication.focusWidget() or QApplication.activeWindow()
        if obj is not focus or not isinstance(obj, QWidget):
            return False  # the same key on its way through windows and parents
        assert isinstance(event, QKeyEvent)
        now = self._clock()
        gap_ms = (now - self._last) * 1000
        self._last = now
        if self._held and gap_ms > self.settings.max_interval_ms:
            self.flush()
        if event.key() in TERMINATORS:
            if self._held and self._is_scan(self._code()):
                code = self._strip(self._code())
                self._held.clear()
                self._timer.stop()
                self.scanned.emit(code)
                return True
            self.flush()
            return False
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        char = decode_key(
            event.text(),
            native_scan_code=event.nativeScanCode(),
            native_virtual_key=event.nativeVirtualKey(),
            shift=shift,
            windows=self._windows,
        )
        plain = not (
            event.modifiers()
            & ~Qt.KeyboardModifier.ShiftModifier
            & ~Qt.KeyboardModifier.KeypadModifier
        )
        if char is None or not plain:
            self.flush()
            return False
        self._held.append(_Held(obj, _copy(event), char))
        self._timer.start(self.settings.max_interval_ms)
        return True

    def _code(self) -> str:
        return "".join(h.char for h in self._held)

    def _is_scan(self, code: str) -> bool:
        s = self.settings
        return (
            len(code) >= s.min_length + len(s.prefix) + len(s.suffix)
            and code.startswith(s.prefix)
            and code.endswith(s.suffix)
        )

    def _strip(self, code: str) -> str:
        s = self.settings
        return code[len(s.prefix) : len(code) - len(s.suffix) if s.suffix else None]

    def flush(self) -> None:
        """Give held keys to the widgets they were meant for: it was a person typing."""
        held, self._held = self._held, []
        self._timer.stop()
        self._replaying = True
        try:
            for h in held:
                QCoreApplication.sendEvent(h.target, h.event)
        finally:
            self._replaying = False
