"""Audit log… (Back office): who did what, at which till and when, newest first, filtered
by days, user and action, read a page at a time off the GUI thread; the filtered log can
be saved as CSV (service/audit.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cashier_app.ui.main_window import MainWindow


def open_audit_log(window: MainWindow) -> None:
    """The Back office menu's line (ui/back_office.py)."""
    from cashier_app.ui.audit_log.dialog import AuditLogDialog

    AuditLogDialog(window.ws, window.tasks, window).exec()
