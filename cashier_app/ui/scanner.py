"""Barcode scanners in keyboard mode, recognised from anywhere in the application.

An application-wide event filter holds back printable key presses for a moment. Keys
that arrive at a scanner's pace and end with Enter or Tab form a scan: the characters
never reach the focused widget (a scan while the quantity field has focus does not change
the quantity) and ``scanned`` is emitted with the code. Anything else, a person typing
included, is replayed to the widget it was meant for.

What tells a scanner from a person (both arrive as key presses):

* pace: a USB scanner sends a key every 1-15 ms, a Bluetooth or older one up to 50 ms;
  people type at 80 ms and slower, and never a dozen keys in a row under 75 ms;
* length: a code has at least ``min_length`` characters and ends with a terminator that
  comes at the same pace;
* regularity: a slow scanner is as regular as a clock; a person's fast bursts are not;
* no auto-repeat: a held key repeats fast and regularly, but Qt marks it.

Modifier keys inside a burst (a HID scanner presses Shift before every capital and
before ``:``) belong to the burst. Moments are the X server's own key timestamps when the
platform gives them, so a busy UI thread does not stretch the gaps between keys.

The same filter matches Ctrl shortcuts by the physical key, so Ctrl+Q works under a
single Russian or Ukrainian layout, where Qt sees Ctrl+Й.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from cashier_app.ui.keyboard import decode_key

TERMINATORS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab}
MODIFIERS = {
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr,
    Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock, Qt.Key.Key_Super_L, Qt.Key.Key_Super_R,
}  # fmt: skip
# Held keys are given back this long after the last one when no terminator comes; a
# little past the interval, so a late timer never splits a scan that is still arriving.
FLUSH_MARGIN_MS = 40
# At this pace or faster nobody types: no regularity test is needed.
NOBODY_TYPES_MS = 25


@dataclass(frozen=True)
class ScannerSettings:
    """Workstation settings (QSettings, not the ledger): set by ``cashier-app scanner`` or
    measured by the window's scanner calibration."""

    max_interval_ms: int = 75  # slow Bluetooth scanners send a key every 50 ms
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


@dataclass(frozen=True)
class Burst:
    """Characters that came in one run of keys, with the gaps (ms) before each key after
    the first and before the terminator."""

    text: str
    gaps: tuple[float, ...] = ()
    terminated: bool = True


def is_scan(burst: Burst, settings: ScannerSettings) -> bool:
    """A scanner's burst, not a person: see the module's notes."""
    s = settings
    code = burst.text
    if not burst.terminated or len(code) < s.min_length + len(s.prefix) + len(s.suffix):
        return False
    if not (code.startswith(s.prefix) and code.endswith(s.suffix)):
        return False
    if any(g > s.max_interval_ms for g in burst.gaps):
        return False
    if not burst.gaps:
        return True
    typical = statistics.median(burst.gaps)
    if typical <= NOBODY_TYPES_MS:
        return True
    # At the pace of a fast typist's best moments it must be as even as a machine: nearly
    # every gap within a quarter of the typical one. A person's fast run alternates easy
    # and hard key pairs (35 ms, then 70 ms) and fails this.
    even = sum(abs(g - typical) <= typical * 0.25 + 3 for g in burst.gaps)
    return even >= 0.8 * len(burst.gaps)


def strip_code(code: str, settings: ScannerSettings) -> str:
    s = settings
    return code[len(s.prefix) : len(code) - len(s.suffix) if s.suffix else None]


@dataclass
class _Held:
    target: QObject
    event: QKeyEvent
    char: str


@dataclass
class Calibration:
    """One scan of a known code, measured key by key (the scanner settings dialog)."""

    keys: list[tuple[str, float]] = field(default_factory=list)  # (char, moment ms)
    terminator: str = ""
    ended_at: float = 0.0

    def text(self) -> str:
        return "".join(ch for ch, _ in self.keys)

    def gaps(self) -> list[float]:
        moments = [at for _, at in self.keys] + ([self.ended_at] if self.terminator else [])
        return [b - a for a, b in itertools.pairwise(moments)]


def measured_settings(
    calibration: Calibration, known_code: str, current: ScannerSettings
) -> ScannerSettings | None:
    """Settings that recognise this scanner: its pace with room to spare, and whatever it
    sends around the known code as prefix and suffix. None when the known code is not in
    what was scanned (a different code, or the scan went wrong)."""
    text = calibration.text()
    at = text.find(known_code)
    if at < 0 or not calibration.terminator:
        return None
    gaps = calibration.gaps()
    slowest = max(gaps) if gaps else 1.0
    # Just above this scanner's slowest key: every millisecond more lets a fast typist's
    # run of keys pass for a scan (at 90 ms, 4 phones in 11 typed at 60-90 ms vanished).
    interval = int(min(200, max(30, slowest * 1.2 + 5)))
    return ScannerSettings(
        max_interval_ms=interval,
        min_length=current.min_length,
        prefix=text[:at],
        suffix=text[at + len(known_code) :],
    )


