"""Starting the workstation window: open (and migrate) the ledger, first run, login."""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import programs, users
from cashier_app.service.ledger import Ledger
from cashier_app.service.runs import UncleanStop, begin_run
from cashier_app.service.users import OPERATOR, Role
from cashier_app.sync.worker import SyncLoop
from cashier_app.ui import i18n, theme
from cashier_app.ui.automations import AutomationTimer
from cashier_app.ui.backups.restore_dialog import RESTORABLE, restore_at_start
from cashier_app.ui.backups.schedule import BackupTimer
from cashier_app.ui.dialogs import FirstRunDialog, LoginDialog
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.messages import explain
from cashier_app.ui.operations import OpChanges
from cashier_app.ui.scanner import ScannerFilter, ScannerSettings
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


def make_app(argv: list[str] | None = None, lang: str | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        i18n.install(existing, i18n.pick_language(lang))
        return existing
    QApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv or sys.argv[:1])
    app.setApplicationName("cashier-app")
    theme.apply(app)
    i18n.install(app, i18n.pick_language(lang))
    return app


def ensure_program(ledger: Ledger) -> None:
    """A till's first start works by the demo shop's program until the store installs its
    own."""
    import json

    from cashier_app.paths import resource

    doc = json.loads(resource("programs", "samosale_default.json").read_text(encoding="utf-8"))
    programs.ensure_program(ledger, doc)


def open_till(data_dir: Path) -> Ledger:
    ledger = service.open_ledger(data_dir, for_writing=True)
    ensure_program(ledger)
    return ledger


def log_in(ledger: Ledger, tasks: TaskManager) -> Workstation | None:
    """First run (the administrator), then the login screen and the user's shift; the
    ledger is read and written on the TaskManager's thread while the dialogs wait."""
    from cashier_app.ui.main_window import role_name

    if not tasks.wait_for(lambda: users.has_users(ledger)):
        first = FirstRunDialog()
        if not first.exec():
            return None
        name, pin = first.name.text(), first.pin.text()
        tasks.wait_for(
            lambda: users.create_user(ledger, name, Role.ADMINISTRATOR, pin, actor=OPERATOR)
        )
    # Administrators last: on a till's first start the list opens on a cashier, never on
    # the account whose lock-out would stop the whole shop.
    staff = sorted(
        tasks.wait_for(lambda: users.list_users(ledger)),
        key=lambda u: u.role == Role.ADMINISTRATOR,
    )
    people = [(u.name, role_name(u.role.value)) for u in staff]
    login = LoginDialog(
        people, lambda name, pin: tasks.wait_for(lambda: users.login(ledger, name, pin))
    )
    if not login.exec() or login.actor is None:
        return None
    ws = Workstation(ledger, login.actor)
    tasks.wait_for(ws.begin)
    return ws


class Session(QObject):
    """The till from login to logout, and again for the next cashier: closing the shift
    brings back the login screen; only closing the window (or cancelling the login) quits.
    The scanner is installed before the login screen, so a scan there is caught too."""

    def __init__(
        self,
        ledger: Ledger,
        app: QApplication,
        tasks: TaskManager,
        unclean: Sequence[UncleanStop] = (),
    ) -> None:
        super().__init__(app)
        self.ledger = ledger
        self.unclean = list(unclean)  # told to the first user who logs in
        self.app = app
        self.tasks = tasks
        self.scanner = ScannerFilter(ScannerSettings.load(), parent=app)
        self.scanner.install(app)
        self.scanner.scanned.connect(self._scan_without_window)
        self.window: MainWindow | None = None
        self.sync: SyncLoop | None = None
        # Birthdays, expiry and win-back happen whoever is logged in, or nobody.
        self.automations = AutomationTimer(ledger, self.tasks, self)
        self.automations.start()
        self.backups = BackupTimer(ledger, self.tasks, self)  # on schedule, logged in or not

    def _scan_without_window(self, code: str) -> None:
        if self.window is not None and self.window.isVisible():
            return  # the window routes it
        modal = QApplication.activeModalWidget()
        take = getattr(modal, "take_scan", None)
        if take is not None:
            take(code)

    def begin(self) -> MainWindow | None:
        ws = log_in(self.ledger, self.tasks)
        if ws is None:
            return None
        old, self.window = self.window, MainWindow(ws, self.tasks, self.scanner)
        if old is not None:
            old.deleteLater()
        if self.sync is None:
            self.sync = start_sync(ws, self.tasks, self.window, self.app)
        else:
            connect_sync(self.sync, self.window)
        self.window.logged_out.connect(self._next_cashier)
        self.window.showMaximized()
        if self.unclean:
            self.window.show_unclean_stops(self.unclean)
            self.unclean = []
        # Once the checkout is up and idle, not while the cashier waits for it.
        QTimer.singleShot(1500, freeze_startup_heap)
        return self.window

    def _next_cashier(self) -> None:
        # The hidden window stays until the next login, so the application never has no
        # window at all (it would quit).
        if self.begin() is None:
            self.app.quit()


