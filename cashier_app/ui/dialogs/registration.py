"""Registering a customer at the till."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.phones import normalise_phone
from cashier_app.service.results import Registration
from cashier_app.ui.dialogs.common import error_label
from cashier_app.ui.messages import explain
from cashier_app.ui.notice import show_notice
from cashier_app.ui.operations import CollectionOp, OpChanges, customer_ids
from cashier_app.ui.receipt_model import qty_text
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import set_prop
from cashier_app.ui.workstation import Workstation


class RegistrationDialog(QDialog):
    """Register a customer at the till in one small form, then show their card."""

    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        phone: str = "",
        parent: QWidget | None = None,
        card: str = "",
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.result_registration: Registration | None = None
        self.setWindowTitle(self.tr("New customer"))
        program = ws.program
        self._region_code = program.default_region
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.phone = QLineEdit(phone)
        self.phone.setObjectName("reg_phone")
        self.phone.setPlaceholderText("+7 900 123-45-67")
        self.phone.textChanged.connect(self._check_phone)
        self.name = QLineEdit()
        self.name.setObjectName("reg_name")
        self.birthday_known = QCheckBox(self.tr("known"))
        self.birthday = QDateEdit()
        self.birthday.setDisplayFormat("dd.MM.yyyy")
        self.birthday.setCalendarPopup(True)
        self.birthday.setDate(QDate(1990, 1, 1))
        self.birthday.setEnabled(False)
        self.birthday_known.toggled.connect(self.birthday.setEnabled)
        bday = QHBoxLayout()
        bday.addWidget(self.birthday_known)
        bday.addWidget(self.birthday, 1)
        self.consent = QCheckBox(self.tr("Agrees to the privacy policy"))
        self.consent.setObjectName("reg_consent")
        self.referrer = QLineEdit()
        self.referrer.setObjectName("reg_referrer")
        self.referrer.setPlaceholderText(self.tr("phone or card of who recommended us"))
        self.card = QLineEdit(card)
        self.card.setObjectName("reg_card")
        self.card.setPlaceholderText(self.tr("scan a pre-printed card (optional)"))
        form.addRow(self.tr("Phone *"), self.phone)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Birthday"), bday)
        form.addRow("", self.consent)
        form.addRow(self.tr("Referrer"), self.referrer)
        form.addRow(self.tr("Card"), self.card)
        self.group = QComboBox()
        self.group.setObjectName("reg_group")
        for g in program.groups:
            self.group.addItem(g.name, g.id)
            if g.default:
                self.group.setCurrentIndex(self.group.count() - 1)
        form.addRow(self.tr("Group"), self.group)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        self.card_box = QHBoxLayout()
        self.card_text = QLabel("")
        self.card_text.setObjectName("reg_card_text")
        self.card_text.setProperty("title", True)
        self.card_text.setWordWrap(True)
        self.barcode = QLabel()
        self.barcode.setObjectName("card_barcode")
        self.qr = QLabel()
        self.qr.setObjectName("card_qr")
        self.card_box.addWidget(self.barcode)
        self.card_box.addWidget(self.qr)
        layout.addWidget(self.card_text)
        layout.addLayout(self.card_box)
        buttons = QHBoxLayout()
        self.ok = QPushButton(self.tr("Register (Enter)"))
        self.ok.setObjectName("reg_ok")
        self.ok.setProperty("primary", True)
        self.ok.clicked.connect(self.register)
        self.close_button = QPushButton(self.tr("Close (Esc)"))
        self.close_button.clicked.connect(self.reject)
        for button in (self.ok, self.close_button):
            button.setAutoDefault(False)  # Enter is decided in keyPressEvent
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)
        self.setMinimumWidth(600)
        self._check_phone()
        # Opened for a phone typed at the till: the name comes next. Enter in the phone and
        # name fields moves on, so a second Enter of the cashier's never registers a
        # customer with nothing but a phone.
        (self.name if phone else self.phone).setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.result_registration is not None:
                self.accept()
            elif self.focusWidget() in (self.phone, self.name):
                self.focusNextChild()
            elif self.ok.isEnabled():
                self.register()
            return
        super().keyPressEvent(event)

    def take_scan(self, code: str) -> bool:
        """A scanned card goes into the code field the cashier is in: the referrer's, or the
        new customer's pre-printed card (the default while that one is empty)."""
        from cashier_app.ui.workstation import is_our_card

        if self.result_registration is not None:
            return False
        focus = self.focusWidget()
        target = focus if focus in (self.referrer, self.card) else None
        if target is None and is_our_card(code) and not self.card.text().strip():
            target = self.card  # a loyalty card's form; a product's barcode is not one
        if target is None:
            show_notice(
                self, self.tr("To scan a card here, click the Card or Referrer field first.")
            )
            return True  # answered here: never the receipt behind
        if target is self.card:
            from cashier_app.service.cards import card_from_scan

            code = card_from_scan(code) or code  # a QR card's payload: its number
        target.setText(code)
        target.setFocus()
        return True

    def _check_phone(self) -> None:
        text = self.phone.text().strip()
        try:
            normalise_phone(text, self._region_code)
            valid = True
        except LoyaltyError:
            valid = False
        bad = bool(text) and not valid
        set_prop(self.phone, "invalid", bad)
        if self.result_registration is None:
            if bad and any(ch.isalpha() for ch in text):
                self.error.setText(self.tr("A phone number has digits only, no letters."))
            else:
                self.error.setText(
                    self.tr("Not a phone number yet: type it whole, with the area code.")
                    if bad
                    else ""
                )
        self.ok.setEnabled(valid and self.result_registration is None)

    def register(self) -> None:
        if self.result_registration is not None:
            self.accept()
            return
        birthday = None
        if self.birthday_known.isChecked():
            d = self.birthday.date()
            birthday = date(d.year(), d.month(), d.day())
        args = (
            self.phone.text(),
            self.name.text(),
            birthday,
            self.consent.isChecked(),
            self.referrer.text().strip(),
            self.group.currentData(),
            self.card.text().strip() or None,
        )
        self.ok.setEnabled(False)

        def done(reg: Registration) -> None:
            from cashier_app.ui.codes import card_barcode, card_qr

            self.result_registration = reg
            self.error.setText("")
            self.card_text.setText(self.tr("Card {card} · welcome bonus {points}").format(
                card=reg.card, points=qty_text(reg.welcome_points)))  # fmt: skip
            self.barcode.setPixmap(card_barcode(reg.card))
            self.qr.setPixmap(card_qr(reg.card))
            self.ok.setText(self.tr("Done (Enter)"))
            self.ok.setEnabled(True)
            self.ok.setFocus()

        def failed(error: BaseException) -> None:
            self.ok.setEnabled(True)
            if not isinstance(error, LoyaltyError):
                raise error
            self.error.setText(explain(error))

        def changes(reg: Registration) -> OpChanges:
            touched = customer_ids(reg.customer, automatic=reg.automatic)
            return OpChanges("register", touched, sync=True)

        op = CollectionOp(self.tasks, lambda: self.ws.register(*args), changes)
        op.success(done).failure(failed).run_in_background()
