"""Saving the report on screen: CSV, XLSX or PDF. The manager picks the file on the GUI
thread; the file is written and the export recorded in the audit log on the writer thread
(service/report_files.py checks the permission before anything is written)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, QLocale, QObject, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from cashier_app.service import report_files
from cashier_app.service.report_files import FileFormat
from cashier_app.service.report_model import Report
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.reports.formatting import translate, translate_note
from cashier_app.ui.reports.pdf import PrintedReport, write_pdf
from cashier_app.ui.reports.view import ReportView, period_text
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


def printed(view: ReportView, subtitle: str) -> PrintedReport:
    """What the PDF shows, made on the GUI thread: texts as the window shows them and the
    chart as it is drawn now."""
    report, model = view.report, view.model
    assert report is not None
    chart = view.chart.grab().toImage() if view.chart.isVisible() else None
    return PrintedReport(
        title=translate(report.title),
        subtitle=subtitle,
        headers=tuple(translate(c.title) for c in report.columns),
        rows=tuple(
            tuple(model.text(r, c) for c in range(len(report.columns)))
            for r in range(len(report.rows))
        ),
        numeric=tuple(c.kind in ("int", "money", "points", "percent") for c in report.columns),
        chart=chart,
        notes=tuple(translate_note(n, view.shop_locale) for n in report.notes),
    )


class ReportFiles(QObject):
    """The Export CSV…, Export XLSX… and Print to PDF… buttons of one report view."""

    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        view: ReportView,
        say: Callable[[str, bool], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.view = view
        self.say = say
        self.parent_widget = parent
        self.last_saved: Path | None = None

    def ask(self, fmt: FileFormat) -> None:
        report = self.view.report
        if report is None:
            return
        filters = {
            "csv": self.tr("CSV (*.csv)"),
            "xlsx": self.tr("Excel workbook (*.xlsx)"),
            "pdf": self.tr("PDF (*.pdf)"),
        }
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = Path(folder or ".") / f"{report.name}-{_stamp(report)}.{fmt}"
        name, _ = QFileDialog.getSaveFileName(
            self.parent_widget, self.tr("Save the report"), str(suggested), filters[fmt]
        )
        if name:
            path = Path(name)
            self.save(
                fmt,
                path if path.suffix.lower() == f".{fmt}" else path.with_name(path.name + f".{fmt}"),
            )

    def save(self, fmt: FileFormat, path: Path) -> None:
        report = self.view.report
        if report is None:
            return
        paint: Callable[[Path], object] | None = None
        if fmt == "pdf":
            subtitle = self.tr("{period} · printed {when} by {user}").format(
                period=period_text(report, self.view.shop_locale),
                when=self.view.shop_locale.toString(
                    QDateTime.currentDateTime(), QLocale.FormatType.ShortFormat
                ),
                user=self.ws.actor.name,
            )
            page = printed(self.view, subtitle)
            paint = lambda target: write_pdf(page, target)  # noqa: E731
        ledger, actor = self.ws.ledger, self.ws.actor
        op = CollectionOp(
            self.tasks,
            lambda: report_files.save_report(ledger, report, path, fmt, actor=actor, paint=paint),
            lambda _: OpChanges("export_report"),
        )
        op.success(self._saved).failure(self._failed).run_in_background()

    def _saved(self, path: Path) -> None:
        self.last_saved = path
        self.say(self.tr("Saved to {path}").format(path=str(path)), False)

    def _failed(self, error: BaseException) -> None:
        self.say(getattr(error, "message", None) or str(error), True)


def _stamp(report: Report) -> str:
    if report.period is None:
        return datetime.now().astimezone().strftime("%Y-%m-%d")
    start, end = report.period.start.isoformat(), report.period.end.isoformat()
    return start if start == end else f"{start}_{end}"
