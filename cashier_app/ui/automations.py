"""The window runs the automatic events (birthday and win-back bonuses, points becoming
available, expiry and its warnings) by itself, so they happen for customers who do not
come in, not only at their next operation (docs/automations.md).

When: at start, then at the moment the next one falls due at this till (the ledger keeps
each customer's next moment: a birthday bonus at local midnight, an expiry at its lot's
moment), and at the latest ``every`` (10 minutes) after the last run. The cap catches what
moves the next moment without this timer knowing: a sync pull, another program, the
wall clock stepping (a timer counts elapsed time, and a till may sleep overnight). When
nothing is due a tick costs one indexed read.

How: one batch of customers per task on the TaskManager's writer thread, each batch its
own short transaction, and the next batch queued only when the last is done, so a sale
waits behind one batch at most. A failure is logged and tried again at the next tick; the
window carries on.
"""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer

from cashier_app.engine.automation import AutoEvent
from cashier_app.service.automations import (
    AutomationBatch,
    next_automation_at,
    run_automation_batch,
)
from cashier_app.service.ledger import Ledger
from cashier_app.ui.operations import OpChanges, customer_ids
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation

log = logging.getLogger(__name__)

EVERY_SECONDS = 600.0  # the longest wait between two runs
SOONEST_SECONDS = 2.0  # the shortest: something due already, or the clock just behind it
AFTER_DUE_SECONDS = 1.0  # tick just after the due moment, never just before
WINDOW_BATCH = 50  # customers per writer task: about 15 ms, what a sale may wait


class AutomationTimer(QObject):
    def __init__(
        self,
        source: Workstation | Ledger,
        tasks: TaskManager,
        parent: QObject | None = None,
        every: float = EVERY_SECONDS,
    ) -> None:
        super().__init__(parent)
        self.ledger = source.ledger if isinstance(source, Workstation) else source
        self.tasks = tasks
        self.every = every
        self.runs = 0  # runs finished, with or without events (for tests and diagnostics)
        self.failures = 0
        self._running = False
        self._happened: list[AutoEvent] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # coarse ones may fire early
        self._timer.timeout.connect(self.run_now)

    def start(self) -> None:
        """Run once now (off the UI thread) and keep running on the timer."""
        self.run_now()

    def stop(self) -> None:
        self._timer.stop()

    def next_run_in(self) -> float | None:
        """Seconds to the next tick, or None while a run is under way or stopped."""
        return self._timer.remainingTime() / 1000 if self._timer.isActive() else None

    def run_now(self) -> None:
        if self._running:
            return  # the run under way goes on; it schedules the next tick when done
        self._timer.stop()
        self._running = True
        self._happened = []
        self._next_batch(self.ledger.clock())

    # -- one run: batches on the writer thread, results back on this one --------------------
    def _next_batch(self, until: datetime) -> None:
        ledger = self.ledger

        def work() -> tuple[AutomationBatch, datetime | None]:
            batch = run_automation_batch(ledger, until, WINDOW_BATCH)
            return batch, (None if batch.more else next_automation_at(ledger))

        def done(result: tuple[AutomationBatch, datetime | None]) -> None:
            batch, next_at = result
            self._happened += batch.events
            if batch.more:
                self._next_batch(until)
            else:
                self._finish(next_at)

        try:
            self.tasks.write(work, done, self._failed)
        except RuntimeError:  # the writer has shut down: the window is closing
            self._running = False

    def _failed(self, error: BaseException) -> None:
        log.error("automatic events failed; trying again at the next tick", exc_info=error)
        self.failures += 1
        self._finish(None)

    def _finish(self, next_at: datetime | None) -> None:
        self._running = False
        self.runs += 1
        if self._happened:
            log.info("automatic events: %d", len(self._happened))
            touched = customer_ids(automatic=self._happened)
            # The screens show the new balances.
            self.tasks.operation_done.emit(OpChanges("automations", touched, sync=True))
        wait = self.every
        if next_at is not None:
            until_due = (next_at - self.ledger.clock()).total_seconds() + AFTER_DUE_SECONDS
            wait = min(wait, max(SOONEST_SECONDS, until_due))
        self._timer.start(round(wait * 1000))
