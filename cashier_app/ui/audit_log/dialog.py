"""The Audit log… dialog. The log can be long (every login is a line), so it is read a
page at a time, newest first, and the next page when the list is scrolled to its end;
a read that finishes after the filter changed is dropped. Times are the store's (the
program's time zone), as the shop reads its clock."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import audit
from cashier_app.service.audit import AuditEntry, AuditFilter, details_text
from cashier_app.ui.audit_log.labels import ActionNames
from cashier_app.ui.messages import explain
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import DANGER
from cashier_app.ui.workstation import Workstation

PAGE = 200


@dataclass(frozen=True, slots=True)
class Page:
    asked: int  # which filter it was read for
    offset: int
    entries: list[AuditEntry]
    tz: tzinfo


class AuditLogDialog(QDialog):
    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit_log_dialog")
        self.ws = ws
        self.tasks = tasks
        self.names = ActionNames(self)
        self.entries: list[AuditEntry] = []
        self.asked = 0  # bumped by each new filter: a late page of an old one is dropped
        self.reading = False
        self.complete = False
        self.setWindowTitle(self.tr("Audit log"))
        self.resize(1100, 600)
        layout = QVBoxLayout(self)
        layout.addLayout(self._filter_bar())
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("audit_table")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("User"), self.tr("Till"), self.tr("Action"),
             self.tr("Subject"), self.tr("Details")]
        )  # fmt: skip
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # A subject may be a customer's id: kept narrow (the whole in its tooltip), so the
        # details, which say what happened, get the room; one line a row keeps a long log
        # quick to scroll.
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 180)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        layout.addWidget(self.table)
        bottom = QHBoxLayout()
        self.message = QLabel("")
        self.message.setObjectName("audit_message")
        self.message.setWordWrap(True)
        bottom.addWidget(self.message, 1)
        self.more_button = QPushButton(self.tr("Show older"))
        self.more_button.setObjectName("audit_more")
        self.more_button.clicked.connect(self.read_more)
        self.export_button = QPushButton(self.tr("Save as CSV…"))
        self.export_button.setObjectName("audit_export")
        self.export_button.clicked.connect(self.export)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        for button in (self.more_button, self.export_button, close):
            bottom.addWidget(button)
        layout.addLayout(bottom)
        self.tz: tzinfo = UTC  # the store's, read with the filters' choices below
        ws = self.ws

        def choices() -> tuple[list[str], list[str], tzinfo]:
            return (*audit.audit_choices(ws.ledger, ws.actor), ws.program.tz)

        # The first page is read once the store's zone is known (days are the store's).
        self.tasks.read(choices, self._choices, self._failed)

    def _filter_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.use_days = QCheckBox(self.tr("From"))
        self.use_days.setObjectName("audit_use_days")
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-7))
        self.until = QDateEdit(today)
        for name, edit in (("audit_from", self.since), ("audit_to", self.until)):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self.refresh)
        self.use_days.toggled.connect(self.refresh)
        self.user = QComboBox()
        self.user.setObjectName("audit_user")
        self.user.addItem(self.tr("Everyone"), None)
        self.action = QComboBox()
        self.action.setObjectName("audit_action")
        self.action.addItem(self.tr("Every action"), None)
        self.user.currentIndexChanged.connect(self.refresh)
        self.action.currentIndexChanged.connect(self.refresh)
        bar.addWidget(self.use_days)
        bar.addWidget(self.since)
        bar.addWidget(QLabel(self.tr("to")))
        bar.addWidget(self.until)
        bar.addSpacing(12)
        bar.addWidget(QLabel(self.tr("User")))
        bar.addWidget(self.user, 1)
        bar.addWidget(QLabel(self.tr("Action")))
        bar.addWidget(self.action, 1)
        return bar

    def _choices(self, found: tuple[list[str], list[str], tzinfo]) -> None:
        users, actions, self.tz = found
        for widget in (self.user, self.action):
            widget.blockSignals(True)
        for name in users:
            self.user.addItem(name, name)
        labelled = sorted((self.names.name(a), a) for a in actions)
        for label, action in labelled:
            self.action.addItem(label, action)
        for widget in (self.user, self.action):
            widget.blockSignals(False)
        self.refresh()

    # -- reading -----------------------------------------------------------------------------
    def wanted(self) -> AuditFilter | None:
        """The filter as chosen, or None when the days make no sense (said in the dialog)."""
        since = until = None
        if self.use_days.isChecked():
            first, last = self.since.date().toPython(), self.until.date().toPython()
            assert isinstance(first, date) and isinstance(last, date)
            if last < first:
                return None
            tz = self.tz
            since = datetime.combine(first, time(), tz).astimezone(UTC)
            until = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
        return AuditFilter(since, until, self.user.currentData(), self.action.currentData())

    def refresh(self) -> None:
        self.asked += 1
        self.entries = []
        self.complete = False
        self.table.setRowCount(0)
        if self.wanted() is None:
            self._say(self.tr("The last day is before the first: choose the days again."), True)
            return
        self._say("")
        self.reading = False
        self.read_more()

    def read_more(self) -> None:
        wanted = self.wanted()
        if self.reading or self.complete or wanted is None:
            return
        self.reading = True
        asked, offset, ledger, actor = self.asked, len(self.entries), self.ws.ledger, self.ws.actor
        tz = self.tz

        def read() -> Page:
            entries = audit.audit_entries(ledger, actor, wanted, offset, PAGE)
            return Page(asked, offset, entries, tz)

        self.tasks.read(read, self._page, self._failed)

    def _page(self, page: Page) -> None:
        if page.asked != self.asked or page.offset != len(self.entries):
            return  # read for a filter since changed
        self.reading = False
        self.complete = len(page.entries) < PAGE
        start = len(self.entries)
        self.entries += page.entries
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(page.entries, start):
            for column, text in enumerate(self._cells(entry, page.tz)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.more_button.setEnabled(not self.complete)
        shown = len(self.entries)
        if not shown:
            self._say(self.tr("No line of the log fits the filter."))
        elif self.complete:
            self._say(self.tr("{count} line(s), all shown.").format(count=shown))
        else:
            self._say(self.tr("The newest {count} line(s); older ones follow as you scroll.")
                      .format(count=shown))  # fmt: skip

    def _cells(self, entry: AuditEntry, tz: tzinfo) -> tuple[str, ...]:
        return (
            entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            entry.user or "",
            entry.till or "",
            self.names.name(entry.action),
            entry.subject or "",
            details_text(entry.details),
        )

    def _scrolled(self, value: int) -> None:
        if value >= self.table.verticalScrollBar().maximum() - 5:
            self.read_more()

    # -- export ------------------------------------------------------------------------------
    def export(self) -> None:
        wanted = self.wanted()
        if wanted is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the audit log"), "audit-log.csv", self.tr("CSV files (*.csv)")
        )
        if name:
            self.export_to(Path(name), wanted)

    def export_to(self, path: Path, wanted: AuditFilter) -> None:
        ledger, actor = self.ws.ledger, self.ws.actor
        header = [self.tr("Time"), self.tr("User"), self.tr("Till"), self.tr("Action"),
                  self.tr("Subject"), self.tr("Details")]  # fmt: skip
        names = {e.action: self.names.name(e.action) for e in self.entries}

        tz = self.tz

        def write() -> int:
            count = 0
            with path.open("w", encoding="utf-8-sig", newline="") as out:
                rows = csv.writer(out)
                rows.writerow(header)
                for entry in audit.all_audit_entries(ledger, actor, wanted):
                    cells = list(self._plain_cells(entry, tz))
                    cells[3] = names.get(entry.action, entry.action)
                    rows.writerow(cells)
                    count += 1
            return count

        def done(count: int) -> None:
            self._say(self.tr("{count} line(s) saved to {path}.").format(count=count, path=path))

        self.tasks.read(write, done, self._failed)

    @staticmethod
    def _plain_cells(entry: AuditEntry, tz: tzinfo) -> tuple[str, ...]:
        return (
            entry.at.astimezone(tz).isoformat(" ", "seconds"),
            entry.user or "",
            entry.till or "",
            entry.action,
            entry.subject or "",
            details_text(entry.details),
        )

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {DANGER}; font-weight: 600;" if error else "")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        self.reading = False
        if isinstance(error, LoyaltyError):
            self._say(explain(error), True)
        elif isinstance(error, OSError):
            self._say(self.tr("The file cannot be written: {reason}").format(
                reason=error.strerror or str(error)), True)  # fmt: skip
        else:
            self._say(str(error), True)
