"""Back office → Customers…: the whole customer base, filtered and sorted, with a card per
customer and the manager's actions on the selected rows. Nothing here touches the ledger
on the GUI thread: the model reads windows through the TaskManager, and the actions run
as operations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service import adjust_balance, customer_base, customer_changes
from cashier_app.service.customer_base import CustomerFilter, CustomerRow, Sort
from cashier_app.service.customer_export import Exported, ExportFormat, record, write_file
from cashier_app.service.users import Permission
from cashier_app.ui.customer_base.actions import AdjustDialog, MoveDialog, confirm_anonymise
from cashier_app.ui.customer_base.card import BaseCustomerCard
from cashier_app.ui.customer_base.filter_bar import FilterBar, FilterError
from cashier_app.ui.customer_base.model import CustomerBaseModel
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.theme import DANGER

if TYPE_CHECKING:
    from cashier_app.ui.main_window import MainWindow


# What a column's cells usually hold at their widest (a whole phone, a 13-digit card, a
# date, points in the hundred thousands): the columns are fitted to these.
_CELL_SAMPLES = (
    "Александра Константинова", "+7 900 123-45-67", "2000200000013", "Покупатели",
    "Серебро", "123 456.78", "31.12.2026", "31.12.2026", "31.12.2026", "yes",
)  # fmt: skip


class CustomerBaseScreen(QDialog):
    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        ws, tasks = window.ws, window.tasks
        self.ws, self.tasks = ws, tasks
        ledger, actor = ws.ledger, ws.actor
        self.setObjectName("customer_base")
        self.setWindowTitle(self.tr("Customer base"))
        layout = QVBoxLayout(self)
        self.filters = FilterBar()
        self.filters.changed.connect(self.apply_filter)
        layout.addWidget(self.filters)
        self.message = QLabel("")
        self.message.setObjectName("base_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.model = CustomerBaseModel(
            tasks,
            lambda f: customer_base.count(ledger, actor, f),
            lambda f, s, offset, limit: customer_base.window(ledger, actor, f, s, offset, limit),
            ws.program.tz,
            self,
        )
        self.model.counted.connect(self._counted)
        self.model.failed.connect(self._failed)
        self.table = QTableView()
        self.table.setObjectName("base_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        # Fixed row heights and header sizes: Qt never measures a million rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._fit_columns()
        # The name takes what the screen has left; the other columns keep their fit.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(True)
        header.setSortIndicator(7, Qt.SortOrder.AscendingOrder)  # registered, the default
        self.table.doubleClicked.connect(lambda _: self.open_card())
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.count_label = QLabel("")
        self.count_label.setObjectName("base_count")
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        self.card_button = self._button(buttons, "base_card", self.tr("Card…"), self.open_card)
        self.move_button = self._button(
            buttons, "base_move", self.tr("Move to group…"), self.move_to_group
        )
        self.adjust_button = self._button(
            buttons, "base_adjust", self.tr("Adjust points…"), self.adjust_points
        )
        self.anonymise_button = self._button(
            buttons, "base_anonymise", self.tr("Anonymise…"), self.anonymise
        )
        # Alt+E: the filter typed, the export is one chord away, no mouse needed.
        self.export_button = self._button(buttons, "base_export", self.tr("&Export…"), self.export)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.move_button.setVisible(ws.can(Permission.MOVE_CUSTOMER_GROUP))
        self.adjust_button.setVisible(ws.can(Permission.ADJUST_BALANCE))
        self.anonymise_button.setVisible(ws.can(Permission.ANONYMISE_CUSTOMER))
        self.export_button.setVisible(ws.can(Permission.EXPORT_CUSTOMERS))
        self.groups: list[tuple[str, str]] = []
        self.resize(1240, 700)
        tasks.read(
            lambda: (customer_base.groups(ledger, actor), customer_base.tiers(ledger, actor)),
            self._choices,
            self._failed,
        )
        self.model.set_query(CustomerFilter(), Sort())
        self.filters.search.setFocus()  # the manager types a name or phone straight away
        self.count_label.setText(self.tr("Counting…"))

    def _fit_columns(self) -> None:
        """Each column as wide as its header (in the window's language, with room for the
        sort arrow) or what its cells usually hold, whichever is wider, measured with the
        table's own fonts: no header, card number or date is cut at 1366x768, and Qt never
        measures a million rows to find out."""
        header = self.table.horizontalHeader()
        titles, cells = header.fontMetrics(), self.table.fontMetrics()
        arrow = self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize) + 20
        for column, sample in enumerate(_CELL_SAMPLES):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            wide = max(
                titles.horizontalAdvance(title) + arrow, cells.horizontalAdvance(sample) + 16
            )
            header.resizeSection(column, wide)

    def _button(
        self, row: QHBoxLayout, name: str, text: str, slot: Callable[[], None]
    ) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(lambda: slot())  # not slot(checked): export takes a path
        row.addWidget(button)
        return button

    # -- the list ------------------------------------------------------------------------
    def apply_filter(self) -> None:
        try:
            f = self.filters.filter()
        except FilterError as exc:
            self._say(str(exc), error=True)
            return  # the list stays as it was
        self._say("")
        if f != self.model.filter:
            self.count_label.setText(self.tr("Counting…"))
            self.model.set_query(f)

    def _choices(self, choices: tuple[list[tuple[str, str]], list[str]]) -> None:
        self.groups = choices[0]
        self.filters.set_choices(*choices)

    def _counted(self, n: int) -> None:
        shown = f"{n:,}".replace(",", " ")
        self.count_label.setText(self.tr("{count} customer(s)").format(count=shown))

    def selected(self) -> list[CustomerRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.row_at(i) for i in rows) if r is not None]

    def _one(self) -> CustomerRow | None:
        rows = self.selected()
        if len(rows) != 1:
            self._say(self.tr("Select one customer."), error=True)
            return None
        return rows[0]

    # -- actions -------------------------------------------------------------------------
    def open_card(self) -> None:
        row = self._one()
        if row is not None:
            BaseCustomerCard(self.ws, self.tasks, row, self).exec()

    def move_to_group(self) -> None:
        rows = self.selected()
        if not rows:
            self._say(self.tr("Select the customers to move."), error=True)
            return
        dialog = MoveDialog(self.groups, len(rows), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        ids, group = [r.id for r in rows], dialog.group_id()
        ledger, actor = self.ws.ledger, self.ws.actor
        self._write(
            lambda: customer_changes.move_to_group(ledger, actor, ids, group),
            "move_to_group",
            frozenset(ids),
            lambda n: self.tr("{count} customer(s) moved.").format(count=n),
        )

    def adjust_points(self) -> None:
        row = self._one()
        if row is None:
            return
        dialog = AdjustDialog(row.name or row.phone, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.value is None:
            return
        points, reason = dialog.value
        ledger, actor, cid = self.ws.ledger, self.ws.actor, row.id
        self._write(
            lambda: adjust_balance(ledger, cid, points, reason, actor=actor),
            "adjust_balance",
            frozenset({cid}),
            lambda _: self.tr("Points adjusted."),
        )

    def anonymise(self) -> None:
        row = self._one()
        if row is None or not confirm_anonymise(self, row.name or "—", row.phone):
            return
        ledger, actor, cid = self.ws.ledger, self.ws.actor, row.id
        self._write(
            lambda: customer_changes.anonymise_customer(ledger, actor, cid),
            "anonymise_customer",
            frozenset({cid}),
            lambda _: self.tr("The customer's personal data is erased."),
        )

    def export(self, path: Path | None = None) -> None:
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export customers"), "customers.xlsx", "Excel (*.xlsx);;CSV (*.csv)"
            )
            if not name:
                return
            path = Path(name)
        fmt: ExportFormat = "csv" if path.suffix.lower() == ".csv" else "xlsx"
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_suffix(".xlsx")
        ledger, actor = self.ws.ledger, self.ws.actor
        f, order = self.model.filter, self.model.order
        self._say(self.tr("Exporting…"))
        self.export_button.setEnabled(False)

        def finished(n: int) -> None:
            self.export_button.setEnabled(True)
            self._say(self.tr("{count} customer(s) exported to {file}.").format(count=n, file=path))

        def failed(error: BaseException) -> None:
            self.export_button.setEnabled(True)
            self._failed(error)

        # The file on a reader thread (a long XLSX never holds the writer and the sales
        # behind it), then its audit line as an operation on the writer thread.
        def written(done: Exported) -> None:
            op = CollectionOp(
                self.tasks, lambda: record(ledger, actor, done), lambda _: OpChanges("export")
            )
            op.success(finished).failure(failed).run_in_background()

        self.tasks.read(lambda: write_file(ledger, actor, f, order, path, fmt), written, failed)

    def _write(
        self, task: Callable[[], Any], name: str, ids: frozenset[str], said: Callable[[Any], str]
    ) -> None:
        def done(result: Any) -> None:
            self._say(said(result))
            self.model.refresh()

        op = CollectionOp(self.tasks, task, lambda _: OpChanges(name, customers=ids, sync=True))
        op.success(done).failure(self._failed).run_in_background()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {DANGER}; font-weight: 600;" if error else "")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        self._say(getattr(error, "message", str(error)), error=True)


def open_customer_base(window: MainWindow) -> CustomerBaseScreen:
    """The back-office menu's opener: the screen stays open beside the counter."""
    screen = CustomerBaseScreen(window)
    screen.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    screen.show()
    return screen
