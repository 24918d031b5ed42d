"""The customer card: lots, receipts, a return from one of them."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service.history import CustomerHistory
from cashier_app.service.results import CustomerView
from cashier_app.service.users import Permission
from cashier_app.ui.dialogs.returns import ReturnDialog
from cashier_app.ui.receipt_model import money_text, qty_text
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


class CustomerCardDialog(QDialog):
    """History of receipts, lots with their expiry, pending points, tier progress."""

    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        customer: CustomerView,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Customer card"))
        layout = QVBoxLayout(self)
        head = QLabel(customer.name or self.tr("(no name)"))
        head.setProperty("title", True)
        layout.addWidget(head)
        info = [
            f"{ws.show_phone(customer)} · {self.tr('card')} {', '.join(customer.cards) or '—'} · {customer.group_name}"
        ]
        info.append(self.tr("Points {balance}, pending {pending}").format(
            balance=qty_text(customer.balance), pending=qty_text(customer.pending)))  # fmt: skip
        if customer.tier:
            tier = self.tr("Tier {tier}, purchases {basis}").format(
                tier=customer.tier, basis=money_text(customer.tier_basis)
            )
            if customer.next_tier:
                tier += " · " + self.tr("{missing} more to {tier}").format(
                    missing=money_text(customer.to_next_tier), tier=customer.next_tier)  # fmt: skip
            info.append(tier)
        for line in info:
            label = QLabel(line)
            label.setProperty("muted", True)
            layout.addWidget(label)
        layout.addWidget(QLabel(self.tr("Points by lot")))
        self.lots = QTableWidget(0, 4)
        self.lots.setObjectName("lots_table")
        self.lots.setHorizontalHeaderLabels(
            [self.tr("Kind"), self.tr("Points left"), self.tr("Available from"), self.tr("Expires")]
        )
        layout.addWidget(self.lots)
        layout.addWidget(QLabel(self.tr("Receipts")))
        self.receipts = QTableWidget(0, 5)
        self.receipts.setObjectName("receipts_table")
        self.receipts.setHorizontalHeaderLabels(
            [
                self.tr("Receipt"),
                self.tr("Date"),
                self.tr("Total"),
                self.tr("Points −"),
                self.tr("Points +"),
            ]
        )
        layout.addWidget(self.receipts, 1)
        for table in (self.lots, self.receipts):
            table.verticalHeader().hide()
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self.return_button = QPushButton(self.tr("Return from the selected receipt…"))
        self.return_button.setObjectName("card_return")
        self.return_button.clicked.connect(self._return_selected)
        if ws.can(Permission.RETURN):  # a cashier who may not return does not see it
            close.addButton(self.return_button, QDialogButtonBox.ButtonRole.ActionRole)
        else:
            self.return_button.hide()
        close.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        layout.addWidget(close)
        self._ws, self._tasks = ws, tasks
        self.receipts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.receipts.itemDoubleClicked.connect(lambda _: self._return_selected())
        self.resize(760, 620)
        self._tz = ws.program.tz
        tasks.read(lambda: ws.history(customer.id), self._show)

    def _return_selected(self) -> None:
        row = self.receipts.currentRow()
        if row < 0 or not self._ws.can(Permission.RETURN):
            return
        number = self.receipts.item(row, 0)  # _show gave every row its cells
        assert number is not None
        dialog = ReturnDialog(self._ws, self._tasks, self)
        dialog.number.setText(number.text())
        dialog.load()
        dialog.exec()

    def _when(self, moment: object) -> str:
        from datetime import datetime

        assert isinstance(moment, datetime)
        return moment.astimezone(self._tz).strftime("%d.%m.%Y %H:%M")  # the store's time

    def _show(self, history: CustomerHistory) -> None:
        self.lots.setRowCount(len(history.lots))
        for i, lot in enumerate(history.lots):
            kinds = {
                "accrual": self.tr("purchase"), "welcome": self.tr("welcome"), "birthday": self.tr("birthday"),
                "winback": self.tr("come back"), "manual": self.tr("manual"), "refund": self.tr("returned"),
            }  # fmt: skip
            cells = [kinds.get(lot.kind, lot.kind), qty_text(lot.remaining), self._when(lot.available_at),
                     self._when(lot.expires_at) if lot.expires_at else self.tr("never")]  # fmt: skip
            for j, text in enumerate(cells):
                self.lots.setItem(i, j, QTableWidgetItem(text))
        self.receipts.setRowCount(len(history.receipts))
        for i, r in enumerate(history.receipts):
            cells = [
                r.number,
                self._when(r.at),
                money_text(r.total),
                qty_text(r.redeemed),
                qty_text(r.accrued),
            ]
            for j, text in enumerate(cells):
                self.receipts.setItem(i, j, QTableWidgetItem(text))
