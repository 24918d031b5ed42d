"""The import's steps in one dialog: file → columns → check → import. Reading, checking
and saving the report run on the task manager's readers, the import on its writer
(CollectionOp); their progress comes back by run_on_main, so the window keeps painting."""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import format_points
from cashier_app.service.customer_import import (
    PREVIEW_ROWS,
    CustomerFile,
    ValidationReport,
    guess_mapping,
    read_customer_file,
    save_report,
    validate,
)
from cashier_app.service.customer_import_columns import not_kept
from cashier_app.service.customer_import_write import ImportResult, import_customers
from cashier_app.ui.customer_import.pages import MappingTable, ProblemsTable
from cashier_app.ui.dialogs.common import error_label
from cashier_app.ui.messages import explain
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation

FILE, COLUMNS, REPORT, IMPORT = range(4)


class CustomerImportDialog(QDialog):
    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws, self.tasks = ws, tasks
        self.file: CustomerFile | None = None
        self.report: ValidationReport | None = None
        self.import_result: ImportResult | None = None
        self.setObjectName("customer_import_dialog")
        self.setWindowTitle(self.tr("Import customers"))
        layout = QVBoxLayout(self)
        self.step = QLabel("")
        self.step.setObjectName("import_step")
        self.step.setStyleSheet("font-size: 15pt; font-weight: 600;")
        layout.addWidget(self.step)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self.pages.addWidget(self._file_page(path))
        self.pages.addWidget(self._columns_page())
        self.pages.addWidget(self._report_page())
        self.pages.addWidget(self._import_page())
        self.progress = QProgressBar()
        self.progress.setObjectName("import_progress")
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.error = error_label()
        layout.addWidget(self.error)
        self.resize(1160, 640)
        self._go(FILE)

    def done(self, result: int) -> None:
        # Frozen objects are never collected as cycles (gc.freeze above): the rows go now.
        self.file = self.report = None
        self.mapping_table.setRowCount(0)
        self.problems.show_problems([])
        super().done(result)

    # -- the pages ---------------------------------------------------------------------
    def _file_page(self, path: Path | None) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        intro = QLabel(
            self.tr(
                "Choose the file of customers exported from the old system: CSV (comma or "
                "semicolon, UTF-8 or Windows-1251) or an Excel workbook (.xlsx, its first "
                "sheet). The first row names the columns."
            )
        )
        intro.setWordWrap(True)
        box.addWidget(intro)
        row = QHBoxLayout()
        self.path = QLineEdit(str(path) if path else "")
        self.path.setObjectName("import_path")
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        box.addLayout(row)
        box.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.read_button = QPushButton(self.tr("Next: columns"))
        self.read_button.setObjectName("import_read")
        self.read_button.setProperty("primary", True)
        self.read_button.clicked.connect(self.read_file)
        buttons.addWidget(self.read_button)
        box.addLayout(buttons)
        return page

    def _columns_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.columns_note = QLabel("")
        self.columns_note.setWordWrap(True)
        box.addWidget(self.columns_note)
        self.mapping_table = MappingTable()
        box.addWidget(self.mapping_table, 1)
        buttons = QHBoxLayout()
        back = QPushButton(self.tr("Back"))
        back.clicked.connect(lambda: self._go(FILE))
        buttons.addWidget(back)
        buttons.addStretch(1)
        self.check_button = QPushButton(self.tr("Next: check the rows"))
        self.check_button.setObjectName("import_check")
        self.check_button.setProperty("primary", True)
        self.check_button.clicked.connect(self.check_rows)
        buttons.addWidget(self.check_button)
        box.addLayout(buttons)
        return page

    def _report_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.summary = QLabel("")
        self.summary.setObjectName("import_summary")
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        self.problems = ProblemsTable()
        box.addWidget(self.problems, 1)
        buttons = QHBoxLayout()
        back = QPushButton(self.tr("Back"))
        back.clicked.connect(lambda: self._go(COLUMNS))
        buttons.addWidget(back)
        self.save_button = QPushButton(self.tr("Save report…"))
        self.save_button.setObjectName("import_save_report")
        self.save_button.clicked.connect(self._choose_report_file)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        self.import_button = QPushButton(self.tr("Import"))
        self.import_button.setObjectName("import_start")
        self.import_button.setProperty("primary", True)
        self.import_button.clicked.connect(self.start_import)
        buttons.addWidget(self.import_button)
        box.addLayout(buttons)
        return page

    def _import_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.outcome = QLabel("")
        self.outcome.setObjectName("import_outcome")
        self.outcome.setWordWrap(True)
        box.addWidget(self.outcome)
        box.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("import_close")
        self.close_button.clicked.connect(self.accept)
        buttons.addWidget(self.close_button)
        box.addLayout(buttons)
        return page

    def _go(self, page: int) -> None:
        titles = {
            FILE: self.tr("Step 1 of 4: the file"),
            COLUMNS: self.tr("Step 2 of 4: which column is what"),
            REPORT: self.tr("Step 3 of 4: what the check found"),
            IMPORT: self.tr("Step 4 of 4: import"),
        }
        self.step.setText(titles[page])
        self.pages.setCurrentIndex(page)
        # Return takes the step forward: left to Qt it pressed the first button after the
        # focus, so the path typed and Return opened "Choose…" instead of the columns.
        forward = (self.read_button, self.check_button, self.import_button, self.close_button)
        forward[page].setDefault(True)
        # The path field keeps the keyboard on the first page; later pages give it to
        # their step's button, not to a column's choice or the table.
        (self.path if page == FILE else forward[page]).setFocus()
        self.error.setText("")

    def _busy(self, busy: bool, text: str = "") -> None:
        for button in (self.read_button, self.check_button, self.import_button, self.save_button):
            button.setEnabled(not busy)
        self.progress.setVisible(busy or self.pages.currentIndex() == IMPORT)
        if busy:
            self.progress.setValue(0)
        self.error.setProperty("message", "info" if busy else "error")
        self.error.setText(text)

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        if not isinstance(error, LoyaltyError):
            raise error
        # The service's own sentence names the file, the row or the limit.
        self.error.setText(f"{explain(error)} ({error.message})")

    # -- step 1: read the file ---------------------------------------------------------
    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Customers' file"), "", "CSV / Excel (*.csv *.txt *.xlsx)"
        )
        if name:
            self.path.setText(name)

    def read_file(self) -> None:
        path = Path(self.path.text().strip())
        if not self.path.text().strip():
            self.error.setText(self.tr("Choose a file first."))
            return
        self._busy(True, self.tr("Reading the file…"))
        self.tasks.read(lambda: read_customer_file(path), self._file_read, self._failed)

    def _file_read(self, file: CustomerFile) -> None:
        self._busy(False)
        self.file = file
        self.mapping_table.show_file(file, guess_mapping(file.headers))
        self.columns_note.setText(
            self.tr(
                "{name}: {rows} rows. Choose what each column holds (the first {shown} rows "
                "are shown); the phone is required, columns left out are not imported."
            ).format(name=file.name, rows=f"{len(file.rows):,}", shown=PREVIEW_ROWS)
        )
        self._go(COLUMNS)

    # -- step 2: check the rows --------------------------------------------------------
    def check_rows(self) -> None:
        file, mapping = self.file, self.mapping_table.mapping()
        if file is None:
            return
        if "phone" not in mapping:
            self.error.setText(self.tr("Choose the column that holds the phone."))
            return
        self._busy(True, self.tr("Checking the rows…"))
        ws = self.ws

        def check() -> ValidationReport:
            return validate(
                ws.ledger, ws.actor, file, mapping, progress=self.tasks.progress_into(self.progress)
            )

        self.tasks.read(check, self._checked, self._failed)

    def _checked(self, report: ValidationReport) -> None:
        self._busy(False)
        self.report = report
        # The file and the report (100,000 rows) live until the import is done: out of
        # the garbage collector's sight, as the window's own start-up heap is, its full
        # collections during the import stay short instead of stalling the window for
        # 50 ms and more (bench/import_bench.py). They are freed as ever, by reference
        # counting, once the dialog lets them go (done()).
        gc.freeze()
        text = self.tr(
            "{rows} rows read: {valid} to import, {unchanged} already in the base (left "
            "unchanged), {bad} with problems. Opening balances: {points} points."
        ).format(
            rows=f"{report.rows:,}",
            valid=f"{report.importable:,}",
            unchanged=f"{len(report.unchanged):,}",
            bad=f"{report.bad_rows:,}",
            points=format_points(report.balances, report.points_rounding),
        )
        if report.left_out:
            # Named, so that no column of the file is dropped without the manager knowing.
            columns = ", ".join(
                self.tr("{column} (the ledger keeps no e-mail)").format(column=c)
                if not_kept(c)
                else c
                for c in report.left_out
            )
            text += " " + self.tr("Columns not imported: {columns}.").format(columns=columns)
        self.summary.setText(text)
        self.problems.show_problems(report.problems)
        self.import_button.setText(
            self.tr("Import {count} customers").format(count=f"{report.importable:,}")
        )
        self.import_button.setEnabled(bool(report.importable))
        # The report also lists the rows already in the base, with the points left behind.
        self.save_button.setEnabled(bool(report.problems or report.unchanged))
        self._go(REPORT)

    def _choose_report_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the report"), "import-report.csv", "CSV (*.csv);;Excel (*.xlsx)"
        )
        if name:
            self.save_report_to(Path(name))

    def save_report_to(self, path: Path) -> None:
        report = self.report
        if report is None:
            return
        self._busy(True, self.tr("Saving the report…"))
        folder = self.ws.ledger.db.path.parent

        def saved(_: object) -> None:
            self._busy(False)
            self.error.setProperty("message", "info")
            self.error.setText(self.tr("The report is saved to {path}.").format(path=str(path)))

        def failed(error: BaseException) -> None:
            self._busy(False)
            if isinstance(error, LoyaltyError):  # the ledger's own file, a folder, a full disk
                reason = error.message
            elif isinstance(error, OSError):
                reason = error.strerror or str(error)
            else:
                raise error
            self.error.setText(self.tr("The report could not be saved: {reason}").format(
                reason=reason))  # fmt: skip

        self.tasks.read(lambda: save_report(report, path, folder), saved, failed)

    # -- step 3: import ----------------------------------------------------------------
    def start_import(self) -> None:
        file, mapping, checked = self.file, self.mapping_table.mapping(), self.report
        if file is None or checked is None:
            return
        self._go(IMPORT)
        self._busy(True, self.tr("Importing… the till goes on working meanwhile."))
        self.close_button.setEnabled(False)
        ws = self.ws

        def run() -> ImportResult:
            return import_customers(
                ws.ledger,
                ws.actor,
                file,
                mapping,
                progress=self.tasks.progress_into(self.progress),
                checked=checked,
            )

        def failed(error: BaseException) -> None:
            self._can_close()
            self._failed(error)

        op = CollectionOp(self.tasks, run, lambda _: OpChanges("import_customers"))
        op.success(self._imported).failure(failed).run_in_background()

    def _can_close(self) -> None:
        # Disabled while the import ran, the button lost the keyboard: Return closes now.
        self.close_button.setEnabled(True)
        self.close_button.setDefault(True)
        self.close_button.setFocus()

    def _imported(self, result: ImportResult) -> None:
        self.import_result = result
        self._busy(False)
        self.progress.setValue(100)
        self._can_close()
        self.outcome.setText(
            self.tr(
                "{imported} customers imported, {points} points of opening balances brought "
                "over; {unchanged} already in the base were left unchanged, {bad} rows with "
                "problems were not imported."
            ).format(
                imported=f"{result.imported:,}",
                points=format_points(result.balances, result.report.points_rounding),
                unchanged=f"{result.unchanged:,}",
                bad=f"{result.report.bad_rows:,}",
            )
        )
