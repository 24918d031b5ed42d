"""The window's heartbeat, as the benchmarks measure it: a 10 ms Qt timer on the GUI
thread, and how late each tick came (what a cashier would feel as a stall)."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer

EVERY_MS = 10


class Heartbeat:
    def __init__(self) -> None:
        self.late: list[float] = []  # ms past each tick's due time
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(EVERY_MS)
        self._timer.timeout.connect(self._beat)

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.elapsed()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _beat(self) -> None:
        now = self._clock.elapsed()
        self.late.append(max(0.0, now - self._last - EVERY_MS))
        self._last = now
