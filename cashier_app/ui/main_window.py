"""The workstation window: the checkout screen, the status bar, the role-aware menu, and
the scanner that works from anywhere in the application."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QWidget

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.results import CustomerView
from cashier_app.service.users import Permission
from cashier_app.sync.worker import SyncStatus
from cashier_app.ui.checkout import CheckoutScreen
from cashier_app.ui.dialogs import (
    CustomerCardDialog,
    FreeAmountDialog,
    ImportDialog,
    PickDialog,
    RegistrationDialog,
    ReturnDialog,
)
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation

STATUS_EVERY_MS = 5000


class MainWindow(QMainWindow):
    sync_requested = Signal()  # sync now: enrolled, or a sale to send

    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        scanner: ScannerFilter,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.scanner = scanner
        self.setWindowTitle(self.tr("Cashier — {user}").format(user=ws.actor.name))
        self.checkout = CheckoutScreen(ws, tasks)
        self.setCentralWidget(self.checkout)
        self._menu()
        self._status_bar()
        scanner.scanned.connect(self._on_scan)
        self.checkout.register_requested.connect(self.register_customer)
        self.checkout.find_customer_requested.connect(self.find_customer)
        self.checkout.customer_card_requested.connect(self.customer_card)
        self.checkout.return_requested.connect(self.return_items)
        self.checkout.free_amount_requested.connect(self.free_amount)
        tasks.operation_done.connect(lambda _: self.refresh_status())
        self.resize(1366, 768)

    # -- menu: what the role may do ----------------------------------------------------------
    def _menu(self) -> None:
        till = self.menuBar().addMenu(self.tr("&Till"))
        self.return_action = QAction(self.tr("Return…  (F7)"), self)
        self.return_action.triggered.connect(self.return_items)
        self.return_action.setVisible(self.ws.can(Permission.RETURN))
        till.addAction(self.return_action)
        close_shift = QAction(self.tr("Close shift and log out"), self)
        close_shift.triggered.connect(self.close_shift)
        till.addAction(close_shift)
        manage = self.menuBar().addMenu(self.tr("&Manage"))
        self.import_action = QAction(self.tr("Import catalogue…"), self)
        self.import_action.setShortcut(QKeySequence("F8"))
        self.import_action.triggered.connect(self.import_catalogue)
        manage.addAction(self.import_action)
        self.import_action.setEnabled(self.ws.can(Permission.IMPORT_CATALOGUE))
        self.enrol_action = QAction(self.tr("Central server…"), self)
        self.enrol_action.triggered.connect(self.enrol)
        self.enrol_action.setVisible(self.ws.can(Permission.ENROL_DEVICE))
        manage.addAction(self.enrol_action)
        manage.menuAction().setVisible(
            self.ws.can(Permission.IMPORT_CATALOGUE) or self.ws.can(Permission.ENROL_DEVICE)
        )

    # -- status bar (F-52) -------------------------------------------------------------------
    def _status_bar(self) -> None:
        bar = self.statusBar()
        self.online_label = QLabel(self.tr("● Offline"))
        self.online_label.setObjectName("status_online")
        self.online_label.setToolTip(
            self.tr("No central server is enrolled: every sale is kept here and sent when one is.")
        )
        self.queue_label = QLabel("")
        self.queue_label.setObjectName("status_queue")
        self.sync_label = QLabel(self.tr("Last sync: never"))
        roles = {
            "cashier": self.tr("cashier"), "senior_cashier": self.tr("senior cashier"),
            "manager": self.tr("manager"), "administrator": self.tr("administrator"),
        }  # fmt: skip
        role = roles.get(self.ws.actor.role.value, self.ws.actor.role.value)
        self.user_label = QLabel(
            self.tr("{user} ({role})").format(user=self.ws.actor.name, role=role)
        )
        for w in (self.online_label, self.queue_label, self.sync_label):
            bar.addWidget(w)
        bar.addPermanentWidget(self.user_label)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(STATUS_EVERY_MS)
        self.refresh_status()

    def show_sync(self, st: SyncStatus) -> None:
        """The sync worker's news (delivered on the main thread)."""
        self.online_label.setText(self.tr("● Online") if st.online else self.tr("● Offline"))
        self.online_label.setToolTip(st.last_error or "")
        self.queue_label.setText(self.tr("{n} operation(s) waiting to be sent").format(n=st.queued))
        if st.last_success is not None:
            self.sync_label.setText(
                self.tr("Last sync: {when}").format(
                    when=st.last_success.astimezone().strftime("%H:%M:%S")
                )
            )
        if st.clock_warning:
            self.sync_label.setText(
                self.sync_label.text()
                + " · "
                + self.tr("clock is {n} s off!").format(n=st.clock_skew_seconds)
            )

    def enrol(self) -> None:
        from cashier_app.ui.dialogs import EnrolDialog

        dialog = EnrolDialog(self.ws, self.tasks, self)
        if dialog.exec() and dialog.device_id:
            self.checkout.say(self.tr("This till is enrolled; sync starts now."))
            self.sync_requested.emit()

    def refresh_status(self) -> None:
        self.tasks.read(
            self.ws.queued,
            lambda n: self.queue_label.setText(
                self.tr("{n} operation(s) waiting to be sent").format(n=n)
            ),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self._status_timer.stop()
        super().closeEvent(event)

    # -- actions ---------------------------------------------------------------------------
    def _on_scan(self, code: str) -> None:
        if self.isActiveWindow() or self.checkout.isVisible():
            self.checkout.handle_code(code, scanned=True)

    def _refuse(self, error: BaseException) -> None:
        self.checkout.refuse(error)

    def register_customer(self, phone: str = "") -> None:
        dialog = RegistrationDialog(self.ws, self.tasks, phone, self)
        dialog.exec()
        if dialog.result_registration is not None:
            self.checkout.set_customer(dialog.result_registration.customer)

    def find_customer(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        text, ok = QInputDialog.getText(
            self, self.tr("Find customer"), self.tr("Phone, card, last 4 digits or name:")
        )
        if not ok or not text.strip():
            return
        query = text.strip()

        def found(views: list[CustomerView]) -> None:
            if not views:
                self.checkout.say(self.tr("Nobody found for “{q}”.").format(q=query[:40]), "error")
            elif len(views) == 1:
                self.checkout.set_customer(views[0])
            else:
                pick = PickDialog(self.tr("Choose the customer"),
                                  [f"{v.name or '—'}   {self.ws.show_phone(v)}" for v in views], self)  # fmt: skip
                if pick.exec() and pick.chosen is not None:
                    self.checkout.set_customer(views[pick.chosen])

        def search() -> list[CustomerView]:
            result = self.ws.identify(query)
            if result.customer is not None:
                return [result.customer]
            return self.ws.search_customers(query)

        self.tasks.read(search, found, self._refuse)

    def customer_card(self, customer_id: str) -> None:
        if self.checkout.customer is not None:
            CustomerCardDialog(self.ws, self.tasks, self.checkout.customer, self).exec()

    def return_items(self) -> None:
        if not self.ws.can(Permission.RETURN):
            self.checkout.say(self.tr("Returns are for a senior cashier or a manager."), "error")
            return
        dialog = ReturnDialog(self.ws, self.tasks, self)
        dialog.exec()
        if dialog.result_return is not None:
            r = dialog.result_return
            self.checkout.say(
                self.tr("Returned on {number}: refund {money}.").format(
                    number=r.receipt_number, money=r.refunded
                )
            )

    def free_amount(self) -> None:
        dialog = FreeAmountDialog(["coffee", "bakery", "flowers", "clothes", "other"], self)
        if dialog.exec() and dialog.amount_value is not None:
            self.checkout.add_free_amount(
                dialog.amount_value, dialog.category.currentText() or None, dialog.name.text()
            )

    def import_catalogue(self) -> None:
        if self.ws.can(Permission.IMPORT_CATALOGUE):
            ImportDialog(self.ws, self.tasks, None, self).exec()

    def close_shift(self) -> None:
        try:
            self.ws.close_shift()
        except LoyaltyError as exc:
            QMessageBox.information(self, self.tr("Shift"), exc.message)
        self.close()
