"""The checkout screen: keyboard-first, big totals, nothing that blocks a sale.

Every change (a line, a quantity, the customer, the points to pay with) asks the service
for a fresh quote off the UI thread; a stale answer is dropped. Payment commits on the
single writer thread and shows the receipt panel.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import parse_quantity
from cashier_app.engine.receipt import ReceiptQuote
from cashier_app.product_file import Product
from cashier_app.service.results import CustomerView, SaleResult
from cashier_app.service.users import Permission
from cashier_app.ui.keyboard import layout_back
from cashier_app.ui.messages import explain
from cashier_app.ui.operations import CollectionOp, OpChanges, customer_ids
from cashier_app.ui.receipt_model import CartLine, ReceiptModel, money_text, qty_text
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import set_prop
from cashier_app.ui.workstation import ScanResult, Workstation


def _panel() -> QFrame:
    frame = QFrame()
    frame.setProperty("panel", True)
    return frame


def _label(text: str = "", **props: object) -> QLabel:
    label = QLabel(text)
    for key, value in props.items():
        label.setProperty(key, value)
    return label


def points_text(value: Decimal) -> str:
    return qty_text(value) if value == value.to_integral_value() else f"{value:.2f}"


# Nobody sells ten thousand of an item or pays with ten million points at a till: a longer
# number in these fields is a code that came in too slowly to be taken for a scan.
MAX_QUANTITY = Decimal(9999)
CODE_IN_NUMBER_FIELD = 7


def number_text(text: str) -> str:
    """A typed number with a decimal point: under the Russian or Ukrainian layout the keys
    of "." and "," type "ю" and "б", and the cashier means the point."""
    return layout_back(text.strip()).replace(",", ".")


def plainly_a_code(text: str) -> bool:
    """A scanned code (card, barcode, QR) that ended up in a numeric field."""
    t = text.strip()
    if len(t) < CODE_IN_NUMBER_FIELD:
        return False
    digits = t.replace(",", "").replace(".", "")
    return not digits.isdigit() or len(digits) >= CODE_IN_NUMBER_FIELD


class NumberField(QLineEdit):
    """A quantity or points field: everything is selected when it takes focus, so what the
    cashier types replaces the old value (Ctrl+Q then 3 is 3, not 13)."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        QTimer.singleShot(0, self.selectAll)  # after the mouse press that gave focus


class CodeField(QLineEdit):
    """The code field: while it is empty, Del removes the selected line and the arrows
    move through the lines, so the cashier never leaves the keyboard's home."""

    delete_line = Signal()
    move_line = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.text() and not event.modifiers():
            if event.key() == Qt.Key.Key_Delete:
                self.delete_line.emit()
                return
            if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.move_line.emit(-1 if event.key() == Qt.Key.Key_Up else 1)
                return
        super().keyPressEvent(event)


