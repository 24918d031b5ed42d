"""The manager's menu: every back-office screen, the permission that shows it, and the
function that opens it (``module:function``, taking the main window). The service layer
checks the same permission again when the screen asks for data; the menu only hides."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from cashier_app.service.users import Permission

if TYPE_CHECKING:
    from cashier_app.ui.main_window import MainWindow


class BackOfficeMenu(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.menu = window.menuBar().addMenu(self.tr("&Back office"))
        self.menu.setObjectName("back_office_menu")
        self.actions: dict[str, QAction] = {}
        # (object name, label, permission, opener); each screen adds its line here.
        screens: list[tuple[str, str, Permission, str]] = [
            (
                "reports_action",
                self.tr("Reports…"),
                Permission.VIEW_REPORTS,
                "cashier_app.ui.reports:open_reports",
            ),
            (
                "customer_base_action",
                self.tr("Customers…"),
                Permission.VIEW_CUSTOMER_BASE,
                "cashier_app.ui.customer_base:open_customer_base",
            ),
            (
                "customer_import_action",
                self.tr("Import customers…"),
                Permission.IMPORT_CUSTOMERS,
                "cashier_app.ui.customer_import:open_customer_import",
            ),
            (
                "staff_action",
                self.tr("Staff…"),
                Permission.MANAGE_USERS,
                "cashier_app.ui.staff:open_staff",
            ),
            (
                "audit_log_action",
                self.tr("Audit log…"),
                Permission.VIEW_AUDIT_LOG,
                "cashier_app.ui.audit_log:open_audit_log",
            ),
            (
                "backups_action",
                self.tr("Backups…"),
                Permission.MAKE_BACKUP,
                "cashier_app.ui.backups:open_backups",
            ),
        ]
        for name, label, permission, opener in screens:
            self._add(name, label, permission, opener)
        self.menu.menuAction().setVisible(any(a.isVisible() for a in self.actions.values()))

    def _add(self, name: str, label: str, permission: Permission, opener: str) -> None:
        action = QAction(label, self.window)
        action.setObjectName(name)
        action.setVisible(self.window.ws.can(permission))
        action.triggered.connect(lambda: self.open(opener))
        self.menu.addAction(action)
        self.actions[name] = action

    def open(self, opener: str) -> None:
        module, _, function = opener.partition(":")
        screen: Callable[[MainWindow], object] = getattr(importlib.import_module(module), function)
        screen(self.window)
