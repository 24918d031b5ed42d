"""Enrolling the till with the central server."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.ui.dialogs.common import error_label
from cashier_app.ui.messages import explain
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation


class EnrolDialog(QDialog):
    """The administrator connects this till to the central server."""

    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.device_id: str | None = None
        self.setWindowTitle(self.tr("Central server"))
        form = QFormLayout(self)
        self.url = QLineEdit()
        self.url.setObjectName("enrol_url")
        self.url.setPlaceholderText("https://loyalty.example.com")
        self.code = QLineEdit()
        self.code.setObjectName("enrol_code")
        self.code.setPlaceholderText("ABCD-EF12-3456-7890")
        self.name = QLineEdit(self.tr("Till 1"))
        self.error = error_label()
        form.addRow(self.tr("Server address"), self.url)
        form.addRow(self.tr("One-time code"), self.code)
        form.addRow(self.tr("This till's name"), self.name)
        form.addRow(self.error)
        self.ok = QPushButton(self.tr("Enrol"))
        self.ok.setObjectName("enrol_ok")
        self.ok.setProperty("primary", True)
        self.ok.clicked.connect(self.enrol)
        form.addRow(self.ok)
        self.setMinimumWidth(520)

    def enrol(self) -> None:
        from cashier_app.sync.client import SyncError

        url, code, name = (
            self.url.text().strip(),
            self.code.text().strip(),
            self.name.text().strip() or "Till",
        )
        if not url.startswith(("https://", "http://")):
            self.error.setText(self.tr("The address starts with https://"))
            return
        self.ok.setEnabled(False)

        def done(device_id: str) -> None:
            self.device_id = device_id
            self.accept()

        def failed(error: BaseException) -> None:
            self.ok.setEnabled(True)
            if isinstance(error, LoyaltyError):
                self.error.setText(explain(error))
            elif isinstance(error, SyncError):
                self.error.setText(str(error))
            else:
                raise error

        op = CollectionOp(
            self.tasks,
            lambda: self.ws.enrol(url, code, name),
            lambda _: OpChanges("enrol", sync=True),
        )
        op.success(done).failure(failed).run_in_background()
