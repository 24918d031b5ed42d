"""The shift report shown when a shift closes, before the till goes back to the login
screen: what the cashier took in that shift, printable to PDF for the cash count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from cashier_app.service.report_model import Period, Report
from cashier_app.service.reports import shift_report
from cashier_app.ui.reports.files import ReportFiles
from cashier_app.ui.reports.formatting import store_locale, store_region
from cashier_app.ui.reports.note import ReportNote
from cashier_app.ui.reports.view import ReportView
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


class ShiftReportDialog(QDialog):
    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        fetch: Callable[[], Report],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shift_report_dialog")
        self.ws = ws
        self.setWindowTitle(self.tr("Shift report"))
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        self.view = ReportView()
        layout.addWidget(self.view, 1)
        self.message = ReportNote(self.tr("Reading…"))
        layout.addWidget(self.message)
        self.files = ReportFiles(ws, tasks, self.view, self.message.say, self)
        buttons = QHBoxLayout()
        self.pdf_button = QPushButton(self.tr("Print to PDF…"))
        self.pdf_button.setObjectName("print_pdf")
        self.pdf_button.clicked.connect(lambda: self.files.ask("pdf"))
        self.pdf_button.setEnabled(False)
        done = QPushButton(self.tr("Log out"))
        done.setObjectName("shift_report_done")
        done.setProperty("primary", True)
        done.setDefault(True)  # Enter closes it, as the login screen's next cashier expects
        done.clicked.connect(self.accept)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        buttons.addWidget(done)
        done.setFocus()  # the table would take Enter otherwise
        layout.addLayout(buttons)
        self.report: Report | None = None
        tasks.read(lambda: (fetch(), store_region(ws)), self._show, self.message.failed)

    def _show(self, answer: tuple[Report, str | None]) -> None:
        self.report, region = answer
        one = len(self.report.rows) == 1
        self.view.show_report(self.report, store_locale(region), transposed=one)
        # One shift is one bar: its figures, read down, say it all.
        self.view.chart.setVisible(not one)
        self.message.setText("")
        self.pdf_button.setEnabled(True)


def show_shift_report(ws: Workstation, tasks: TaskManager, shift_id: str, parent: QWidget) -> None:
    """The report of the shift just closed (the cashier's own: service/reports/shifts lets
    them see it without the right to view reports)."""
    today = datetime.now().astimezone().date()
    ledger, actor = ws.ledger, ws.actor
    dialog = ShiftReportDialog(
        ws, tasks, lambda: shift_report(ledger, actor, Period(today, today), shift_id), parent
    )
    dialog.exec()
