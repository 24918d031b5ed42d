"""The small dialogs of the till: login, first run, pick lists, registration, customer
card, returns, free amount, catalogue import. Slow work goes through the TaskManager."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QDate, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import parse_amount, parse_quantity
from cashier_app.engine.pins import check_pin
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.catalogue import ImportReport
from cashier_app.service.history import CustomerHistory
from cashier_app.service.phones import normalise_phone
from cashier_app.service.receipts import ReturnableLine
from cashier_app.service.results import CustomerView, Registration, ReturnResult
from cashier_app.service.users import Actor, Permission, Role
from cashier_app.ui.messages import explain
from cashier_app.ui.notice import show_notice
from cashier_app.ui.receipt_model import money_text, qty_text
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import set_prop
from cashier_app.ui.workstation import Workstation


def _error_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setProperty("message", "error")
    return label


def _ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    """OK and Cancel in the window's language (Enter and Esc press them)."""
    buttons = QDialogButtonBox()
    ok = buttons.addButton(dialog.tr("OK"), QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setDefault(True)
    buttons.addButton(dialog.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
    return buttons


class PickDialog(QDialog):
    """Choose one of several matches with the arrow keys and Enter."""

    def __init__(self, title: str, items: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.chosen: int | None = None
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.addItems(items)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _: self.accept())
        layout.addWidget(self.list)
        buttons = _ok_cancel(self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.list.setFocus()
        self.resize(520, 360)

    def accept(self) -> None:
        self.chosen = self.list.currentRow() if self.list.currentRow() >= 0 else None
        super().accept()


LAST_USER_KEY = "login/last_user"


class LoginDialog(QDialog):
    """Pick your name, type your PIN. The list starts on whoever last worked at this till;
    a scan here is recognised and ignored (it is not a PIN and costs no tries)."""

    def __init__(
        self,
        users: list[tuple[str, str]],
        login: object,
        parent: QWidget | None = None,
    ) -> None:
        """``users``: (name, role as shown) of every active user."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Log in"))
        self._login = login
        self.actor: Actor | None = None
        form = QFormLayout(self)
        self.user = QComboBox()
        self.user.setObjectName("login_user")
        self.user.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for name, role in users:
            shown = f"{name} ({role})" if role and role.lower() != name.lower() else name
            self.user.addItem(shown, name)
        last = QSettings("cashier-app", "workstation").value(LAST_USER_KEY, "")
        at = self.user.findData(last)
        self.user.setCurrentIndex(at if at >= 0 else 0)
        self.pin = QLineEdit()
        self.pin.setObjectName("login_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.error = _error_label()
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("PIN"), self.pin)
        form.addRow(self.error)
        # Enter in the PIN field presses this default button: one Enter, one try.
        self.ok = QPushButton(self.tr("Log in"))
        self.ok.setObjectName("login_ok")
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.try_login)
        form.addRow(self.ok)
        self.pin.setFocus()
        self.setMinimumWidth(420)

    def take_scan(self, code: str) -> bool:
        self.pin.clear()
        self.error.setText(self.tr("That was a scan, not a PIN: log in first, then scan."))
        return True

    def try_login(self) -> None:
        name = self.user.currentData() or self.user.currentText()
        pin = self.pin.text()
        if not pin:
            self.error.setText(self.tr("Type your PIN."))
            return
        self.ok.setEnabled(False)  # the check may wait on the ledger: one try at a time
        try:
            self.actor = self._login(name, pin)  # type: ignore[operator]
        except LoyaltyError as exc:
            self.error.setText(explain(exc))
            self.pin.clear()
            return
        finally:
            self.ok.setEnabled(True)
        store = QSettings("cashier-app", "workstation")
        store.setValue(LAST_USER_KEY, name)
        store.sync()
        self.accept()


class FindCustomerDialog(QDialog):
    """F2: a phone, a card, the last 4 digits or a name; a scanned card goes here too."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Find customer"))
        form = QFormLayout(self)
        self.query = QLineEdit()
        self.query.setObjectName("find_query")
        form.addRow(QLabel(self.tr("Phone, card, last 4 digits or name:")))
        form.addRow(self.query)
        buttons = _ok_cancel(self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.query.setFocus()
        self.setMinimumWidth(440)

    def take_scan(self, code: str) -> bool:
        self.query.setText(code)
        self.accept()
        return True


class FirstRunDialog(QDialog):
    """The first start: the administrator's name and PIN."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("First start: the administrator"))
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                self.tr(
                    "This till has no users yet. Create the administrator, who adds the cashiers."
                )
            )
        )
        self.name = QLineEdit(self.tr("Administrator"))
        self.pin = QLineEdit()
        self.pin2 = QLineEdit()
        for w in (self.pin, self.pin2):
            w.setEchoMode(QLineEdit.EchoMode.Password)
            w.setMaxLength(8)
        self.error = _error_label()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("PIN (6-8 digits)"), self.pin)
        form.addRow(self.tr("PIN again"), self.pin2)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self._check)
        form.addRow(buttons)

    def _check(self) -> None:
        pin = self.pin.text()
        try:
            check_pin(pin, Role.ADMINISTRATOR.value)  # the one rule the service applies too
        except LoyaltyError as exc:
            self.error.setText(explain(exc))
            return
        if pin != self.pin2.text():
            self.error.setText(self.tr("The two PINs differ."))
        elif not self.name.text().strip():
            self.error.setText(self.tr("Give a name."))
        else:
            self.accept()


class RegistrationDialog(QDialog):
    """Register a customer at the till in one small form (F-04), then show their card."""

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
        self.error = _error_label()
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

        self.tasks.write(lambda: self.ws.register(*args), done, failed, name="register")


class CustomerCardDialog(QDialog):
    """History of receipts, lots with their expiry, pending points, tier progress."""

    def __init__(
        self,
        ws: Workstation,
        tasks: TaskManager,
        customer: CustomerView,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Customer card"))
        layout = QVBoxLayout(self)
        head = QLabel(customer.name or self.tr("(no name)"))
        head.setProperty("title", True)
        layout.addWidget(head)
        info = [
            f"{ws.show_phone(customer)} · {self.tr('card')} {', '.join(customer.cards) or '—'} · {customer.group_name}"
        ]
        info.append(self.tr("Points {balance}, pending {pending}").format(
            balance=qty_text(customer.balance), pending=qty_text(customer.pending)))  # fmt: skip
        if customer.tier:
            tier = self.tr("Tier {tier}, purchases {basis}").format(
                tier=customer.tier, basis=money_text(customer.tier_basis)
            )
            if customer.next_tier:
                tier += " · " + self.tr("{missing} more to {tier}").format(
                    missing=money_text(customer.to_next_tier), tier=customer.next_tier)  # fmt: skip
            info.append(tier)
        for line in info:
            label = QLabel(line)
            label.setProperty("muted", True)
            layout.addWidget(label)
        layout.addWidget(QLabel(self.tr("Points by lot")))
        self.lots = QTableWidget(0, 4)
        self.lots.setObjectName("lots_table")
        self.lots.setHorizontalHeaderLabels(
            [self.tr("Kind"), self.tr("Points left"), self.tr("Available from"), self.tr("Expires")]
        )
        layout.addWidget(self.lots)
        layout.addWidget(QLabel(self.tr("Receipts")))
        self.receipts = QTableWidget(0, 5)
        self.receipts.setObjectName("receipts_table")
        self.receipts.setHorizontalHeaderLabels(
            [
                self.tr("Receipt"),
                self.tr("Date"),
                self.tr("Total"),
                self.tr("Points −"),
                self.tr("Points +"),
            ]
        )
        layout.addWidget(self.receipts, 1)
        for table in (self.lots, self.receipts):
            table.verticalHeader().hide()
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self.return_button = QPushButton(self.tr("Return from the selected receipt…"))
        self.return_button.setObjectName("card_return")
        self.return_button.clicked.connect(self._return_selected)
        if ws.can(Permission.RETURN):  # a cashier who may not return does not see it
            close.addButton(self.return_button, QDialogButtonBox.ButtonRole.ActionRole)
        else:
            self.return_button.hide()
        close.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        layout.addWidget(close)
        self._ws, self._tasks = ws, tasks
        self.receipts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.receipts.itemDoubleClicked.connect(lambda _: self._return_selected())
        self.resize(760, 620)
        self._tz = ws.program.tz
        tasks.read(lambda: ws.history(customer.id), self._show)

    def _return_selected(self) -> None:
        row = self.receipts.currentRow()
        if row < 0 or not self._ws.can(Permission.RETURN):
            return
        dialog = ReturnDialog(self._ws, self._tasks, self)
        dialog.number.setText(self.receipts.item(row, 0).text())
        dialog.load()
        dialog.exec()

    def _when(self, moment: object) -> str:
        from datetime import datetime

        assert isinstance(moment, datetime)
        return moment.astimezone(self._tz).strftime("%d.%m.%Y %H:%M")  # the store's time

    def _show(self, history: CustomerHistory) -> None:
        self.lots.setRowCount(len(history.lots))
        for i, lot in enumerate(history.lots):
            kinds = {
                "accrual": self.tr("purchase"), "welcome": self.tr("welcome"), "birthday": self.tr("birthday"),
                "winback": self.tr("come back"), "manual": self.tr("manual"), "refund": self.tr("returned"),
            }  # fmt: skip
            cells = [kinds.get(lot.kind, lot.kind), qty_text(lot.remaining), self._when(lot.available_at),
                     self._when(lot.expires_at) if lot.expires_at else self.tr("never")]  # fmt: skip
            for j, text in enumerate(cells):
                self.lots.setItem(i, j, QTableWidgetItem(text))
        self.receipts.setRowCount(len(history.receipts))
        for i, r in enumerate(history.receipts):
            cells = [
                r.number,
                self._when(r.at),
                money_text(r.total),
                qty_text(r.redeemed),
                qty_text(r.accrued),
            ]
            for j, text in enumerate(cells):
                self.receipts.setItem(i, j, QTableWidgetItem(text))


class ReturnDialog(QDialog):
    """A return by receipt number, whole or partial (senior cashier and above)."""

    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.result_return: ReturnResult | None = None
        self.setWindowTitle(self.tr("Return"))
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.number = QLineEdit()
        self.number.setObjectName("return_number")
        self.number.setPlaceholderText(self.tr("receipt number"))
        self.number.returnPressed.connect(self.load)
        find = QPushButton(self.tr("Find"))
        find.clicked.connect(self.load)
        row.addWidget(self.number, 1)
        row.addWidget(find)
        layout.addLayout(row)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("return_lines")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Item"), self.tr("Can return"), self.tr("Amount"), self.tr("Return qty")]
        )
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.error = _error_label()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.all_button = QPushButton(self.tr("Return everything"))
        self.all_button.clicked.connect(self.return_all)
        self.ok = QPushButton(self.tr("Return selected quantities"))
        self.ok.setObjectName("return_ok")
        self.ok.setProperty("primary", True)
        self.ok.clicked.connect(self.submit)
        buttons.addWidget(self.all_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)
        self._lines: list[ReturnableLine] = []
        self.resize(680, 420)

    def take_scan(self, code: str) -> bool:
        """A receipt's number scanned from its slip."""
        self.number.setText(code)
        self.load()
        return True

    def load(self) -> None:
        number = self.number.text().strip()

        def show(lines: list[ReturnableLine]) -> None:
            self._lines = lines
            self.error.setText("")
            self.table.setRowCount(len(lines))
            for i, line in enumerate(lines):
                cells = [line.name or line.sku, qty_text(line.left), money_text(line.amount), "0"]
                for j, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if j < 3:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    self.table.setItem(i, j, item)

        def failed(error: BaseException) -> None:
            if not isinstance(error, LoyaltyError):
                raise error
            self.error.setText(explain(error))

        self.tasks.read(lambda: self.ws.returnable_lines(number), show, failed)

    def return_all(self) -> None:
        for i, line in enumerate(self._lines):
            self.table.item(i, 3).setText(qty_text(line.left))
        self.submit()

    def submit(self) -> None:
        items = []
        for i, line in enumerate(self._lines):
            text = (self.table.item(i, 3).text() or "0").strip().replace(",", ".")
            if text in ("0", ""):
                continue
            try:
                items.append(ReturnRequest(None, parse_quantity(text), line.index))
            except ValueError:
                self.error.setText(
                    self.tr("Line {n}: the quantity must be a number.").format(n=i + 1)
                )
                return
        if not items:
            self.error.setText(self.tr("Type the quantities to return."))
            return
        number = self.number.text().strip()

        def done(result: ReturnResult) -> None:
            self.result_return = result
            self.accept()

        def failed(error: BaseException) -> None:
            if not isinstance(error, LoyaltyError):
                raise error
            self.error.setText(explain(error))

        self.tasks.write(lambda: self.ws.give_back(number, items), done, failed, name="return")


class FreeAmountDialog(QDialog):
    """A line without a catalogue product: an amount and one of the store's categories (so
    the program's category limits apply to it as to the products)."""

    def __init__(self, categories: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Free amount"))
        self.amount_value: Decimal | None = None
        form = QFormLayout(self)
        self.amount = QLineEdit()
        self.amount.setObjectName("free_amount")
        self.category = QComboBox()
        self.category.setObjectName("free_category")
        self.category.addItem(self.tr("No category"), None)  # chosen unless the cashier picks
        for code in categories:
            self.category.addItem(self.category_title(code), code)
        self.name = QLineEdit(self.tr("Goods"))
        self.error = _error_label()
        form.addRow(self.tr("Amount"), self.amount)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.error)
        buttons = _ok_cancel(self)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.amount.setFocus()

    def category_title(self, code: str) -> str:
        """A catalogue's category as a person reads it: the usual shop categories in the
        window's language, any other as the catalogue writes it."""
        titles = {
            "coffee": self.tr("Coffee"), "tea": self.tr("Tea"), "bakery": self.tr("Bakery"),
            "desserts": self.tr("Desserts"), "drinks": self.tr("Drinks"),
            "flowers": self.tr("Flowers"), "bouquets": self.tr("Bouquets"),
            "plants": self.tr("Plants"), "gifts": self.tr("Gifts"), "clothes": self.tr("Clothes"),
            "shoes": self.tr("Shoes"), "cosmetics": self.tr("Cosmetics"),
            "services": self.tr("Services"), "pet_food": self.tr("Pet food"),
            "accessories": self.tr("Accessories"), "pets": self.tr("Pet goods"),
            "deli": self.tr("Deli"), "tobacco": self.tr("Tobacco"), "other": self.tr("Other"),
        }  # fmt: skip
        return titles.get(code.strip().lower(), code)

    def category_code(self) -> str | None:
        code = self.category.currentData()
        return code if isinstance(code, str) and code else None

    def _check(self) -> None:
        try:
            value = parse_amount(self.amount.text().strip().replace(",", "."))
        except ValueError:
            self.error.setText(self.tr("An amount like 350 or 99.90."))
            return
        if value <= 0:
            self.error.setText(self.tr("The amount must be above zero."))
            return
        self.amount_value = value
        self.accept()


class EnrolDialog(QDialog):
    """The administrator connects this till to the central server (F-61)."""

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
        self.error = _error_label()
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

        self.tasks.write(lambda: self.ws.enrol(url, code, name), done, failed, name="enrol")


class ImportDialog(QDialog):
    """Catalogue import with a progress bar and the validation report (F-53)."""

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

        def progress(done: int, total: int) -> None:
            # Called on the writer thread: hand the numbers to the main thread.
            self.tasks.run_on_main(lambda: self._progress(done, total))

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

        self.tasks.write(
            lambda: self.ws.import_catalogue(path, skip, progress), finished, failed, name="import"
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(done * 100 / total) if total else 100)
