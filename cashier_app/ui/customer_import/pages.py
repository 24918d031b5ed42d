"""The import's two tables: the file's first rows under a choice of field per column, and
the rows' problems."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from cashier_app.service.customer_import import FIELDS, ColumnMap, CustomerFile, Problem


class MappingTable(QTableWidget):
    """Row 0 holds a field choice per column; the file's first rows follow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_mapping")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.combos: list[QComboBox] = []

    def labels(self) -> dict[str, str]:
        return {
            "phone": self.tr("Phone"),
            "name": self.tr("Name"),
            "birthday": self.tr("Birthday"),
            "group": self.tr("Group"),
            "balance": self.tr("Points balance"),
            "card": self.tr("Card"),
            "consent": self.tr("Consent"),
            "surname": self.tr("Surname"),
            "patronymic": self.tr("Patronymic"),
        }

    def show_file(self, file: CustomerFile, mapping: ColumnMap) -> None:
        preview = file.preview
        self.clear()
        self.setColumnCount(len(file.headers))
        self.setRowCount(1 + len(preview))
        self.setHorizontalHeaderLabels(list(file.headers))
        field_of = {i: f for f, i in mapping.items()}
        labels = self.labels()
        self.combos = []
        for column in range(len(file.headers)):
            combo = QComboBox()
            combo.setObjectName(f"import_field_{column}")
            combo.addItem(self.tr("— not imported —"), "")
            for name in FIELDS:
                combo.addItem(labels[name], name)
            combo.setCurrentIndex(max(0, combo.findData(field_of.get(column, ""))))
            combo.currentIndexChanged.connect(lambda _, c=column: self._one_column_each(c))
            self.setCellWidget(0, column, combo)
            self.combos.append(combo)
        for r, cells in enumerate(preview, start=1):
            for c in range(len(file.headers)):
                self.setItem(r, c, QTableWidgetItem(cells[c] if c < len(cells) else ""))
        # Wide enough for the column's texts, not for its choice (the longest choice would
        # push a 7-column file off the screen).
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        for c, title in enumerate(file.headers):
            texts = [title, *(r[c] for r in preview if c < len(r))]
            widest = max(metrics.horizontalAdvance(text) for text in texts) + 36
            header.resizeSection(c, max(152, min(240, widest)))
        self.setRowHeight(0, 44)

    def _one_column_each(self, changed: int) -> None:
        # A field read from two columns would be ambiguous: the other column lets it go.
        name = self.combos[changed].currentData()
        if not name:
            return
        for column, combo in enumerate(self.combos):
            if column != changed and combo.currentData() == name:
                combo.setCurrentIndex(0)

    def mapping(self) -> ColumnMap:
        return {c.currentData(): i for i, c in enumerate(self.combos) if c.currentData()}


class ProblemsModel(QAbstractTableModel):
    """The rows' problems, read by the view only for the rows on screen: 100,000 of them
    cost the window nothing to show."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.problems: list[Problem] = []
        self.kinds = {
            "bad_phone": self.tr("not a phone number"),
            "duplicate_phone": self.tr("phone repeated"),
            "bad_name": self.tr("name too long"),
            "bad_date": self.tr("not a date"),
            "unknown_group": self.tr("no such group"),
            "bad_balance": self.tr("wrong points balance"),
            "bad_card": self.tr("not a card number"),
            "duplicate_card": self.tr("card repeated or taken"),
            "bad_consent": self.tr("not yes or no"),
        }
        self.headers = [self.tr("Row"), self.tr("Column"), self.tr("Problem")]

    def show(self, problems: list[Problem]) -> None:
        self.beginResetModel()
        self.problems = problems
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.problems)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        p = self.problems[index.row()]
        if index.column() == 0:
            return str(p.row)
        if index.column() == 1:
            return p.column
        # The kind in the manager's language, the service's detail (the value) after it.
        return f"{self.kinds.get(p.problem, p.problem)}: {p.message}"

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


class ProblemsTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_problems")
        self.model_ = ProblemsModel(self)
        self.setModel(self.model_)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 70)
        header.resizeSection(1, 170)

    def show_problems(self, problems: list[Problem]) -> None:
        self.model_.show(problems)

    def rowCount(self) -> int:
        return self.model_.rowCount()

    def text(self, row: int, column: int) -> str:
        return str(self.model_.data(self.model_.index(row, column), Qt.ItemDataRole.DisplayRole))
