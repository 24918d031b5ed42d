"""The dialog a damaged or lost ledger brings up at start, instead of only an error: the
newest good backup of this till (or another one, or a file chosen by hand), what restoring
it would lose, an administrator's name and PIN (checked against the backup's own staff:
nobody can log in to a damaged ledger), Restore or Quit.

What would be lost is worked out on the TaskManager's threads (service/restore.py):
operations since the backup are carried over; when some cannot be read, Restore needs a
tick of "restore anyway" and a second confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service import backups
from cashier_app.service.backups import Backup
from cashier_app.service.ledger import Ledger
from cashier_app.service.restore import Restored, RestorePlan, plan_restore, restore_backup
from cashier_app.ui.backups.dialog import Words, when
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import DANGER

# The refusals a backup can answer; a newer or read-only ledger needs another way out.
RESTORABLE = ("ledger_damaged", "ledger_missing")


class RestoreDialog(QDialog):
    def __init__(
        self, data_dir: Path, problem: str, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.tasks = tasks
        self.words = Words(self)
        self.found: list[Backup] = []
        self.plan: RestorePlan | None = None
        self.restored: Restored | None = None
        self.setWindowTitle(self.tr("The ledger cannot be used"))
        self.resize(900, 500)
        layout = QVBoxLayout(self)
        head = QLabel(self.tr("This till's ledger is damaged or missing; it was not used."))
        head.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        head.setWordWrap(True)
        layout.addWidget(head)
        detail = QLabel(problem)
        detail.setObjectName("restore_problem")
        detail.setWordWrap(True)
        layout.addWidget(detail)
        layout.addWidget(QLabel(self.tr("Restore it from a backup:")))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("restore_backups")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Made"), self.tr("Why"), self.tr("State"), self.tr("Holds")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        other = QPushButton(self.tr("Another backup file…"))
        other.setObjectName("restore_other_file")
        other.clicked.connect(self.choose_file)
        row = QHBoxLayout()
        row.addWidget(other)
        row.addStretch(1)
        layout.addLayout(row)
        self.loss = QLabel(self.tr("Looking for backups…"))
        self.loss.setObjectName("restore_loss")
        self.loss.setWordWrap(True)
        layout.addWidget(self.loss)
        self.accept_loss = QCheckBox(
            self.tr("Restore anyway: I accept that the operations that cannot be read are lost")
        )
        self.accept_loss.setObjectName("restore_accept_loss")
        self.accept_loss.hide()
        self.accept_loss.toggled.connect(self._ready)
        layout.addWidget(self.accept_loss)
        form = QFormLayout()
        self.admin = QLineEdit()
        self.admin.setObjectName("restore_admin")
        self.pin = QLineEdit()
        self.pin.setObjectName("restore_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        form.addRow(self.tr("Administrator"), self.admin)
        form.addRow(self.tr("PIN"), self.pin)
        layout.addLayout(form)
        self.error = QLabel("")
        self.error.setObjectName("restore_error")
        self.error.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.restore_button = QPushButton(self.tr("Restore"))
        self.restore_button.setObjectName("restore_ok")
        self.restore_button.setProperty("primary", True)
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore)
        quit_button = QPushButton(self.tr("Quit"))
        quit_button.setObjectName("restore_quit")
        quit_button.clicked.connect(self.reject)
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(quit_button)
        layout.addLayout(buttons)
        data_dir_ = data_dir
        self.tasks.read(lambda: backups.of_till(data_dir_), self._show, self._failed)

    # -- the backups and what each would lose ---------------------------------------------
    def _show(self, found: list[Backup]) -> None:
        self.found = found
        self.table.setRowCount(len(found))
        for row, b in enumerate(found):
            state = self.tr("good") if b.good else self.tr("not usable")
            holds = (
                self.tr("receipts: {receipts}, operations: {events}").format(
                    receipts=b.receipts, events=b.events
                )
                if b.good
                else (b.problems[0] if b.problems else "")
            )
            for column, text in enumerate(
                (when(b.taken_at), self.words.reason(b.reason), state, holds)
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(str(b.path))
                self.table.setItem(row, column, item)
        newest = next((i for i, b in enumerate(found) if b.good), None)
        if newest is None:
            self.loss.setText(
                self.tr(
                    "No good backup of this till was found. Choose a backup file, or quit and "
                    "export what can be read with cashier-app salvage."
                )
            )
            return
        self.table.selectRow(newest)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._plan(self.found[rows[0].row()].path)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Backup file"), str(self.data_dir), self.tr("Backups (*.sqlite3)")
        )
        if name:
            self.table.clearSelection()
            self._plan(Path(name))

    def _plan(self, path: Path) -> None:
        self.plan = None
        self._ready()
        self.loss.setText(self.tr("Working out what would be lost…"))
        data_dir = self.data_dir
        self.tasks.read(lambda: plan_restore(data_dir, path), self._show_plan, self._failed)

    def _show_plan(self, plan: RestorePlan) -> None:
        self.plan = plan
        self.error.setText("")
        loss = plan.loss
        since = when(plan.backup.taken_at)
        if loss.unreadable:
            text = self.tr(
                "Since this backup ({since}) the till recorded operations that cannot be read "
                "now ({reason}). Restoring loses those not yet sent to the central server; "
                "the damaged file is kept aside."
            ).format(since=since, reason=loss.unreadable)
            if loss.total:
                text += " " + self.tr("{n} operations before them are carried over.").format(
                    n=loss.total
                )
            self.accept_loss.show()
        elif loss.total == 0:
            text = self.tr("Nothing was recorded since this backup ({since}): nothing is lost.")
            text = text.format(since=since)
            self.accept_loss.hide()
        else:
            text = self.tr(
                "Since this backup ({since}): receipts: {receipts}, other operations: {other}; "
                "not sent to the central server: {unsent}. All are carried over into the "
                "restored ledger: nothing is lost."
            ).format(since=since, receipts=loss.receipts, other=loss.other, unsent=loss.unsent)
            self.accept_loss.hide()
        self.loss.setText(text)
        self._ready()

    def _ready(self) -> None:
        plan = self.plan
        ok = plan is not None and (not plan.loss.unreadable or self.accept_loss.isChecked())
        self.restore_button.setEnabled(ok)

    # -- restoring --------------------------------------------------------------------------
    def restore(self) -> None:
        plan = self.plan
        if plan is None:
            return
        name, pin = self.admin.text().strip(), self.pin.text()
        if not name or not pin:
            self.error.setText(self.tr("Type an administrator's name and PIN."))
            return
        accept = bool(plan.loss.unreadable)
        if accept:
            sure = QMessageBox.question(
                self,
                self.tr("Lose operations?"),
                self.tr(
                    "Operations recorded since the backup that cannot be read will be lost. "
                    "Restore anyway?"
                ),
            )
            if sure != QMessageBox.StandardButton.Yes:
                return
        self.restore_button.setEnabled(False)
        self.error.setText("")
        self.loss.setText(self.tr("Restoring…"))
        data_dir, path = self.data_dir, plan.backup.path
        self.tasks.write(
            lambda: restore_backup(data_dir, path, name=name, pin=pin, accept_losing_unsent=accept),
            self._restored,
            self._failed,
        )

    def _restored(self, done: Restored) -> None:
        self.restored = done
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.pin.clear()
        if self.plan is not None:
            self._show_plan(self.plan)  # what would be lost, again (not "Restoring…")
        self.error.setText(getattr(error, "message", str(error)))
        self._ready()


def offer_restore(data_dir: Path, problem: str, tasks: TaskManager) -> Restored | None:
    """At start, for a damaged or lost ledger: the restore dialog; what it restored, or
    None when the manager quit."""
    dialog = RestoreDialog(data_dir, problem, tasks)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.restored


def restore_at_start(
    data_dir: Path, problem: str, tasks: TaskManager, open_till: Callable[[], Ledger]
) -> Ledger | None:
    """The restore dialog, then the restored ledger opened as the till (None: quit)."""
    if offer_restore(data_dir, problem, tasks) is None:
        return None
    return tasks.wait_for(open_till)