def _copy(event: QKeyEvent, key: int | None = None) -> QKeyEvent:
    return QKeyEvent(
        event.type(),
        event.key() if key is None else key,
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
    calibrated = Signal(object)  # a Calibration, once a calibration scan ends

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
        self._gaps: list[float] = []
        self._last_ms: float | None = None
        self._replaying = False
        self._calibration: Calibration | None = None
        self._windows = QGuiApplication.platformName() == "windows"
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def install(self, app: QCoreApplication) -> None:
        app.installEventFilter(self)

    def start_calibration(self) -> None:
        """Record the next burst whatever its pace, for ``measured_settings``."""
        self.flush()
        self._calibration = Calibration()

    def stop_calibration(self) -> None:
        self._calibration = None

    # -- the filter ------------------------------------------------------------------------
    def _moment_ms(self, event: QKeyEvent) -> float:
        # The X server's timestamp of the key (ms) is when the scanner sent it; our clock
        # is when the UI thread got round to it. Synthesised events carry 0.
        stamp = event.timestamp()
        return float(stamp) if stamp else self._clock() * 1000

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if self._replaying:
            return False
        if event.type() == QEvent.Type.ShortcutOverride and self._held:
            # Qt tries shortcuts (F9 pays) before the key press reaches us: keys a person
            # typed just before must land first, or F9 pays 5 points of the 50 typed.
            assert isinstance(event, QKeyEvent)
            if self._is_command(event):
                self.flush()
            return False
        if event.type() != QEvent.Type.KeyPress:
            return False
        # Keys go to the focused widget, or to an open menu or list (a scan then closes it).
        focus = QApplication.activePopupWidget() or QApplication.focusWidget()
        focus = focus or QApplication.activeWindow()
        if obj is not focus or not isinstance(obj, QWidget):
            return False  # the same key on its way through windows and parents
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key in MODIFIERS:
            return False  # Shift inside a burst is part of the burst; let it through
        now = self._moment_ms(event)
        if self._calibration is not None:
            return self._calibrate(event, now)
        gap = None if self._last_ms is None else now - self._last_ms
        self._last_ms = now
        if self._held and (gap is None or gap > self.settings.max_interval_ms or gap < 0):
            self.flush()
            gap = None
        if key in TERMINATORS:
            if self._held:
                burst = Burst(self._code(), (*self._gaps, gap if gap is not None else 1e9))
                if is_scan(burst, self.settings):
                    code = strip_code(burst.text, self.settings)
                    self._drop_held()
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
        mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        mods &= ~Qt.KeyboardModifier.KeypadModifier
        if mods:
            self.flush()
            return self._physical_shortcut(obj, event, char)
        if char is None or event.isAutoRepeat():
            self.flush()
            return False
        if self._held:
            assert gap is not None
            self._gaps.append(gap)
        self._held.append(_Held(obj, _copy(event), char))
        self._timer.start(self.settings.max_interval_ms + FLUSH_MARGIN_MS)
        return True

    def _is_command(self, event: QKeyEvent) -> bool:
        """A function key or a combination with Ctrl or Alt, not a key of a code."""
        key = event.key()
        if key in MODIFIERS or key in TERMINATORS:
            return False
        mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        mods &= ~Qt.KeyboardModifier.KeypadModifier
        if mods:
            return True
        return (
            decode_key(
                event.text(),
                native_scan_code=event.nativeScanCode(),
                native_virtual_key=event.nativeVirtualKey(),
                windows=self._windows,
            )
            is None
        )

    def _physical_shortcut(self, obj: QObject, event: QKeyEvent, char: str | None) -> bool:
        """Ctrl+Й under a Russian layout is Ctrl+Q on the keyboard: send it on as that, so
        shortcuts and a field's own Ctrl+A, Ctrl+C, Ctrl+V work whatever the layout."""
        key = event.key()
        if (
            char is None
            or not char.isascii()
            or not char.isalpha()
            or key < 0x80
            or key >= 0x01000000
        ):
            return False  # already Latin, a function key, or not a letter key
        latin = int(Qt.Key.Key_A) + ord(char.lower()) - ord("a")
        self._replaying = True
        try:
            QCoreApplication.sendEvent(obj, _copy(event, latin))
        finally:
            self._replaying = False
        return True

    def _calibrate(self, event: QKeyEvent, now: float) -> bool:
        cal = self._calibration
        assert cal is not None
        if event.key() in TERMINATORS:
            if not cal.keys:
                return False
            cal.terminator = "Tab" if event.key() == Qt.Key.Key_Tab else "Enter"
            cal.ended_at = now
            self._calibration = None
            self.calibrated.emit(cal)
            return True
        char = decode_key(
            event.text(),
            native_scan_code=event.nativeScanCode(),
            native_virtual_key=event.nativeVirtualKey(),
            shift=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier),
            windows=self._windows,
        )
        if char is None:
            return False
        cal.keys.append((char, now))
        return True

    def _code(self) -> str:
        return "".join(h.char for h in self._held)

    def _drop_held(self) -> None:
        self._held.clear()
        self._gaps.clear()
        self._timer.stop()

    def flush(self) -> None:
        """Give held keys to the widgets they were meant for: it was a person typing."""
        held, self._held = self._held, []
        self._gaps.clear()
        self._timer.stop()
        self._replaying = True
        try:
            for h in held:
                QCoreApplication.sendEvent(h.target, h.event)
        finally:
            self._replaying = False
