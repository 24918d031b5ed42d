"""One report on screen: its title and period, the chart, the table under it and its notes.
The reports window and the shift report shown at closing both show a report this way."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service.report_model import Report
from cashier_app.ui.reports.chart import ReportChart
from cashier_app.ui.reports.formatting import show_date, translate, translate_note
from cashier_app.ui.reports.table_model import ReportTableModel


def period_text(report: Report, locale: QLocale) -> str:
    if report.period is None:
        return ""
    start, end = show_date(report.period.start, locale), show_date(report.period.end, locale)
    return start if start == end else f"{start} — {end}"


class ReportView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: Report | None = None
        self.shop_locale = QLocale()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("")
        self.title.setObjectName("report_title")
        self.title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(self.title)
        self.chart = ReportChart()
        self.model = ReportTableModel()
        self.table = QTableView()
        self.table.setObjectName("report_table")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setMinimumSectionSize(90)
        # The chart above, the table below; the manager drags the line between them.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)
        self.notes = QLabel("")
        self.notes.setObjectName("report_notes")
        self.notes.setWordWrap(True)
        layout.addWidget(self.notes)

    def show_report(
        self,
        report: Report,
        locale: QLocale,
        chart: Report | None = None,
        transposed: bool = False,
    ) -> None:
        """``chart``: the figures the chart draws when they are not the table's own;
        ``transposed``: a line per column (one row's figures, read down)."""
        self.report = report
        self.shop_locale = locale
        title = translate(report.title)
        period = period_text(report, locale)
        self.title.setText(f"{title} · {period}" if period else title)
        drawn = chart or report
        self.chart.show_report(drawn, locale)
        self.chart.setVisible(drawn.chart is not None and bool(drawn.rows))
        self.model.show_report(report, locale, transposed)
        self.table.verticalHeader().setVisible(transposed)
        self.table.horizontalHeader().setVisible(not transposed)
        self.table.horizontalHeader().setStretchLastSection(transposed)
        header = self.table.horizontalHeader()
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        empty = [self.tr("Nothing in this period.")] if not report.rows else []
        self.notes.setText("\n".join(empty + [translate_note(n, locale) for n in report.notes]))
