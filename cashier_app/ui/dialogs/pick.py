"""Choosing one of several matches (customers, products, phone or card)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from cashier_app.ui.dialogs.common import ok_cancel


class PickDialog(QDialog):
    """Choose one of several matches with the arrow keys and Enter."""

    def __init__(self, title: str, items: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.chosen: int | None = None
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.addItems(items)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _: self.accept())
        layout.addWidget(self.list)
        buttons = ok_cancel(self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.list.setFocus()
        self.resize(520, 360)

    def accept(self) -> None:
        self.chosen = self.list.currentRow() if self.list.currentRow() >= 0 else None
        super().accept()
