"""The backups' schedule in the window, and their line in the status bar.

The timer looks every CHECK_SECONDS whether a backup is due (the last one's moment and
the period are in local_settings) and, when it is, has the TaskManager's writer thread
make it: the copy reads one snapshot while sales go on, and the writer thread only waits
for the copy (about a second for a 60 MiB ledger on a stick). It runs whoever is logged
in, or nobody, like the automatic events. A failure is remembered by the service (the
status bar turns red) and tried again at the next tick.

The status bar says when the last backup was made, or warns in red when the last attempt
failed or the last good one is older than two periods.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from cashier_app.service import backups
from cashier_app.service.backups import Backup, BackupHealth
from cashier_app.service.ledger import Ledger
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import DANGER

log = logging.getLogger(__name__)

CHECK_SECONDS = 600.0


class BackupTimer(QObject):
    def __init__(
        self,
        ledger: Ledger,
        tasks: TaskManager,
        parent: QObject | None = None,
        every: float = CHECK_SECONDS,
        first: float = 5.0,
        on_done: Callable[[Backup | None], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ledger = ledger
        self.tasks = tasks
        self.on_done = on_done
        self.runs = 0  # ticks finished (for tests and diagnostics)
        self._running = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.run_now)
        self._timer.start(round(every * 1000))
        # Soon after start, not at once: the till is up before a due copy is made.
        QTimer.singleShot(round(first * 1000), self.run_now)

    def run_now(self) -> None:
        if self._running:
            return
        self._running = True
        ledger = self.ledger
        try:
            self.tasks.write(lambda: backups.run_scheduled(ledger), self._done, self._failed)
        except RuntimeError:  # the writer has shut down: the window is closing
            self._running = False

    def _done(self, made: Backup | None) -> None:
        self._running = False
        self.runs += 1
        if made is not None:
            log.info("scheduled backup %s", made.path)
        if self.on_done is not None:
            self.on_done(made)

    def _failed(self, error: BaseException) -> None:
        self._running = False
        self.runs += 1
        log.warning("scheduled backup failed: %s", getattr(error, "message", error))
        if self.on_done is not None:
            self.on_done(None)

    def stop(self) -> None:
        self._timer.stop()


class BackupStatus(QLabel):
    """The status bar's backup line; it reads the backups' health off the GUI thread."""

    def __init__(
        self,
        ledger: Ledger,
        tasks: TaskManager,
        parent: QWidget | None = None,
        every_ms: int = 60_000,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("status_backup")
        self.ledger = ledger
        self.tasks = tasks
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(every_ms)
        self.refresh()

    def refresh(self) -> None:
        ledger = self.ledger
        self.tasks.read(lambda: backups.backup_health(ledger), self.show_health, self._failed)

    def show_health(self, health: BackupHealth) -> None:
        if health.last_error:
            self._warn(self.tr("Backup failed!"), health.last_error)
        elif health.last_at is None:
            self._warn(self.tr("No backup yet"), self.tr("Back office → Backups…"))
        elif health.stale:
            when = health.last_at.astimezone().strftime("%Y-%m-%d %H:%M")
            self._warn(self.tr("Last backup: {when} (too old)").format(when=when), "")
        else:
            when = health.last_at.astimezone().strftime("%d.%m %H:%M")
            self.setStyleSheet("")
            self.setToolTip("")
            self.setText(self.tr("Backup: {when}").format(when=when))

    def _warn(self, text: str, tip: str) -> None:
        self.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        self.setText(text)
        self.setToolTip(tip)

    def _failed(self, error: BaseException) -> None:
        self._warn(self.tr("Backup state unknown"), getattr(error, "message", str(error)))
