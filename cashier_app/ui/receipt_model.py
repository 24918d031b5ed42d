"""The lines of the receipt being rung up, as a Qt table model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from cashier_app.engine.receipt import LineInput, ReceiptQuote

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class CartLine:
    sku: str
    name: str
    price: Decimal
    qty: Decimal
    category: str | None = None
    brand: str | None = None
    no_loyalty: bool = False

    def as_input(self) -> LineInput:
        return LineInput(self.sku, self.price, self.qty, category=self.category, brand=self.brand,
                         no_loyalty=self.no_loyalty, name=self.name)  # fmt: skip


def qty_text(qty: Decimal) -> str:
    return f"{qty.normalize():f}" if qty != qty.to_integral_value() else f"{int(qty)}"


def money_text(value: Decimal) -> str:
    """1 234.50 with a thin space between thousands, as Russian receipts print it."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)}.{frac}"


class ReceiptModel(QAbstractTableModel):
    HEADERS = ("#", "Item", "Qty", "Price", "Discount", "Amount")

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[CartLine] = []
        self.quote: ReceiptQuote | None = None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.tr(self.HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.lines[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col >= 2:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        quoted = (
            self.quote.lines[index.row()]
            if self.quote and len(self.quote.lines) == len(self.lines)
            else None
        )
        if col == 0:
            return str(index.row() + 1)
        if col == 1:
            return line.name + (" ⊘" if line.no_loyalty else "")
        if col == 2:
            return qty_text(line.qty)
        if col == 3:
            return money_text(line.price)
        if col == 4:
            return money_text(-quoted.discount) if quoted and quoted.discount else ""
        return money_text(quoted.amount - quoted.discount if quoted else line.price * line.qty)

    # -- changes -----------------------------------------------------------------------------
    def add(self, line: CartLine) -> int:
        for row, existing in enumerate(self.lines):
            if (
                existing.sku == line.sku
                and existing.price == line.price
                and existing.name == line.name
            ):
                self.set_qty(row, existing.qty + line.qty)
                return row
        self.beginInsertRows(QModelIndex(), len(self.lines), len(self.lines))
        self.lines.append(line)
        self.endInsertRows()
        return len(self.lines) - 1

    def set_qty(self, row: int, qty: Decimal) -> None:
        self.lines[row] = replace(self.lines[row], qty=qty)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.lines[row]
        self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.lines = []
        self.quote = None
        self.endResetModel()

    def set_quote(self, quote: ReceiptQuote | None) -> None:
        self.quote = quote
        if self.lines:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.lines) - 1, self.columnCount() - 1)
            )
