"""Staff… (Back office): the store's users with their role, whether they may log in and
whether wrong PINs locked them; add a user, change a role, reset a PIN, deactivate or take
back (service/staff.py's rules; on an enrolled till through the central server,
sync/staff.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cashier_app.ui.main_window import MainWindow


def open_staff(window: MainWindow) -> None:
    """The Back office menu's line (ui/back_office.py)."""
    from cashier_app.ui.staff.dialog import StaffDialog

    StaffDialog(window.ws, window.tasks, window).exec()
