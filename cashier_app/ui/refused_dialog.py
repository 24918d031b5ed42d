"""The manager's list of operations the central server refused: each is recorded on this
till and was not sent; the manager sends it again once the cause is gone (the till's
clock set right, the server updated) or marks it reviewed when the shop settles it
another way. The list is read and changed off the UI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service.refused import RefusedOperation
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import DANGER
from cashier_app.ui.workstation import Workstation


class RefusedDialog(QDialog):
    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.operations: list[RefusedOperation] = []
        self.setWindowTitle(self.tr("Refused by the central server"))
        self.resize(900, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "These operations are recorded on this till, but the central server did not "
                "take them, so other tills do not see them. Fix the cause (for example the "
                "till's clock) and send again, or mark as reviewed once settled."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.message = QLabel("")
        self.message.setObjectName("refused_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("refused_table")
        self.table.setHorizontalHeaderLabels(
            [self.tr("When"), self.tr("Operation"), self.tr("Customer"), self.tr("Reason")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table)
        self.show_reviewed = QCheckBox(self.tr("Show reviewed ones too"))
        self.show_reviewed.toggled.connect(self.reload)
        layout.addWidget(self.show_reviewed)
        buttons = QHBoxLayout()
        self.send_button = QPushButton(self.tr("Send again"))
        self.send_button.setObjectName("send_again")
        self.send_button.clicked.connect(self.send_again)
        self.reviewed_button = QPushButton(self.tr("Mark as reviewed"))
        self.reviewed_button.setObjectName("mark_reviewed")
        self.reviewed_button.clicked.connect(self.mark_reviewed)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.reviewed_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self._selected()
        self.reload()

    def reload(self) -> None:
        include = self.show_reviewed.isChecked()
        self.tasks.read(lambda: self.ws.refused_operations(include), self._show, self._failed)

    def _show(self, operations: list[RefusedOperation]) -> None:
        self.operations = operations
        self.table.setRowCount(len(operations))
        for row, op in enumerate(operations):
            what = op.kind.replace("_", " ")
            if op.receipt_number:
                what = self.tr("{kind}, receipt {number}").format(
                    kind=what, number=op.receipt_number
                )
            if op.reviewed_by:
                what += " · " + self.tr("reviewed by {user}").format(user=op.reviewed_by)
            cells = (
                op.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                what,
                op.customer or "",
                op.reason,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        if not operations:
            self._say(self.tr("Nothing is waiting: the server took every operation."))
        self._selected()

    def _current(self) -> RefusedOperation | None:
        rows = self.table.selectionModel().selectedRows()
        return self.operations[rows[0].row()] if rows else None

    def _selected(self) -> None:
        op = self._current()
        self.send_button.setEnabled(op is not None)
        self.reviewed_button.setEnabled(op is not None and op.reviewed_at is None)

    def send_again(self) -> None:
        op = self._current()
        if op is None:
            return

        def done(_: object) -> None:
            self._say(self.tr("Queued again: the next sync sends it."))
            self.reload()

        self._write(lambda: self.ws.send_again(op.event_id), done)

    def mark_reviewed(self) -> None:
        op = self._current()
        if op is None:
            return
        self._write(lambda: self.ws.mark_reviewed(op.event_id), lambda _: self.reload())

    def _write(self, task: Callable[[], None], done: Callable[[None], None]) -> None:
        op = CollectionOp(self.tasks, task, lambda _: OpChanges("refused", sync=True))
        op.success(done).failure(self._failed).run_in_background()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {DANGER}; font-weight: 600;" if error else "")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        self._say(getattr(error, "message", str(error)), error=True)
