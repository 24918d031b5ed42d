"""Backups in the window: the manager's Backups… dialog, the schedule and its status-bar
line, and the restore dialog a damaged ledger brings up at start (service/backups.py,
service/restore.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cashier_app.ui.main_window import MainWindow


def open_backups(window: MainWindow) -> None:
    """The Back office menu's line (ui/back_office.py)."""
    from cashier_app.ui.backups.dialog import BackupsDialog

    BackupsDialog(window.ws, window.tasks, window).exec()
