"""The login screen."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.users import Actor
from cashier_app.ui.dialogs.common import error_label
from cashier_app.ui.messages import explain

LAST_USER_KEY = "login/last_user"


class LoginDialog(QDialog):
    """Pick your name, type your PIN. The list starts on whoever last worked at this till;
    a scan here is recognised and ignored (it is not a PIN and costs no tries)."""

    def __init__(
        self,
        users: list[tuple[str, str]],
        login: object,
        parent: QWidget | None = None,
    ) -> None:
        """``users``: (name, role as shown) of every active user."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Log in"))
        self._login = login
        self.actor: Actor | None = None
        form = QFormLayout(self)
        self.user = QComboBox()
        self.user.setObjectName("login_user")
        self.user.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for name, role in users:
            shown = f"{name} ({role})" if role and role.lower() != name.lower() else name
            self.user.addItem(shown, name)
        last = QSettings("cashier-app", "workstation").value(LAST_USER_KEY, "")
        at = self.user.findData(last)
        self.user.setCurrentIndex(at if at >= 0 else 0)
        self.pin = QLineEdit()
        self.pin.setObjectName("login_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.error = error_label()
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("PIN"), self.pin)
        form.addRow(self.error)
        # Enter in the PIN field presses this default button: one Enter, one try.
        self.ok = QPushButton(self.tr("Log in"))
        self.ok.setObjectName("login_ok")
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.try_login)
        form.addRow(self.ok)
        self.pin.setFocus()
        self.setMinimumWidth(420)

    def take_scan(self, code: str) -> bool:
        self.pin.clear()
        self.error.setText(self.tr("That was a scan, not a PIN: log in first, then scan."))
        return True

    def try_login(self) -> None:
        name = self.user.currentData() or self.user.currentText()
        pin = self.pin.text()
        if not pin:
            self.error.setText(self.tr("Type your PIN."))
            return
        self.ok.setEnabled(False)  # the check may wait on the ledger: one try at a time
        try:
            self.actor = self._login(name, pin)  # type: ignore[operator]
        except LoyaltyError as exc:
            self.error.setText(explain(exc))
            self.pin.clear()
            return
        finally:
            self.ok.setEnabled(True)
        store = QSettings("cashier-app", "workstation")
        store.setValue(LAST_USER_KEY, name)
        store.sync()
        self.accept()
