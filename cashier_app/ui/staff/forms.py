"""The staff screen's small forms: a new user, a new role, a new PIN. A PIN is typed
twice, masked; on an enrolled till each form also asks the acting user's own PIN, which
the central server checks before it makes the change."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.pins import MAX_PIN
from cashier_app.engine.protocol import Role
from cashier_app.ui.theme import DANGER


class RoleNames(QObject):
    """The roles in the shop's words (one translation context for the staff screens)."""

    def name(self, role: Role) -> str:
        return {
            Role.CASHIER: self.tr("Cashier"),
            Role.SENIOR_CASHIER: self.tr("Senior cashier"),
            Role.MANAGER: self.tr("Manager"),
            Role.ADMINISTRATOR: self.tr("Administrator"),
        }[role]


def pin_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(MAX_PIN)
    return field


class StaffForm(QDialog):
    """A form with the fields a change needs; ``check`` refuses what can be told before
    the service is asked (two PINs that differ, an empty name)."""

    def __init__(
        self,
        title: str,
        parent: QWidget | None,
        *,
        name: bool = False,
        roles: list[Role] | None = None,
        current: Role | None = None,
        new_pin: bool = False,
        own_pin: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.name = QLineEdit()
        self.name.setObjectName("staff_name")
        self.name.setMaxLength(64)
        if name:
            form.addRow(self.tr("Name"), self.name)
        self.role = QComboBox()
        self.role.setObjectName("staff_role")
        words = RoleNames(self)
        for role in roles or []:
            self.role.addItem(words.name(role), role.value)
        if current is not None and (index := self.role.findData(current.value)) >= 0:
            self.role.setCurrentIndex(index)
        if roles:
            form.addRow(self.tr("Role"), self.role)
        self.pin, self.pin_again = pin_field("staff_pin"), pin_field("staff_pin_again")
        if new_pin:
            form.addRow(self.tr("New PIN"), self.pin)
            form.addRow(self.tr("The same PIN again"), self.pin_again)
            hint = QLabel(self.tr("4 to 8 digits; 6 to 8 for a manager or an administrator."))
            hint.setWordWrap(True)
            form.addRow("", hint)
        self.own_pin = pin_field("own_pin")
        if own_pin:
            form.addRow(self.tr("Your PIN (the central server checks it)"), self.own_pin)
        self.problem = QLabel("")
        self.problem.setObjectName("staff_form_problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("staff_form_ok")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._needs = (name, new_pin, own_pin)

    def chosen_role(self) -> Role:
        return Role(self.role.currentData())

    def _ok(self) -> None:
        name, new_pin, own_pin = self._needs
        if name and not self.name.text().strip():
            self.problem.setText(self.tr("Type the user's name."))
        elif new_pin and self.pin.text() != self.pin_again.text():
            self.problem.setText(self.tr("The two PINs differ: type the same PIN twice."))
        elif own_pin and not self.own_pin.text():
            self.problem.setText(self.tr("Type your own PIN to confirm the change."))
        else:
            self.accept()