class EnterButton(QPushButton):
    """A button that Enter presses too (outside a dialog, Qt's buttons take only Space)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.click()
            return
        super().keyPressEvent(event)


class ReceiptState(Enum):
    OPEN = "open"  # lines are added, the customer and points chosen: the totals show
    PAID = "paid"  # recorded: the slip shows until the next code or F12


class CheckoutScreen(QWidget):
    # Signals never carry None: PySide6 mishandles None's reference count through
    # Signal(object) (seen as "deallocating None" after a few hundred emits).
    paid = Signal(object)  # SaleResult
    customer_shown = Signal(str)  # the customer's id, once the panel shows them
    register_requested = Signal(str)  # a phone nobody has yet
    register_card_requested = Signal(str)  # a pre-printed card nobody has yet
    find_customer_requested = Signal()
    customer_card_requested = Signal(str)
    return_requested = Signal()
    free_amount_requested = Signal()

    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.tasks = tasks
        self.model = ReceiptModel()
        self.customer: CustomerView | None = None
        self.quote: ReceiptQuote | None = None
        self.last_sale: SaleResult | None = None
        self._generation = 0
        self._busy = False
        self._after_payment: list[str] = []  # codes scanned while the sale was being recorded
        self.unknown_card: str | None = None  # F3 offers it to the new customer
        self._build()
        self._shortcuts()
        self.new_receipt()
        tasks.operation_done.connect(self._changed)

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QHBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 8)
        root.setSpacing(12)

        left = QVBoxLayout()
        entry = QHBoxLayout()
        self.code_input = CodeField()
        self.code_input.setObjectName("code_input")
        self.code_input.delete_line.connect(self.remove_selected)
        self.code_input.move_line.connect(self._move_selection)
        self.code_input.setPlaceholderText(
            self.tr("Scan, or type a barcode, SKU, product name or phone")
        )
        self.code_input.returnPressed.connect(self._on_code_entered)
        self.qty_input = NumberField("1")
        self.qty_input.setObjectName("qty_input")
        self.qty_input.returnPressed.connect(self._on_qty_entered)
        self.qty_input.setFixedWidth(90)
        self.qty_input.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.qty_input.setToolTip(self.tr("Quantity or weight of the next item (Ctrl+Q)"))
        entry.addWidget(self.code_input, 1)
        entry.addWidget(_label(self.tr("Qty"), muted=True))
        entry.addWidget(self.qty_input)
        left.addLayout(entry)
        self.message = _label("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        left.addWidget(self.message)

        self.table = QTableView()
        self.table.setObjectName("receipt_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(34)
        left.addWidget(self.table, 1)

        hints = [
            self.tr("F2 Find customer"), self.tr("F3 New customer"), self.tr("F5 Free amount"),
            self.tr("Ctrl+Q Quantity"), self.tr("Del Remove line"),
        ]  # fmt: skip
        if self.ws.can(Permission.RETURN):
            hints.append(self.tr("F7 Return"))
        hints.append(self.tr("F12 New receipt"))
        # One wrapping line: the hints never make the window wider than a small screen.
        self.hints = _label("      ".join(h.replace(" ", "\u00a0") for h in hints), hint=True)
        self.hints.setObjectName("key_hints")
        self.hints.setWordWrap(True)
        left.addWidget(self.hints)
        root.addLayout(left, 3)

        right = QVBoxLayout()
        right.setSpacing(10)
        # The customer.
        cust = _panel()
        cl = QVBoxLayout(cust)
        self.customer_name = _label("", title=True)
        self.customer_name.setObjectName("customer_name")
        self.customer_name.setWordWrap(True)
        self.customer_line = _label("", muted=True)
        self.customer_line.setWordWrap(True)
        self.customer_points = _label("")
        self.customer_points.setObjectName("customer_points")
        self.customer_points.setWordWrap(True)
        self.customer_tier = _label("", muted=True)
        self.customer_tier.setWordWrap(True)
        buttons = QHBoxLayout()
        self.card_button = QPushButton(self.tr("F4 Card"))
        self.card_button.clicked.connect(self._open_card)
        self.drop_customer_button = QPushButton(self.tr("Ctrl+Del Remove"))
        self.drop_customer_button.clicked.connect(lambda: self.set_customer(None))
        buttons.addWidget(self.card_button)
        buttons.addWidget(self.drop_customer_button)
        for w in (self.customer_name, self.customer_line, self.customer_points, self.customer_tier):
            cl.addWidget(w)
        cl.addLayout(buttons)
        right.addWidget(cust)

        # Points to pay with.
        pts = _panel()
        pl = QGridLayout(pts)
        pl.addWidget(_label(self.tr("Pay with points"), muted=True), 0, 0, 1, 3)
        self.redeem_input = NumberField("0")
        self.redeem_input.setObjectName("redeem_input")
        self.redeem_input.returnPressed.connect(self._on_redeem_entered)
        self.redeem_input.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.redeem_input.textEdited.connect(lambda _: self.requote())
        self.max_label = _label("", muted=True)
        self.max_button = QPushButton(self.tr("F6 Max"))
        self.max_button.setObjectName("max_button")
        self.max_button.clicked.connect(self.redeem_max)
        pl.addWidget(self.redeem_input, 1, 0)
        pl.addWidget(self.max_label, 1, 1)
        pl.addWidget(self.max_button, 1, 2)
        right.addWidget(pts)

        # Totals, or the receipt after payment.
        self.stack = QStackedWidget()
        totals = _panel()
        tl = QGridLayout(totals)
        self.total_label = _label("0.00")
        self.discount_label = _label("0.00")
        self.points_label = _label("0")
        self.to_pay_label = _label("0.00", big=True)
        self.to_pay_label.setObjectName("to_pay")
        self.earn_label = _label("0")
        rows = [
            (self.tr("Total"), self.total_label), (self.tr("Discount"), self.discount_label),
            (self.tr("Points"), self.points_label), (self.tr("To pay"), self.to_pay_label),
            (self.tr("Points earned"), self.earn_label),
        ]  # fmt: skip
        for i, (name, value) in enumerate(rows):
            tl.addWidget(_label(name, muted=(value is not self.to_pay_label)), i, 0)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            tl.addWidget(value, i, 1)
        pay = QHBoxLayout()
        self.cash_button = QPushButton(self.tr("F9 Cash"))
        self.cash_button.setObjectName("cash_button")
        self.card_pay_button = QPushButton(self.tr("F10 Card"))
        for b in (self.cash_button, self.card_pay_button):
            b.setProperty("primary", True)
            b.setMinimumHeight(48)
            pay.addWidget(b)
        self.cash_button.clicked.connect(lambda: self.pay("cash"))
        self.card_pay_button.clicked.connect(lambda: self.pay("card"))
        tl.setRowStretch(
            len(rows), 1
        )  # the numbers stay together at the top, the buttons at the bottom
        tl.addLayout(pay, len(rows) + 1, 0, 1, 2)
        self.stack.addWidget(totals)
        self._pages = {ReceiptState.OPEN: totals}

        slip = _panel()
        sl = QVBoxLayout(slip)
        self.slip_title = _label("", title=True)
        self.slip_text = _label("")
        self.slip_text.setObjectName("slip_text")
        self.slip_text.setTextFormat(Qt.TextFormat.PlainText)
        self.slip_text.setFont(self._mono())
        self.slip_text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.next_button = EnterButton(self.tr("Enter / F12 New receipt"))
        self.next_button.setObjectName("next_button")
        self.next_button.setProperty("primary", True)
        self.next_button.setMinimumHeight(48)
        self.next_button.clicked.connect(self.new_receipt)
        sl.addWidget(self.slip_title)
        sl.addWidget(self.slip_text, 1)
        sl.addWidget(self.next_button)
        self.stack.addWidget(slip)
        self._pages[ReceiptState.PAID] = slip
        right.addWidget(self.stack, 1)
        root.addLayout(right, 2)

    @property
    def state(self) -> ReceiptState:
        return (
            ReceiptState.PAID
            if self.stack.currentWidget() is self._pages[ReceiptState.PAID]
            else ReceiptState.OPEN
        )

    def _show_state(self, state: ReceiptState) -> None:
        self.stack.setCurrentWidget(self._pages[state])

    @staticmethod
    def _mono() -> QFont:
        from PySide6.QtGui import QFontDatabase

        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(11)
        assert isinstance(font, QFont)
        return font

    def _shortcuts(self) -> None:
        def key(seq: str | QKeySequence.StandardKey | Qt.Key, slot: object) -> None:
            sc = QShortcut(QKeySequence(seq), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(slot)

        key(Qt.Key.Key_F2, self.find_customer_requested.emit)
        key(Qt.Key.Key_F3, lambda: self.register_requested.emit(""))
        key(Qt.Key.Key_F4, self._open_card)
        key(Qt.Key.Key_F5, self.free_amount_requested.emit)
        key(Qt.Key.Key_F6, self.redeem_max)
        key(Qt.Key.Key_F7, self.return_requested.emit)
        key(Qt.Key.Key_F9, lambda: self.pay("cash"))
        key(Qt.Key.Key_F10, lambda: self.pay("card"))
        key(Qt.Key.Key_F12, self.new_receipt)
        key(Qt.Key.Key_Delete, self.remove_selected)
        key("Ctrl+Del", lambda: self.set_customer(None))
        key("Ctrl+Q", self.edit_quantity)
        key(Qt.Key.Key_Escape, self._escape)

    # -- messages ----------------------------------------------------------------------------
    def say(self, text: str, kind: str = "ok") -> None:
        self.message.setText(text)
        set_prop(self.message, "message", kind)

    def refuse(self, error: BaseException) -> None:
        if isinstance(error, LoyaltyError):
            self.say(explain(error), "error")
        else:
            self.say(self.tr("Something went wrong; the operation was not recorded."), "error")
            raise error

    # -- lines ---------------------------------------------------------------------------------
    def edit_quantity(self) -> None:
        self.qty_input.setFocus()
        self.qty_input.selectAll()

    def _on_qty_entered(self) -> None:
        text = self.qty_input.text()
        if plainly_a_code(text):
            self.qty_input.setText("1")
            self.code_input.setFocus()
            self.handle_code(text.strip(), scanned=True)
            return
        self.code_input.setFocus()  # the quantity waits for the next item

    def _on_redeem_entered(self) -> None:
        text = self.redeem_input.text()
        if plainly_a_code(text):
            self.redeem_input.setText("0")
            self.requote()
            self.code_input.setFocus()
            self.handle_code(text.strip(), scanned=True)

    def _take_qty(self) -> Decimal | None:
        try:
            qty = parse_quantity(number_text(self.qty_input.text()) or "1")
            if qty > MAX_QUANTITY:
                raise ValueError("not a quantity")
        except ValueError:
            self.say(self.tr("The quantity must be a number like 2 or 0.350."), "error")
            set_prop(self.qty_input, "invalid", True)
            if plainly_a_code(self.qty_input.text()):
                self.qty_input.setText("1")
            return None
        set_prop(self.qty_input, "invalid", False)
        self.qty_input.setText("1")
        return qty

    def add_product(self, product: Product) -> None:
        if self.state is ReceiptState.PAID:
            self.new_receipt()
        qty = self._take_qty()
        if qty is None:
            return
        line = CartLine(product.sku, product.name, product.price, qty, product.category, product.brand,
                        product.no_loyalty)  # fmt: skip
        row = self.model.add(line)
        self.table.selectRow(row)
        self.say(self.tr("{name} × {qty}").format(name=product.name, qty=qty_text(qty)))
        self.requote()

    def add_free_amount(self, amount: Decimal, category: str | None, name: str) -> None:
        if self.state is ReceiptState.PAID:
            self.new_receipt()
        row = self.model.add(
            CartLine(f"free:{category or 'other'}", name, amount, Decimal(1), category)
        )
        self.table.selectRow(row)
        self.requote()

    def _move_selection(self, step: int) -> None:
        rows = self.table.selectionModel().selectedRows()
        if self.model.rowCount():
            now = rows[0].row() if rows else self.model.rowCount()
            self.table.selectRow(max(0, min(self.model.rowCount() - 1, now + step)))

    def remove_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and self.state is ReceiptState.OPEN:
            row = rows[0].row()
            self.model.remove(row)
            if self.model.rowCount():
                self.table.selectRow(min(row, self.model.rowCount() - 1))
            self.requote()

    # -- codes -------------------------------------------------------------------------------
    def _on_code_entered(self) -> None:
        text = self.code_input.text().strip()
        if not text:
            return
        self.code_input.clear()
        self.handle_code(text, scanned=False)

    def handle_code(self, code: str, scanned: bool = True) -> None:
        """A scan (from anywhere) or a typed code: a card, a product or a phone."""
        if self._busy:  # the next customer's card, scanned as the sale is being recorded
            self._after_payment.append(code)
            return
        self.tasks.read(
            lambda: self.ws.identify(code), lambda r: self._identified(r, scanned), self.refuse
        )

    def _identified(self, result: ScanResult, scanned: bool) -> None:
        if self._busy:
            self._after_payment.append(result.code)
            return
        self.unknown_card = None
        if result.kind == "customer" and result.customer is not None:
            before = self.customer if self.state is ReceiptState.OPEN else None
            self.set_customer(result.customer)
            name = result.customer.name or self.ws.show_phone(result.customer)
            if before is not None and before.id != result.customer.id:
                # Another card over a receipt that had a customer: say so, it is not silent.
                self.say(
                    self.tr("Customer changed: {name} (was {before}).").format(
                        name=name, before=before.name or self.ws.show_phone(before)
                    ),
                    "error",
                )
            else:
                self.say(self.tr("Customer: {name}").format(name=name))
        elif result.kind == "ambiguous":
            self._choose_customer(result)
        elif result.kind == "card":
            self.unknown_card = result.code
            self.say(
                self.tr("Card {card} has no customer yet: F3 registers one with it.").format(
                    card=result.code[:40]
                ),
                "error",
            )
        elif result.kind == "product" and result.product is not None:
            self.add_product(result.product)
        elif not scanned and result.code:
            from cashier_app.service.phones import looks_like_phone

            if looks_like_phone(result.code):
                self.say(self.tr("No customer with this phone yet: F3 registers them."), "error")
                self.register_requested.emit(result.code)
            else:
                self._search_products(result.code)
        else:
            self.say(
                self.tr("Unknown code {code}: nothing was changed.").format(code=result.code[:40]),
                "error",
            )

    def _choose_customer(self, result: ScanResult) -> None:
        """A number that is both somebody's phone and somebody else's card: ask."""
        from cashier_app.ui.dialogs import PickDialog

        views = list(result.candidates)
        labels = [
            self.tr("{name} — phone {phone}").format(name=views[0].name or "—", phone=self.ws.show_phone(views[0])),
            self.tr("{name} — card {card}").format(name=views[1].name or "—", card=result.code),
        ]  # fmt: skip
        pick = PickDialog(self.tr("Phone or card?"), labels, self)
        if pick.exec() and pick.chosen is not None:
            self.set_customer(views[pick.chosen])

    def _search_products(self, text: str) -> None:
        def found(products: list[Product]) -> None:
            if not products:
                self.say(self.tr("Nothing found for “{text}”.").format(text=text[:40]), "error")
            elif len(products) == 1:
                self.add_product(products[0])
            else:
                from cashier_app.ui.dialogs import PickDialog

                pick = PickDialog(self.tr("Choose a product"),
                                  [f"{p.name}   {money_text(p.price)}" for p in products], self)  # fmt: skip
                if pick.exec() and pick.chosen is not None:
                    self.add_product(products[pick.chosen])

        self.tasks.read(lambda: self.ws.search_products(text), found, self.refuse)

    # -- customer ----------------------------------------------------------------------------
    def set_customer(self, customer: CustomerView | None) -> None:
        if self.state is ReceiptState.PAID and customer is not None:
            self.new_receipt()
        self.customer = customer
        self.redeem_input.setText("0")
        self._show_customer()
        if customer is not None:
            self.customer_shown.emit(customer.id)
        self.requote()

    def _show_customer(self) -> None:
        c = self.customer
        has = c is not None
        for w in (self.card_button, self.drop_customer_button):
            w.setEnabled(has)
        if c is None:
            self.customer_name.setText(self.tr("No customer"))
            self.customer_line.setText(self.tr("Scan a card or type a phone (F2)"))
            self.customer_points.setText("")
            self.customer_tier.setText("")
            return
        self.customer_name.setText(c.name or self.tr("(no name)"))
        card = c.cards[0] if c.cards else "—"
        self.customer_line.setText(
            f"{self.ws.show_phone(c)} · {self.tr('card')} {card} · {c.group_name}"
        )
        if c.loyalty in ("bonus", "both"):
            text = self.tr("Points: {balance}").format(balance=points_text(c.balance))
            if c.pending:
                text += "  " + self.tr("(pending {pending})").format(pending=points_text(c.pending))
            self.customer_points.setText(text)
        else:
            self.customer_points.setText("")
        parts = []
        if c.tier:
            parts.append(self.tr("Tier {tier}").format(tier=c.tier))
        if c.next_tier:
            parts.append(
                self.tr("{missing} more to {tier}").format(
                    missing=money_text(c.to_next_tier), tier=c.next_tier
                )
            )
        if c.discount_percent:
            parts.append(
                self.tr("discount {percent}%").format(percent=qty_text(c.discount_percent))
            )
        self.customer_tier.setText(" · ".join(parts))

    def _changed(self, changes: OpChanges) -> None:
        """An operation elsewhere (a return from the card, an automatic bonus) changed the
        customer on the open receipt: their points and what they may pay with follow."""
        shown = self.customer
        if (
            shown is None
            or shown.id not in changes.customers
            or self.state is not ReceiptState.OPEN
        ):
            return

        def fresh(view: CustomerView) -> None:
            still = self.customer is not None and self.customer.id == view.id
            if still and self.state is ReceiptState.OPEN:
                self.customer = view
                self._show_customer()
                self.requote()

        self.tasks.read(lambda: self.ws.customer(shown.id), fresh, self.refuse)

    def _open_card(self) -> None:
        if self.customer is not None:
            self.customer_card_requested.emit(self.customer.id)

    # -- points and totals -------------------------------------------------------------------
    def _redeem_request(self) -> Decimal | None:
        text = number_text(self.redeem_input.text()) or "0"
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
        return value if value.is_finite() and value >= 0 else None

    def redeem_max(self) -> None:
        if self.quote is not None and self.customer is not None:
            self.redeem_input.setText(points_text(self.quote.max_redeem))
            self.requote()

    def requote(self) -> None:
        self._generation += 1
        generation = self._generation
        lines = [ln.as_input() for ln in self.model.lines]
        redeem = self._redeem_request()
        set_prop(self.redeem_input, "invalid", redeem is None)
        if not lines:
            self._show_quote(None)
            return
        customer_id = self.customer.id if self.customer else None

        def done(quote: ReceiptQuote) -> None:
            if generation == self._generation:
                self._show_quote(quote)

        def failed(error: BaseException) -> None:
            if generation != self._generation:
                return
            if isinstance(error, LoyaltyError) and error.code in (
                "redeem_above_max",
                "invalid_redeem",
            ):
                set_prop(self.redeem_input, "invalid", True)
                self.say(explain(error), "error")
                self._set_pay_enabled(False)
                return
            self.refuse(error)

        self.tasks.read(
            lambda: self.ws.quote(lines, customer_id, redeem or Decimal(0)), done, failed
        )

    def _set_pay_enabled(self, enabled: bool) -> None:
        for b in (self.cash_button, self.card_pay_button):
            b.setEnabled(enabled and not self._busy)

    def _show_quote(self, quote: ReceiptQuote | None) -> None:
        self.quote = quote
        self.model.set_quote(quote)
        if quote is None:
            for w in (self.total_label, self.discount_label, self.to_pay_label):
                w.setText("0.00")
            self.points_label.setText("0")
            self.earn_label.setText("0")
            self.max_label.setText("")
            self.max_button.setEnabled(False)  # nothing to pay with points yet
            self._set_pay_enabled(False)
            return
        set_prop(self.redeem_input, "invalid", False)
        self.total_label.setText(money_text(quote.total))
        self.discount_label.setText(money_text(-quote.discount) if quote.discount else "0.00")
        self.points_label.setText(("-" + points_text(quote.redeemed)) if quote.redeemed else "0")
        self.to_pay_label.setText(money_text(quote.paid))
        self.earn_label.setText("+" + points_text(quote.accrued) if quote.accrued else "0")
        has_points = self.customer is not None and self.customer.loyalty in ("bonus", "both")
        self.max_label.setText(
            self.tr("of max {max}").format(max=points_text(quote.max_redeem)) if has_points else ""
        )
        self.redeem_input.setEnabled(has_points)
        self.max_button.setEnabled(has_points and quote.max_redeem > 0)
        self._set_pay_enabled(True)

    # -- payment -----------------------------------------------------------------------------
    def pay(self, payment: str) -> None:
        if (
            self._busy
            or self.quote is None
            or not self.model.lines
            or self.state is not ReceiptState.OPEN
        ):
            return
        if not self.ws.can(Permission.SELL):
            self.say(self.tr("This user may not sell."), "error")
            return
        lines = [ln.as_input() for ln in self.model.lines]
        customer_id = self.customer.id if self.customer else None
        redeem = self._redeem_request() or Decimal(0)
        self._busy = True
        self._set_pay_enabled(False)

        def done(sale: SaleResult) -> None:
            self._busy = False
            self.last_sale = sale
            self._show_slip(sale, payment)
            self.paid.emit(sale)
            waiting, self._after_payment = self._after_payment, []
            for code in waiting:
                self.handle_code(code, scanned=True)

        def failed(error: BaseException) -> None:
            self._busy = False
            self._set_pay_enabled(True)
            # Codes scanned meanwhile are not applied to a receipt that is still open.
            self._after_payment.clear()
            self.refuse(error)

        def changes(sale: SaleResult) -> OpChanges:
            touched = customer_ids(sale.customer, automatic=sale.automatic)
            return OpChanges("sale", touched, receipt=sale.number, sync=True)

        op = CollectionOp(
            self.tasks, lambda: self.ws.pay(lines, customer_id, redeem, payment), changes
        )
        op.success(done).failure(failed).run_in_background()

    def _show_slip(self, sale: SaleResult, payment: str) -> None:
        q = sale.quote
        width = 34
        out = []
        for ln, cart in zip(q.lines, self.model.lines, strict=True):
            out.append(cart.name[:width])
            amount = money_text(ln.amount - ln.discount)
            left = f"  {qty_text(ln.qty)} × {money_text(ln.price)}"
            out.append(left + amount.rjust(width - len(left)))
        out.append("-" * width)

        def row(name: str, value: str) -> None:
            out.append(name + value.rjust(width - len(name)))

        row(self.tr("Total"), money_text(q.total))
        if q.discount:
            row(self.tr("Discount"), money_text(-q.discount))
        if q.redeemed:
            row(self.tr("Points"), "-" + points_text(q.redeemed))
        row(
            self.tr("Paid in cash") if payment == "cash" else self.tr("Paid by card"),
            money_text(q.paid),
        )
        if sale.customer is not None:
            row(self.tr("Points earned"), "+" + points_text(q.accrued))
            row(self.tr("Balance"), points_text(sale.customer.balance))
            self.customer = sale.customer
            self._show_customer()
        self.redeem_input.setEnabled(False)
        self.max_button.setEnabled(False)
        self.max_label.setText("")
        self.slip_title.setText(self.tr("Receipt {number}").format(number=sale.number))
        self.slip_text.setText("\n".join(out))
        self._show_state(ReceiptState.PAID)
        self.say(self.tr("Paid. Receipt {number} recorded.").format(number=sale.number))
        self.next_button.setFocus()

    def new_receipt(self) -> None:
        if self._busy:
            return
        self.code_input.clear()
        self.model.clear()
        self.customer = None
        self.quote = None
        self.redeem_input.setText("0")
        self.qty_input.setText("1")
        self._show_state(ReceiptState.OPEN)
        self._show_customer()
        self._show_quote(None)
        self.say(self.tr("Ready for the next customer."))
        self.code_input.setFocus()

    def _escape(self) -> None:
        if self.state is ReceiptState.PAID:
            self.new_receipt()
        else:
            self.code_input.clear()
            self.code_input.setFocus()
