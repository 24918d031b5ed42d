"""Import customers… (Back office): the old system's file chosen, its columns matched to
ours over a preview, the rows checked with a report that can be saved, and the valid
ones imported with a progress bar (service/customer_import*.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cashier_app.ui.main_window import MainWindow


def open_customer_import(window: MainWindow) -> None:
    """The Back office menu's line (ui/back_office.py)."""
    from cashier_app.ui.customer_import.dialog import CustomerImportDialog

    CustomerImportDialog(window.ws, window.tasks, parent=window).exec()
