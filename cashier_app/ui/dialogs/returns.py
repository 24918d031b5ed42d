"""A return by receipt number."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import parse_quantity
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.receipts import ReturnableLine
from cashier_app.service.results import ReturnResult
from cashier_app.ui.dialogs.common import error_label
from cashier_app.ui.messages import explain
from cashier_app.ui.operations import CollectionOp, OpChanges, customer_ids
from cashier_app.ui.receipt_model import money_text, qty_text
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


class ReturnDialog(QDialog):
    """A return by receipt number, whole or partial (senior cashier and above)."""

    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.result_return: ReturnResult | None = None
        self.setWindowTitle(self.tr("Return"))
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.number = QLineEdit()
        self.number.setObjectName("return_number")
        self.number.setPlaceholderText(self.tr("receipt number"))
        self.number.returnPressed.connect(self.load)
        find = QPushButton(self.tr("Find"))
        find.clicked.connect(self.load)
        row.addWidget(self.number, 1)
        row.addWidget(find)
        layout.addLayout(row)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("return_lines")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Item"), self.tr("Can return"), self.tr("Amount"), self.tr("Return qty")]
        )
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.all_button = QPushButton(self.tr("Return everything"))
        self.all_button.clicked.connect(self.return_all)
        self.ok = QPushButton(self.tr("Return selected quantities"))
        self.ok.setObjectName("return_ok")
        self.ok.setProperty("primary", True)
        self.ok.clicked.connect(self.submit)
        buttons.addWidget(self.all_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)
        self._lines: list[ReturnableLine] = []
        self.resize(680, 420)

    def take_scan(self, code: str) -> bool:
        """A receipt's number scanned from its slip."""
        self.number.setText(code)
        self.load()
        return True

    def load(self) -> None:
        number = self.number.text().strip()

        def show(lines: list[ReturnableLine]) -> None:
            self._lines = lines
            self.error.setText("")
            self.table.setRowCount(len(lines))
            for i, line in enumerate(lines):
                cells = [line.name or line.sku, qty_text(line.left), money_text(line.amount), "0"]
                for j, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if j < 3:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    self.table.setItem(i, j, item)

        def failed(error: BaseException) -> None:
            if not isinstance(error, LoyaltyError):
                raise error
            self.error.setText(explain(error))

        self.tasks.read(lambda: self.ws.returnable_lines(number), show, failed)

    def _qty_item(self, row: int) -> QTableWidgetItem:
        """The quantity to return on a line: ``load`` gave every row its cells."""
        item = self.table.item(row, 3)
        assert item is not None
        return item

    def return_all(self) -> None:
        for i, line in enumerate(self._lines):
            self._qty_item(i).setText(qty_text(line.left))
        self.submit()

    def submit(self) -> None:
        items = []
        for i, line in enumerate(self._lines):
            text = (self._qty_item(i).text() or "0").strip().replace(",", ".")
            if text in ("0", ""):
                continue
            try:
                items.append(ReturnRequest(None, parse_quantity(text), line.index))
            except ValueError:
                self.error.setText(
                    self.tr("Line {n}: the quantity must be a number.").format(n=i + 1)
                )
                return
        if not items:
            self.error.setText(self.tr("Type the quantities to return."))
            return
        number = self.number.text().strip()

        def done(result: ReturnResult) -> None:
            self.result_return = result
            self.accept()

        def failed(error: BaseException) -> None:
            if not isinstance(error, LoyaltyError):
                raise error
            self.error.setText(explain(error))

        def changes(result: ReturnResult) -> OpChanges:
            touched = customer_ids(result.customer, automatic=result.automatic)
            return OpChanges("return", touched, receipt=result.receipt_number, sync=True)

        op = CollectionOp(self.tasks, lambda: self.ws.record_return(number, items), changes)
        op.success(done).failure(failed).run_in_background()
