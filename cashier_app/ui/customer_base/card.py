"""A customer's card as the back office sees it: purchases, the lots that hold points, and
every movement of their points, each on its own tab, read off the GUI thread."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service import customer_base
from cashier_app.service.customer_base import AccountEvent, CustomerRow
from cashier_app.service.history import CustomerHistory, customer_history
from cashier_app.ui.receipt_model import money_text, qty_text
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for i, cells in enumerate(rows):
        for j, text in enumerate(cells):
            table.setItem(i, j, QTableWidgetItem(text))


class BaseCustomerCard(QDialog):
    def __init__(
        self, ws: Workstation, tasks: TaskManager, row: CustomerRow, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Customer card"))
        self._tz = ws.program.tz
        layout = QVBoxLayout(self)
        name = self.tr("(anonymised)") if row.anonymised else row.name or self.tr("(no name)")
        head = QLabel(name)
        head.setProperty("title", True)
        layout.addWidget(head)
        about = QLabel(
            self.tr("{phone} · cards {cards} · {group} · tier {tier} · points {points}").format(
                phone=row.phone, cards=", ".join(row.cards) or "—", group=row.group,
                tier=row.tier or "—", points=qty_text(row.balance),
            )
        )  # fmt: skip
        about.setProperty("muted", True)
        layout.addWidget(about)
        self.tabs = QTabWidget()
        self.purchases = _table(
            "card_purchases",
            [self.tr("Receipt"), self.tr("Date"), self.tr("Total"), self.tr("Paid"),
             self.tr("Points −"), self.tr("Points +")],
        )  # fmt: skip
        self.lots = _table(
            "card_lots",
            [
                self.tr("Kind"),
                self.tr("Points left"),
                self.tr("Available from"),
                self.tr("Expires"),
            ],
        )
        self.events = _table(
            "card_events",
            [self.tr("When"), self.tr("Movement"), self.tr("Points"), self.tr("Lot"),
             self.tr("Operation")],
        )  # fmt: skip
        self.tabs.addTab(self.purchases, self.tr("Purchases"))
        self.tabs.addTab(self.lots, self.tr("Lots"))
        self.tabs.addTab(self.events, self.tr("Account events"))
        layout.addWidget(self.tabs, 1)
        close = QDialogButtonBox()
        close.addButton(self.tr("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.resize(820, 560)
        ledger, actor, cid = ws.ledger, ws.actor, row.id
        tasks.read(lambda: customer_history(ledger, cid), self._show_history)
        tasks.read(lambda: customer_base.account_events(ledger, actor, cid), self._show_events)

    def _when(self, moment: datetime | None) -> str:
        return moment.astimezone(self._tz).strftime("%d.%m.%Y %H:%M") if moment else "—"

    def _show_history(self, history: CustomerHistory) -> None:
        _fill(
            self.purchases,
            [[r.number, self._when(r.at), money_text(r.total), money_text(r.paid),
              qty_text(r.redeemed), qty_text(r.accrued)] for r in history.receipts],
        )  # fmt: skip
        _fill(
            self.lots,
            [[self._kind(lot.kind), qty_text(lot.remaining), self._when(lot.available_at),
              self._when(lot.expires_at) if lot.expires_at else self.tr("never")]
             for lot in history.lots],
        )  # fmt: skip

    def _show_events(self, events: list[AccountEvent]) -> None:
        _fill(
            self.events,
            [[self._when(e.at), self._movement(e.kind), self._signed(e),
              self._kind(e.lot_kind) if e.lot_kind else "—", self._operation(e.operation)]
             for e in events],
        )  # fmt: skip

    def _kind(self, kind: str) -> str:
        names: dict[str, Any] = {
            "accrual": self.tr("purchase"), "welcome": self.tr("welcome"),
            "birthday": self.tr("birthday"), "winback": self.tr("come back"),
            "manual": self.tr("manual"), "refund": self.tr("returned"),
        }  # fmt: skip
        return str(names.get(kind, kind))

    def _movement(self, kind: str) -> str:
        names = {
            "credit": self.tr("credited"), "spend": self.tr("spent"),
            "expire": self.tr("expired"), "take_back": self.tr("taken back"),
            "repay": self.tr("paid the debt"), "debt": self.tr("debt"),
        }  # fmt: skip
        return names.get(kind, kind)

    def _signed(self, e: AccountEvent) -> str:
        # Points leaving the customer are shown with a minus, whichever way they left.
        out = e.kind in ("spend", "expire", "take_back", "debt", "repay")
        return f"−{qty_text(e.points)}" if out and e.points > 0 else qty_text(e.points)

    def _operation(self, kind: str | None) -> str:
        names = {
            None: self.tr("automatic"), "customer_registered": self.tr("registration"),
            "sale": self.tr("sale"), "return": self.tr("return"),
            "adjustment": self.tr("adjustment"), "customer_group_changed": self.tr("group changed"),
            "customer_anonymised": self.tr("anonymised"),
        }  # fmt: skip
        return names.get(kind) or str(kind).replace("_", " ")
