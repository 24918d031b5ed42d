"""Closing a shift and logging in again replaces the window: news meant for the old one
(a read still on its way, an operation done, the sync loop's status) must find nothing to
update, not a deleted label (the tester saw 'Internal C++ object (QLabel) already
deleted' in _show_queue after Maria's shift, when Kate logged in)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent

from cashier_app.sync.worker import SyncStatus
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.operations import OpChanges
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


def _status(queued: int) -> SyncStatus:
    return SyncStatus(online=True, queued=queued, last_success=None, last_error=None,
                      clock_skew_seconds=None)  # fmt: skip


def _delete_now(window) -> None:
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_news_for_a_replaced_window_changes_nothing(store, qtbot):
    ledger, staff = store
    ws = Workstation(ledger, staff["manager"])
    ws.ensure_shift()
    tasks = TaskManager()
    old = MainWindow(ws, tasks, ScannerFilter())
    old.show()
    old.enrolled = True
    try:
        with qtbot.captureExceptions() as raised:
            old.refresh_status()  # reads on their way, as after the shift's close
            old._log_out()
            _delete_now(old)  # the next cashier's window took its place (ui/app.py begin)
            tasks.operation_done.emit(OpChanges("sale", sync=True))
            old.show_sync(_status(3))
            qtbot.wait(300)  # the reads come back on the main thread
        assert raised == []
    finally:
        tasks.shutdown()


def test_a_window_still_shown_hears_the_queue(open_window, qtbot):
    window = open_window("manager")
    window.show_sync(_status(2))
    assert window.queue_label.text() == "waiting to be sent: 2"


def test_an_answer_for_a_deleted_widget_is_dropped(qtbot):
    """Any screen, not only the main window: the backup line of a replaced window got its
    read's answer after Qt had deleted it (a full run's order found it)."""
    import threading

    from PySide6.QtWidgets import QLabel

    class Line(QLabel):
        def show_answer(self, text: str) -> None:
            self.setText(text)

    tasks = TaskManager()
    line = Line()
    release = threading.Event()
    try:
        with qtbot.captureExceptions() as raised:
            tasks.read(lambda: release.wait(5) and "answer", line.show_answer)
            line.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            release.set()
            qtbot.wait(300)
        assert raised == []
    finally:
        tasks.shutdown()
