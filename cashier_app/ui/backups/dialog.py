"""Backups… (Back office): where the backups go (a USB stick or a network folder), how
often and how many are kept, "Back up now", and the list of backups with whether each is
good. Every read and write runs off the GUI thread (TaskManager, CollectionOp)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.service import backups, settings
from cashier_app.service.backups import Backup
from cashier_app.service.settings import BackupSettings
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import DANGER, OK
from cashier_app.ui.workstation import Workstation


class Words(QObject):
    """The words the backups' screens share (one translation context)."""

    def reason(self, reason: str) -> str:
        return {
            "scheduled": self.tr("on schedule"),
            "manual": self.tr("by hand"),
            "before_migration": self.tr("before an upgrade"),
        }.get(reason, reason)

    def size(self, size: int) -> str:
        if size >= 1 << 20:
            return self.tr("{n} MiB").format(n=f"{size / (1 << 20):.1f}")
        return self.tr("{n} KiB").format(n=max(1, size // 1024))


def when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class BackupsDialog(QDialog):
    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.words = Words(self)
        self.found: list[Backup] = []
        self.setWindowTitle(self.tr("Backups"))
        self.resize(920, 520)
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "The till copies its ledger on a schedule, before every upgrade and when you "
                "ask. Keep the copies off this computer: choose a USB stick or a network "
                "folder. A copy holds customers' phones: keep it as safe as the till."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        folder_row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setObjectName("backup_folder")
        self.folder.setReadOnly(True)
        choose = QPushButton(self.tr("Choose…"))
        choose.setObjectName("choose_folder")
        choose.clicked.connect(self.choose_folder)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        form.addRow(self.tr("Folder"), folder_row)
        self.every = QSpinBox()
        self.every.setObjectName("backup_every")
        self.every.setRange(settings.BACKUP_EVERY_HOURS.low, settings.BACKUP_EVERY_HOURS.high)
        self.every.setSuffix(" " + self.tr("h"))
        form.addRow(self.tr("Back up every"), self.every)
        self.keep = QSpinBox()
        self.keep.setObjectName("backup_keep")
        self.keep.setRange(settings.BACKUP_KEEP.low, settings.BACKUP_KEEP.high)
        form.addRow(self.tr("Keep the newest"), self.keep)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("backup_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("backup_table")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Made"), self.tr("Why"), self.tr("Size"), self.tr("State"), self.tr("Holds")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self.tr("Save settings"))
        self.save_button.setObjectName("save_backup_settings")
        self.save_button.clicked.connect(self.save)
        self.now_button = QPushButton(self.tr("Back up now"))
        self.now_button.setObjectName("backup_now")
        self.now_button.clicked.connect(self.back_up_now)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.now_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.chosen: Path | None = None  # a folder chosen here, not yet saved
        self.reload()

    # -- reading --------------------------------------------------------------------------
    def reload(self) -> None:
        ledger = self.ws.ledger

        def read() -> tuple[BackupSettings, list[Backup]]:
            config = settings.backup_settings(ledger)
            return config, backups.list_backups(config.folder)

        self.tasks.read(read, self._show, self._failed)

    def _show(self, result: tuple[BackupSettings, list[Backup]]) -> None:
        config, found = result
        self.chosen = None
        self.folder.setText(str(config.folder))
        self.every.setValue(config.every_hours)
        self.keep.setValue(config.keep)
        self.found = found
        self.table.setRowCount(len(found))
        for row, b in enumerate(found):
            if b.good:
                state = self.tr("good")
                holds = self.tr("receipts: {receipts}, operations: {events}").format(
                    receipts=b.receipts, events=b.events
                )
            else:
                state = self.tr("not usable")
                holds = b.problems[0] if b.problems else ""
            cells = (when(b.taken_at), self.words.reason(b.reason), self.words.size(b.size))
            for column, text in enumerate((*cells, state, holds)):
                item = QTableWidgetItem(text)
                item.setToolTip(str(b.path))
                self.table.setItem(row, column, item)
        if config.last_error:
            self._say(
                self.tr("The last backup failed: {reason}").format(reason=config.last_error), True
            )
        elif not found:
            self._say(self.tr("No backups in this folder yet."))

    # -- writing --------------------------------------------------------------------------
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Folder for backups"), self.folder.text()
        )
        if folder:
            self.chosen = Path(folder)
            self.folder.setText(folder)

    def save(self) -> None:
        ledger, actor = self.ws.ledger, self.ws.actor
        folder, every, keep = self.chosen, self.every.value(), self.keep.value()
        op = CollectionOp(
            self.tasks,
            lambda: backups.save_settings(
                ledger, actor, folder=folder, every_hours=every, keep=keep
            ),
            lambda _: OpChanges("backup_settings"),
        )
        op.success(self._saved).failure(self._failed).run_in_background()

    def _saved(self, _: object) -> None:
        self._say(self.tr("Saved."))
        self.reload()

    def back_up_now(self) -> None:
        ledger, actor = self.ws.ledger, self.ws.actor
        self.now_button.setEnabled(False)
        self._say(self.tr("Copying the ledger…"))
        op = CollectionOp(
            self.tasks,
            lambda: backups.make_backup(ledger, actor, reason="manual"),
            lambda _: OpChanges("make_backup"),
        )
        op.success(self._made).failure(self._failed).run_in_background()

    def _made(self, made: Backup) -> None:
        self.now_button.setEnabled(True)
        self.reload()
        self._say(self.tr("Backed up: {name}").format(name=made.path.name))

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {DANGER if error else OK}; font-weight: 600;")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        self.now_button.setEnabled(True)
        self._say(getattr(error, "message", str(error)), error=True)
