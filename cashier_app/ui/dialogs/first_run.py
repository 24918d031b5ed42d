"""The first start of a till: its administrator."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.pins import check_pin
from cashier_app.service.users import Role
from cashier_app.ui.dialogs.common import error_label
from cashier_app.ui.messages import explain


class FirstRunDialog(QDialog):
    """The first start: the administrator's name and PIN."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("First start: the administrator"))
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                self.tr(
                    "This till has no users yet. Create the administrator, who adds the cashiers."
                )
            )
        )
        self.name = QLineEdit(self.tr("Administrator"))
        self.pin = QLineEdit()
        self.pin2 = QLineEdit()
        for w in (self.pin, self.pin2):
            w.setEchoMode(QLineEdit.EchoMode.Password)
            w.setMaxLength(8)
        self.error = error_label()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("PIN (6-8 digits)"), self.pin)
        form.addRow(self.tr("PIN again"), self.pin2)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self._check)
        form.addRow(buttons)

    def _check(self) -> None:
        pin = self.pin.text()
        try:
            check_pin(pin, Role.ADMINISTRATOR.value)  # the one rule the service applies too
        except LoyaltyError as exc:
            self.error.setText(explain(exc))
            return
        if pin != self.pin2.text():
            self.error.setText(self.tr("The two PINs differ."))
        elif not self.name.text().strip():
            self.error.setText(self.tr("Give a name."))
        else:
            self.accept()
