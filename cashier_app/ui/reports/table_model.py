"""A report's rows under its chart: every cell written by formatting.py, numbers to the
right so the columns of money line up on their decimal mark."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, QPersistentModelIndex, Qt

from cashier_app.service.report_model import Report
from cashier_app.ui.reports.formatting import show_cell, translate

Index = QModelIndex | QPersistentModelIndex
_NUMBERS = ("int", "money", "points", "percent")


class ReportTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self.shop_locale = QLocale()
        # One row turned on its side (a closing shift's figures): a line per column, which
        # fits a narrow dialog in any language.
        self.transposed = False

    def show_report(self, report: Report | None, locale: QLocale, transposed: bool = False) -> None:
        self.beginResetModel()
        self.report = report
        self.shop_locale = locale
        self.transposed = transposed
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        if self.report is None or parent.isValid():
            return 0
        return len(self.report.columns if self.transposed else self.report.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if self.report is None or parent.isValid():
            return 0
        return len(self.report.rows if self.transposed else self.report.columns)

    def text(self, row: int, column: int) -> str:
        assert self.report is not None
        return show_cell(
            self.report.rows[row][column], self.report.columns[column], self.shop_locale
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.report is None or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if self.transposed:
            row, column = column, row
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = self.report.columns[column].kind in _NUMBERS
            side = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            return side | Qt.AlignmentFlag.AlignVCenter
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if self.report is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = orientation == (
            Qt.Orientation.Vertical if self.transposed else Qt.Orientation.Horizontal
        )
        return translate(self.report.columns[section].title) if titles else None
