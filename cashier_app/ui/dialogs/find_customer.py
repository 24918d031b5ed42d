"""F2: finding a customer."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from cashier_app.ui.dialogs.common import ok_cancel


class FindCustomerDialog(QDialog):
    """F2: a phone, a card, the last 4 digits or a name; a scanned card goes here too."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Find customer"))
        form = QFormLayout(self)
        self.query = QLineEdit()
        self.query.setObjectName("find_query")
        form.addRow(QLabel(self.tr("Phone, card, last 4 digits or name:")))
        form.addRow(self.query)
        buttons = ok_cancel(self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.query.setFocus()
        self.setMinimumWidth(440)

    def take_scan(self, code: str) -> bool:
        self.query.setText(code)
        self.accept()
        return True
