"""What a manager does to customers picked in the base: move them to another group, adjust
one's points with a reason, erase one's personal data, export the list. Each asks first,
then runs as an operation on the writer thread; the base reloads after."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from cashier_app.ui.dialogs.common import error_label, ok_cancel


class MoveDialog(QDialog):
    """Which group the selected customers go to."""

    def __init__(self, groups: list[tuple[str, str]], count: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Move to group"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Move {count} customer(s) to:").format(count=count)))
        self.group = QComboBox()
        self.group.setObjectName("move_group")
        for group_id, name in groups:
            self.group.addItem(name, group_id)
        layout.addWidget(self.group)
        note = QLabel(
            self.tr("Their points and purchases stay; their next sales follow the new group.")
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = ok_cancel(self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def group_id(self) -> str:
        return str(self.group.currentData())


class AdjustDialog(QDialog):
    """Points to add (or take, with a minus) and the reason, which is required."""

    def __init__(self, name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Adjust points"))
        self.value: tuple[Decimal, str] | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(name))
        form = QFormLayout()
        self.points = QLineEdit()
        self.points.setObjectName("adjust_points")
        self.points.setPlaceholderText(self.tr("500 or -200"))
        self.reason = QLineEdit()
        self.reason.setObjectName("adjust_reason")
        self.reason.setMaxLength(500)
        form.addRow(self.tr("Points"), self.points)
        form.addRow(self.tr("Reason"), self.reason)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = ok_cancel(self)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _check(self) -> None:
        text = self.points.text().strip().replace(",", ".").replace(" ", "")
        try:
            points = Decimal(text)
        except InvalidOperation:
            points = Decimal("NaN")
        if not points.is_finite() or points == 0:
            self.error.setText(self.tr("Points are a number other than zero, like 500 or -200."))
            return
        if not self.reason.text().strip():
            self.error.setText(self.tr("Say why the points are adjusted."))
            return
        self.value = (points, self.reason.text().strip())
        self.accept()


def confirm_anonymise(parent: QWidget, name: str, phone: str) -> bool:
    """The manager names the customer to themselves before their data goes for good."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(parent.tr("Anonymise customer"))
    box.setText(
        parent.tr(
            "Erase the personal data of {name} ({phone})? Name, phone, birthday and consent "
            "are erased here and, after sync, everywhere; the cards stop working. Points and "
            "purchases stay. This cannot be undone."
        ).format(name=name, phone=phone)
    )
    erase = box.addButton(parent.tr("Erase for good"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(parent.tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
    box.setObjectName("anonymise_confirm")
    box.exec()
    return box.clickedButton() is erase
