"""The catalogue import with its progress and report."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.catalogue import ImportReport
from cashier_app.ui.messages import explain
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


class ImportDialog(QDialog):
    """Catalogue import with a progress bar and the validation report."""

    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.report: ImportReport | None = None
        self.setWindowTitle(self.tr("Import the product catalogue"))
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit(str(path) if path else "")
        self.path.setObjectName("import_path")
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        layout.addWidget(
            QLabel(
                self.tr(
                    "Columns: sku, barcode, name, price, category, brand, no_loyalty (CSV or XLSX)"
                )
            )
        )
        self.skip = QCheckBox(self.tr("Import the good rows even if some rows are wrong"))
        layout.addWidget(self.skip)
        self.progress = QProgressBar()
        self.progress.setObjectName("import_progress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.problems = QListWidget()
        self.problems.setObjectName("import_problems")
        layout.addWidget(self.problems, 1)
        buttons = QHBoxLayout()
        self.start = QPushButton(self.tr("Import"))
        self.start.setObjectName("import_start")
        self.start.setProperty("primary", True)
        self.start.clicked.connect(self.run)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.start)
        layout.addLayout(buttons)
        self.resize(680, 480)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Catalogue file"), "", "CSV / Excel (*.csv *.xlsx)"
        )
        if name:
            self.path.setText(name)

    def run(self) -> None:
        path = Path(self.path.text().strip())
        skip = self.skip.isChecked()
        self.start.setEnabled(False)
        self.problems.clear()
        self.summary.setText(self.tr("Checking the file…"))

        progress = self.tasks.progress_into(self.progress)

        def finished(report: ImportReport) -> None:
            self.report = report
            self.start.setEnabled(True)
            self.progress.setValue(100 if report.imported or not report.problems else 0)
            text = self.tr("{rows} rows read, {imported} products imported, {problems} problem(s).").format(
                rows=report.rows, imported=report.imported, problems=len(report.problems))  # fmt: skip
            if report.problems and not report.imported:
                text += " " + self.tr("Nothing was imported.")
            self.summary.setText(text)
            for p in report.problems[:1000]:
                where = self.tr("row {row}").format(row=p.row) + (
                    f", {p.column}" if p.column else ""
                )
                self.problems.addItem(f"{where}: {p.message}")

        def failed(error: BaseException) -> None:
            self.start.setEnabled(True)
            if not isinstance(error, LoyaltyError):
                raise error
            self.summary.setText(explain(error))

        op = CollectionOp(
            self.tasks,
            lambda: self.ws.import_catalogue(path, skip, progress),
            lambda _: OpChanges("import", catalogue=True),
        )
        op.success(finished).failure(failed).run_in_background()
