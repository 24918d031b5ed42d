"""The workstation window: the checkout screen, the status bar, the role-aware menu, and
the scanner that works from anywhere in the application."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QWidget

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.results import CustomerView
from cashier_app.service.runs import UncleanStop
from cashier_app.service.settings import record_workstation_change
from cashier_app.service.users import Permission, Shift
from cashier_app.sync.worker import SyncStatus
from cashier_app.ui.back_office import BackOfficeMenu
from cashier_app.ui.checkout import CheckoutScreen, ReceiptState
from cashier_app.ui.dialogs import (
    CustomerCardDialog,
    FindCustomerDialog,
    FreeAmountDialog,
    ImportDialog,
    PickDialog,
    RegistrationDialog,
    ReturnDialog,
)
from cashier_app.ui.notice import show_notice
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.scanner import ScannerFilter
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import DANGER
from cashier_app.ui.workstation import Workstation

STATUS_EVERY_MS = 5000


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def role_name(role: str) -> str:
    from PySide6.QtCore import QCoreApplication

    names = {
        "cashier": QCoreApplication.translate("MainWindow", "cashier"),
        "senior_cashier": QCoreApplication.translate("MainWindow", "senior cashier"),
        "manager": QCoreApplication.translate("MainWindow", "manager"),
        "administrator": QCoreApplication.translate("MainWindow", "administrator"),
    }
    return names.get(role, role)


class MainWindow(QMainWindow):
    sync_requested = Signal()  # sync now: enrolled, or a sale to send
    logged_out = Signal()  # the shift is closed: back to the login screen

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
        self.enrolled = False  # until the sync loop says otherwise
        # Logged out: the next cashier's window replaces this one and Qt deletes its
        # widgets, while news for it may still arrive (a read on its way, the sync loop).
        self._gone = False
        self._menu()
        self._status_bar()
        scanner.scanned.connect(self.take_scan)
        self.checkout.register_requested.connect(self.register_customer)
        self.checkout.find_customer_requested.connect(self.find_customer)
        self.checkout.customer_card_requested.connect(self.customer_card)
        self.checkout.return_requested.connect(self.start_return)
        self.checkout.free_amount_requested.connect(self.free_amount)
        tasks.operation_done.connect(self._changed)
        self.resize(1280, 720)  # shown maximised; this is the size when it is restored

    # -- menu: what the role may do ----------------------------------------------------------
    def _menu(self) -> None:
        till = self.menuBar().addMenu(self.tr("&Till"))
        self.return_action = QAction(self.tr("Return…  (F7)"), self)
        self.return_action.triggered.connect(self.start_return)
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
        self.refused_action = QAction(self.tr("Refused by the server…"), self)
        self.refused_action.triggered.connect(self.refused_operations)
        self.refused_action.setVisible(self.ws.can(Permission.REVIEW_REFUSED_EVENTS))
        manage.addAction(self.refused_action)
        sets_up = self.ws.can(Permission.MANAGE_USERS) or self.ws.can(Permission.ENROL_DEVICE)
        self.scanner_action = QAction(self.tr("Barcode scanner…"), self)
        self.scanner_action.triggered.connect(self.scanner_settings)
        self.scanner_action.setVisible(sets_up)
        manage.addAction(self.scanner_action)
        manage.menuAction().setVisible(self.ws.can(Permission.IMPORT_CATALOGUE) or sets_up)
        self.back_office = BackOfficeMenu(self)

    # -- status bar -------------------------------------------------------------------
    def _status_bar(self) -> None:
        bar = self.statusBar()
        self.online_label = QLabel(self.tr("● Standalone"))
        self.online_label.setObjectName("status_online")
        self.online_label.setToolTip(
            self.tr(
                "This till works on its own: every sale is kept here. Enrol it with a central server (Manage) to share customers between tills."
            )
        )
        self.queue_label = QLabel("")
        self.queue_label.setObjectName("status_queue")
        self.sync_label = QLabel("")
        # A manager's warning: operations the server would not take (refused_dialog).
        self.refused_label = QLabel("")
        self.refused_label.setObjectName("status_refused")
        self.refused_label.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        self.refused_label.setTextFormat(Qt.TextFormat.RichText)
        self.refused_label.linkActivated.connect(lambda _: self.refused_operations())
        self.refused_label.hide()
        role = role_name(self.ws.actor.role.value)
        same = role.lower() == self.ws.actor.name.lower()  # "Administrator (administrator)"
        self.user_label = QLabel(
            self.ws.actor.name
            if same
            else self.tr("{user} ({role})").format(user=self.ws.actor.name, role=role)
        )
        for w in (self.online_label, self.queue_label, self.sync_label, self.refused_label):
            bar.addWidget(w)
        bar.addPermanentWidget(self.user_label)
        if self.ws.can(Permission.MAKE_BACKUP):  # the last backup, or a warning (ui/backups)
            from cashier_app.ui.backups.schedule import BackupStatus

            self.backup_label = BackupStatus(self.ws.ledger, self.tasks, self)
            bar.addPermanentWidget(self.backup_label)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(STATUS_EVERY_MS)
        self.refresh_status()

    def show_sync(self, st: SyncStatus) -> None:
        """The sync worker's news (delivered on the main thread)."""
        if self._gone:
            return
        self.enrolled = st.enrolled
        if st.pulled:  # a new program version comes this way: the forms follow it
            self.tasks.read(self.ws.read_program)
        if not st.enrolled:
            self.online_label.setText(self.tr("● Standalone"))
            self.queue_label.setText("")
            self.sync_label.setText("")
            return
        self.online_label.setText(self.tr("● Online") if st.online else self.tr("● Offline"))
        self.online_label.setToolTip(st.last_error or "")
        self._show_queue(st.queued)
        if st.last_success is None:
            self.sync_label.setText(self.tr("Last sync: never"))
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

    def show_unclean_stops(self, stops: Sequence[UncleanStop]) -> None:
        """After a power cut or a crash a sale may be recorded that the cashier never saw
        go through: say which receipt was recorded last, before anyone rings it again."""
        parts = []
        for stop in stops:
            text = self.tr(
                "The till did not stop cleanly last time (started {when}): a power cut, a "
                "crash or a forced close."
            ).format(when=_clock(stop.started_at))
            receipt = stop.last_receipt
            if receipt is None:
                text += " " + self.tr("No receipt was recorded on this till yet.")
            else:
                what = self.tr("receipt {number} at {when}, paid {money}").format(
                    number=receipt.number, when=_clock(receipt.at), money=receipt.paid
                )
                if receipt.customer:
                    what += f" ({receipt.customer})"
                if stop.receipt_is_from_that_run:
                    text += "\n\n" + self.tr(
                        "The last receipt it recorded: {receipt}. Check it with the customer "
                        "before ringing that sale again."
                    ).format(receipt=what)
                else:
                    text += "\n\n" + self.tr(
                        "It recorded no receipt; the last one on this till is {receipt}."
                    ).format(receipt=what)
            parts.append(text)
        box = QMessageBox(
            QMessageBox.Icon.Warning, self.tr("Last run"), "\n\n".join(parts), parent=self
        )
        box.setObjectName("unclean_stop")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): the window and its scanner stay alive behind it

    def enrol(self) -> None:
        from cashier_app.ui.dialogs import EnrolDialog

        dialog = EnrolDialog(self.ws, self.tasks, self)
        if dialog.exec() and dialog.device_id:
            self.checkout.say(self.tr("This till is enrolled; sync starts now."))
            self.sync_requested.emit()

    def _show_queue(self, n: int) -> None:
        if self._gone:
            return
        if not self.enrolled:
            self.queue_label.setText("")
        elif n == 0:
            self.queue_label.setText(self.tr("everything is sent"))
        else:
            self.queue_label.setText(self.tr("waiting to be sent: {n}").format(n=n))

    def _show_refused(self, n: int) -> None:
        if self._gone:
            return
        self.refused_label.setVisible(n > 0)
        self.refused_label.setText(
            '<a href="refused" style="color: {colour}">{text}</a>'.format(
                colour=DANGER,
                text=self.tr("refused by the server: {n}").format(n=n),
            )
        )

    def _changed(self, changes: OpChanges) -> None:
        if changes.sync:
            self.refresh_status()

    def refresh_status(self) -> None:
        if self._gone:
            return
        self.tasks.read(self.ws.queued, self._show_queue)
        self.tasks.read(self.ws.refused_waiting, self._show_refused)

    def refused_operations(self) -> None:
        from cashier_app.ui.refused_dialog import RefusedDialog

        if self.ws.can(Permission.REVIEW_REFUSED_EVENTS):
            RefusedDialog(self.ws, self.tasks, self).exec()
            self.refresh_status()
            self.sync_requested.emit()  # what was sent again goes out now

    def closeEvent(self, event: QCloseEvent) -> None:
        self._status_timer.stop()
        self._gone = True
        super().closeEvent(event)

    # -- actions ---------------------------------------------------------------------------
    def take_scan(self, code: str) -> None:
        """A scan goes where the cashier is looking: into a dialog that takes codes, else
        refused on top of that dialog; never to the receipt hidden behind it."""
        if not self.isVisible():
            return  # logged out: the login screen answers scans itself
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not self:
            take = getattr(modal, "take_scan", None)
            if take is None or not take(code):
                show_notice(
                    modal,
                    self.tr("A scan cannot go into this window. Close it (Esc) and scan again."),
                )
            return
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()  # an open menu or list: the scan is for the receipt
        self.checkout.handle_code(code, scanned=True)

    def _refuse(self, error: BaseException) -> None:
        self.checkout.refuse(error)

    def register_customer(self, phone: str = "") -> None:
        if not self.ws.can(Permission.REGISTER_CUSTOMER):
            self.checkout.say(self.tr("Your role may not do this."), "error")
            return
        card, self.checkout.unknown_card = self.checkout.unknown_card, None
        dialog = RegistrationDialog(self.ws, self.tasks, phone, self, card=card or "")
        dialog.exec()
        if dialog.result_registration is not None:
            self.checkout.set_customer(dialog.result_registration.customer)

    def find_customer(self) -> None:
        dialog = FindCustomerDialog(self)
        if not dialog.exec() or not dialog.query.text().strip():
            return
        query = dialog.query.text().strip()

        def found(views: list[CustomerView]) -> None:
            if not views:
                self.checkout.say(self.tr("Nobody found for “{q}”.").format(q=query[:40]), "error")
            elif len(views) == 1:
                self.checkout.set_customer(views[0])
                self.checkout.say(
                    self.tr("Customer: {name}").format(
                        name=views[0].name or self.ws.show_phone(views[0])
                    )
                )
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

    def start_return(self) -> None:
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
        def ask(categories: list[str]) -> None:
            dialog = FreeAmountDialog(categories, self)
            if dialog.exec() and dialog.amount_value is not None:
                self.checkout.add_free_amount(
                    dialog.amount_value, dialog.category_code(), dialog.name.text()
                )

        self.tasks.read(self.ws.categories, ask, self._refuse)

    def scanner_settings(self) -> None:
        from cashier_app.ui.scanner_dialog import ScannerDialog

        before = asdict(self.scanner.settings)
        if not ScannerDialog(self.scanner, self).exec():
            return
        after = asdict(self.scanner.settings)
        changes = {k: v for k, v in after.items() if before.get(k) != v}
        if changes:  # kept in the workstation's settings; the audit log says who and what
            CollectionOp(
                self.tasks,
                lambda: record_workstation_change(
                    self.ws.ledger, self.ws.actor, "scanner", changes
                ),
                lambda _: OpChanges("scanner_settings"),
            ).failure(self._refuse).run_in_background()

    def import_catalogue(self) -> None:
        if self.ws.can(Permission.IMPORT_CATALOGUE):
            ImportDialog(self.ws, self.tasks, None, self).exec()

    def close_shift(self) -> None:
        """Close the shift and give the till to the next cashier: the login screen."""
        co = self.checkout
        if co.model.lines and co.state is ReceiptState.OPEN:
            answer = QMessageBox.question(
                self,
                self.tr("Close shift"),
                self.tr("The receipt on screen is not paid. Close the shift and drop it?"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return

        def refused(error: BaseException) -> None:
            if not isinstance(error, LoyaltyError):
                raise error
            QMessageBox.information(self, self.tr("Shift"), error.message)
            self._log_out()

        op = CollectionOp(
            self.tasks, self.ws.close_shift, lambda _: OpChanges("close_shift", sync=True)
        )
        op.success(self._shift_report).failure(refused).run_in_background()

    def _shift_report(self, shift: Shift) -> None:
        """What the closed shift took, for the cash count, before the next cashier comes."""
        from cashier_app.ui.reports.shift_dialog import show_shift_report

        show_shift_report(self.ws, self.tasks, shift.id, self)
        self._log_out()

    def _log_out(self) -> None:
        self._status_timer.stop()
        self._gone = True
        self.tasks.operation_done.disconnect(self._changed)
        self.scanner.scanned.disconnect(self.take_scan)
        self.hide()
        self.logged_out.emit()