def start(
    ledger: Ledger, app: QApplication, tasks: TaskManager, unclean: Sequence[UncleanStop] = ()
) -> MainWindow | None:
    """First run (the administrator), login, the shift, the window."""
    return Session(ledger, app, tasks, unclean).begin()


def freeze_startup_heap() -> None:
    """Move everything loaded at start (Qt, SQLAlchemy, phone metadata...) out of the
    garbage collector's sight: a full collection would otherwise walk it all and stall the
    window for ~100 ms in the middle of a long import (measured by bench/ui_bench.py)."""
    gc.collect()
    gc.freeze()


class SyncBridge(QObject):
    """Carries the sync thread's news to the window (a signal crosses threads safely)."""

    status = Signal(object)  # SyncStatus, never None


def start_sync(
    ws: Workstation, tasks: TaskManager, window: MainWindow, app: QApplication
) -> SyncLoop:
    bridge = SyncBridge(app)
    loop = SyncLoop(ws.ledger, bridge.status.emit)
    loop.bridge = bridge  # type: ignore[attr-defined]
    connect_sync(loop, window)
    loop.start()

    def changed(changes: OpChanges) -> None:
        if changes.sync:
            loop.wake()  # a sale goes out within seconds

    tasks.operation_done.connect(changed)
    app.aboutToQuit.connect(lambda: loop.stop(timeout=5))
    return loop


def connect_sync(loop: SyncLoop, window: MainWindow) -> None:
    """The sync loop outlives a cashier's window: each new window hears its news."""
    loop.bridge.status.connect(window.show_sync)  # type: ignore[attr-defined]
    window.sync_requested.connect(loop.wake)
    loop.wake()  # the new window learns the state now, not in 15 s


def open_window(ws: Workstation, app: QApplication) -> MainWindow:
    """The window for a user already logged in (how the benchmark opens it)."""
    tasks = TaskManager(app)
    scanner = ScannerFilter(ScannerSettings.load(), parent=app)
    scanner.install(app)
    window = MainWindow(ws, tasks, scanner)
    start_sync(ws, tasks, window, app)
    AutomationTimer(ws, tasks, window).start()  # birthdays, expiry: on a timer
    window.showMaximized()
    QTimer.singleShot(1500, freeze_startup_heap)
    return window


def quit_on_terminate(app: QApplication) -> None:
    """A system shutdown or a service manager asks with SIGTERM: quit the way closing the
    window does, so the run counts as a clean stop. Python runs a signal handler only
    when it holds the interpreter, so a timer gives it the chance inside Qt's loop."""
    if not hasattr(signal, "SIGTERM"):
        return
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    tick = QTimer(app)
    tick.timeout.connect(lambda: None)
    tick.start(250)


def run(data_dir: Path, lang: str | None = None) -> int:
    started = time.perf_counter()
    app = make_app(lang=lang)
    tasks = TaskManager(app)
    try:
        ledger = tasks.wait_for(lambda: open_till(data_dir))
    except LoyaltyError as exc:  # a damaged, lost, newer or read-only ledger: why, what now
        if exc.code not in RESTORABLE:
            QMessageBox.critical(None, "cashier-app", f"{explain(exc)}\n\n{exc.message}")
            return 2
        restored = restore_at_start(data_dir, exc.message, tasks, lambda: open_till(data_dir))
        if restored is None:  # the manager quit the restore dialog
            return 2
        ledger = restored
    except Exception as exc:  # the till must say why it cannot start, not vanish
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        QMessageBox.critical(
            None,
            "cashier-app",
            f"The ledger in {data_dir} cannot be opened ({reason}).\n\n"
            "Run cashier-app check; if the ledger is damaged, restore the last good copy, "
            "or export what can still be read with cashier-app salvage --output FOLDER.",
        )
        return 2
    mark, unclean = tasks.wait_for(lambda: begin_run(ledger))
    quit_on_terminate(app)
    try:
        window = start(ledger, app, tasks, unclean)
        if window is None:
            return 0
        if os.environ.get("CASHIER_APP_TIMING"):
            print(f"usable checkout in {time.perf_counter() - started:.3f} s", flush=True)
        return app.exec()
    finally:
        if mark is not None:
            mark.close()
        ledger.db.close()
