"""Running work off the UI thread (Anki's ``aqt/taskman.py`` shape).

One single-worker executor owns every database write, so writes never race each other
and the window never waits on SQLite; reads that may be slow (search, reports) use a
small separate pool. Results come back to the main thread through a signal; worker code
never touches a widget. After each write made as an operation (``ui/operations.py``)
``operation_done`` carries what it changed, for every screen to refresh what it shows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QEventLoop, QObject, Signal
from PySide6.QtWidgets import QProgressBar

log = logging.getLogger(__name__)
Closure = Callable[[], None]
T = TypeVar("T")


def _still_there(callback: Callable[..., None] | None) -> bool:
    """False for a method of a widget Qt has deleted (a window replaced at the next login,
    a dialog closed) while its read or write was on its way: calling it would fail on the
    deleted object, in the event loop, long after anyone could see the answer."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


class TaskManager(QObject):
    _closures_pending = Signal()
    operation_done = Signal(object)  # OpChanges, emitted by ui/operations.py

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer")
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ledger-reader")
        self._closures: list[Closure] = []
        self._lock = threading.Lock()
        self._closed = False
        self._closures_pending.connect(self._run_closures)

    def run_on_main(self, closure: Closure) -> None:
        with self._lock:
            self._closures.append(closure)
        self._closures_pending.emit()

    def progress_into(self, bar: QProgressBar) -> Callable[[int, int], None]:
        """A long operation's ``progress(done, total)``, called on its worker thread,
        shown on ``bar`` by the GUI thread."""

        def progress(done: int, total: int) -> None:
            self.run_on_main(lambda: bar.setValue(done * 100 // total if total else 100))

        return progress

    def _submit(
        self,
        pool: ThreadPoolExecutor,
        task: Callable[[], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> Future[Any]:
        future = pool.submit(task)

        def finished(fut: Future[Any]) -> None:
            def on_main() -> None:
                if not (_still_there(on_done) and _still_there(on_error)):
                    return  # its screen was closed and deleted meanwhile: nobody to tell
                error = fut.exception()
                if error is not None:
                    if on_error is not None:
                        on_error(error)
                    else:
                        log.error("background task failed", exc_info=error)
                    return
                if on_done is not None:
                    on_done(fut.result())

            self.run_on_main(on_main)

        future.add_done_callback(finished)
        return future

    def write(
        self,
        task: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        """Run a ledger write on the single writer thread."""
        return self._submit(self._writer, task, on_done, on_error)

    def read(
        self,
        task: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        if self._closed:
            # The window is closing (a last operation's news can still arrive): a read has
            # nothing left to show. Writes still raise, so a caller knows it did not run.
            skipped: Future[Any] = Future()
            skipped.cancel()
            return skipped
        return self._submit(self._readers, task, on_done, on_error)

    def wait_for(self, task: Callable[[], T]) -> T:
        """Run ``task`` on the writer thread and give its result, serving the window's
        events meanwhile: for the steps before a window exists (the first start, login,
        opening the shift) that must finish before the next one can be shown."""
        future = self._writer.submit(task)
        loop = QEventLoop()
        future.add_done_callback(lambda _: self.run_on_main(loop.quit))
        if not future.done():
            loop.exec()
        return future.result()

    def _run_closures(self) -> None:
        with self._lock:
            closures, self._closures = self._closures, []
        for closure in closures:
            closure()

    def shutdown(self) -> None:
        self._closed = True
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
