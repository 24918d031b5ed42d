"""A line without a catalogue product."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from cashier_app.engine.money import parse_amount
from cashier_app.ui.dialogs.common import error_label, ok_cancel


class FreeAmountDialog(QDialog):
    """A line without a catalogue product: an amount and one of the store's categories (so
    the program's category limits apply to it as to the products)."""

    def __init__(self, categories: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Free amount"))
        self.amount_value: Decimal | None = None
        form = QFormLayout(self)
        self.amount = QLineEdit()
        self.amount.setObjectName("free_amount")
        self.category = QComboBox()
        self.category.setObjectName("free_category")
        self.category.addItem(self.tr("No category"), None)  # chosen unless the cashier picks
        for code in categories:
            self.category.addItem(self.category_title(code), code)
        self.name = QLineEdit(self.tr("Goods"))
        self.error = error_label()
        form.addRow(self.tr("Amount"), self.amount)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.error)
        buttons = ok_cancel(self)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.amount.setFocus()

    def category_title(self, code: str) -> str:
        """A catalogue's category as a person reads it: the usual shop categories in the
        window's language, any other as the catalogue writes it."""
        titles = {
            "coffee": self.tr("Coffee"), "tea": self.tr("Tea"), "bakery": self.tr("Bakery"),
            "desserts": self.tr("Desserts"), "drinks": self.tr("Drinks"),
            "flowers": self.tr("Flowers"), "bouquets": self.tr("Bouquets"),
            "plants": self.tr("Plants"), "gifts": self.tr("Gifts"), "clothes": self.tr("Clothes"),
            "shoes": self.tr("Shoes"), "cosmetics": self.tr("Cosmetics"),
            "services": self.tr("Services"), "pet_food": self.tr("Pet food"),
            "accessories": self.tr("Accessories"), "pets": self.tr("Pet goods"),
            "deli": self.tr("Deli"), "tobacco": self.tr("Tobacco"), "other": self.tr("Other"),
        }  # fmt: skip
        return titles.get(code.strip().lower(), code)

    def category_code(self) -> str | None:
        code = self.category.currentData()
        return code if isinstance(code, str) and code else None

    def _check(self) -> None:
        try:
            value = parse_amount(self.amount.text().strip().replace(",", "."))
        except ValueError:
            self.error.setText(self.tr("An amount like 350 or 99.90."))
            return
        if value <= 0:
            self.error.setText(self.tr("The amount must be above zero."))
            return
        self.amount_value = value
        self.accept()
