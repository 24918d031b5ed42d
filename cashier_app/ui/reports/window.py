"""The manager's reports: a list of reports on the left; the period, the chart, the table
and the buttons that save it on the right. Every report is read off the GUI thread; a
reply that comes after the manager has already asked for another report or period is
dropped, so the screen never shows figures of a period it no longer names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service.report_model import Report
from cashier_app.ui.reports.files import ReportFiles
from cashier_app.ui.reports.formatting import store_locale, store_region
from cashier_app.ui.reports.kinds import KINDS, ReportKind
from cashier_app.ui.reports.note import ReportNote
from cashier_app.ui.reports.period_picker import PeriodPicker
from cashier_app.ui.reports.view import ReportView
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


class ReportsDialog(QDialog):
    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
        kinds: Sequence[ReportKind] = KINDS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reports_dialog")
        self.ws = ws
        self.tasks = tasks
        self.kinds = list(kinds)
        self.loads = 0  # replies shown, for tests and the status line
        self._asked = 0  # the latest request; older replies are dropped
        self.region: str | None = None  # the program's, read with the first report
        self.shop_locale = store_locale(None)
        self.setWindowTitle(self.tr("Reports"))
        self.resize(1280, 760)
        outer = QHBoxLayout(self)
        self.list = QListWidget()
        self.list.setObjectName("report_list")
        self.list.setFixedWidth(270)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setStyleSheet("QListWidget::item { padding: 6px 4px; }")
        for kind in self.kinds:
            item = QListWidgetItem(kind.title())
            item.setData(Qt.ItemDataRole.UserRole, kind.key)
            self.list.addItem(item)
        outer.addWidget(self.list)
        right = QVBoxLayout()
        outer.addLayout(right, 1)
        self.picker = PeriodPicker(
            today or datetime.now().astimezone().date()
        )  # the till's own day
        self.picker.set_locale(self.shop_locale)
        right.addWidget(self.picker)
        self.view = ReportView()
        right.addWidget(self.view, 1)
        self.message = ReportNote()
        right.addWidget(self.message)
        self.files = ReportFiles(ws, tasks, self.view, self.message.say, self)
        buttons = QHBoxLayout()
        # Alt+E: a manager at the till's keyboard has no mouse to reach the button with.
        self.csv_button = QPushButton(self.tr("&Export CSV…"))
        self.csv_button.setObjectName("export_csv")
        self.csv_button.clicked.connect(lambda: self.files.ask("csv"))
        self.xlsx_button = QPushButton(self.tr("Export XLSX…"))
        self.xlsx_button.setObjectName("export_xlsx")
        self.xlsx_button.clicked.connect(lambda: self.files.ask("xlsx"))
        self.pdf_button = QPushButton(self.tr("Print to PDF…"))
        self.pdf_button.setObjectName("print_pdf")
        self.pdf_button.clicked.connect(lambda: self.files.ask("pdf"))
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        for button in (self.csv_button, self.xlsx_button, self.pdf_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        right.addLayout(buttons)
        self._enable(False)
        self.picker.changed.connect(lambda _: self.reload())
        self.list.currentRowChanged.connect(self._kind_changed)
        self.list.setCurrentRow(0)
        # Return on the list or in a date presses no button: the first button after them is
        # the period's ◀, so a report chosen with the arrows and Return showed the month
        # before. The list shows a report as it is chosen, a date applies as it is typed.
        for widget in (self.list, self.picker.start, self.picker.end):
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            return True
        return super().eventFilter(watched, event)

    @property
    def kind(self) -> ReportKind:
        return self.kinds[max(0, self.list.currentRow())]

    @property
    def report(self) -> Report | None:
        return self.view.report

    def choose(self, key: str) -> None:
        self.list.setCurrentRow(next(i for i, k in enumerate(self.kinds) if k.key == key))

    def _kind_changed(self, _: int) -> None:
        self.picker.set_single_day(self.kind.on == "day", self.kind.day_label())
        self.reload()

    def reload(self) -> None:
        self._asked += 1
        asked, kind, period = self._asked, self.kind, self.picker.period()
        ledger, actor = self.ws.ledger, self.ws.actor
        self._enable(False)
        self.message.say(self.tr("Reading…"), False)

        def task() -> tuple[Report, Report | None, str | None]:
            report = kind.fetch(ledger, actor, period)
            chart = kind.chart_of(report) if kind.chart_of is not None else None
            return report, chart, store_region(self.ws)

        def done(answer: tuple[Report, Report | None, str | None]) -> None:
            if asked == self._asked:
                report, chart, region = answer
                if region != self.region:
                    self.region, self.shop_locale = region, store_locale(region)
                    self.picker.set_locale(self.shop_locale)
                self._show(report, chart)

        def failed(error: BaseException) -> None:
            if asked == self._asked:
                self.message.failed(error)

        self.tasks.read(task, done, failed)

    def _show(self, report: Report, chart: Report | None = None) -> None:
        self.view.show_report(report, self.shop_locale, chart)
        self.loads += 1
        self.message.say("", False)
        self._enable(True)

    def _enable(self, on: bool) -> None:
        for button in (self.csv_button, self.xlsx_button, self.pdf_button):
            button.setEnabled(on)
