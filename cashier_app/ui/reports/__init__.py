"""The manager's reports in the window (sales, points, groups, tiers, shifts, the customers
who stopped coming, the week's birthdays) and the shift report shown when a shift closes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cashier_app.ui.main_window import MainWindow


def open_reports(window: MainWindow) -> None:
    """The Back office menu's "Reports…" (imported when first opened: pyqtgraph and numpy
    load in about half a second, which the till's start need not wait for)."""
    from cashier_app.ui.reports.window import ReportsDialog

    ReportsDialog(window.ws, window.tasks, window).exec()
