"""The customer base's filters: what the manager types becomes a CustomerFilter, or a
message saying which field is wrong (and the list stays as it was)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.customer_base import CustomerFilter, month_day


class FilterError(ValueError):
    pass


class FilterBar(QWidget):
    changed = Signal()  # the manager stopped typing: apply the filter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setObjectName("base_search")
        self.search.setPlaceholderText(self.tr("Name, phone or card"))
        self.not_seen = QSpinBox()
        self.not_seen.setObjectName("base_not_seen")
        self.not_seen.setRange(0, 3650)
        self.not_seen.setSpecialValueText(self.tr("any"))
        self.not_seen.setSuffix(self.tr(" days"))
        self.birthday_from, self.birthday_to = QLineEdit(), QLineEdit()
        for edit in (self.birthday_from, self.birthday_to):
            edit.setPlaceholderText(self.tr("MM-DD"))
            edit.setMaxLength(5)
        self.group = QComboBox()
        self.group.setObjectName("base_group")
        self.tier = QComboBox()
        self.min_balance, self.max_balance = QLineEdit(), QLineEdit()
        self.min_balance.setPlaceholderText(self.tr("from"))
        self.max_balance.setPlaceholderText(self.tr("to"))
        self.registered_from, self.registered_to = QLineEdit(), QLineEdit()
        for edit in (self.registered_from, self.registered_to):
            edit.setPlaceholderText(self.tr("YYYY-MM-DD"))
            edit.setMaxLength(10)
        self.consent = QComboBox()
        self.consent.addItem(self.tr("any"), None)
        self.consent.addItem(self.tr("given"), True)
        self.consent.addItem(self.tr("not given"), False)
        self.set_choices([], [])
        rows: list[list[tuple[str, QWidget]]] = [
            [(self.tr("Search"), self.search), (self.tr("Not seen for"), self.not_seen),
             (self.tr("Group"), self.group), (self.tr("Tier"), self.tier)],
            [(self.tr("Birthday from"), self.birthday_from), (self.tr("to"), self.birthday_to),
             (self.tr("Points from"), self.min_balance), (self.tr("to"), self.max_balance)],
            [(self.tr("Registered from"), self.registered_from), (self.tr("to"), self.registered_to),
             (self.tr("Consent"), self.consent)],
        ]  # fmt: skip
        for r, fields in enumerate(rows):
            for c, (label, widget) in enumerate(fields):
                grid.addWidget(QLabel(label), r, 2 * c)
                grid.addWidget(widget, r, 2 * c + 1)
        for c in range(4):
            grid.setColumnStretch(2 * c + 1, 1)
        # Typing settles for a moment before the base is asked again.
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(300)
        self._settle.timeout.connect(self.changed)
        for edit in (self.search, self.birthday_from, self.birthday_to, self.min_balance,
                     self.max_balance, self.registered_from, self.registered_to):  # fmt: skip
            edit.textChanged.connect(self._settle.start)
        self.not_seen.valueChanged.connect(self._settle.start)
        for combo in (self.group, self.tier, self.consent):
            combo.currentIndexChanged.connect(self.changed)
        for field in (self.search, self.not_seen, self.birthday_from, self.birthday_to,
                      self.min_balance, self.max_balance, self.registered_from,
                      self.registered_to):  # fmt: skip
            field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Return in a filter field applies the filter and goes no further: passed on, the
        # dialog around pressed its first button (Card…), which said "Select one customer."
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._settle.stop()
            self.changed.emit()
            return True
        return super().eventFilter(watched, event)

    def set_choices(self, groups: list[tuple[str, str]], tiers: list[str]) -> None:
        for combo, items in ((self.group, groups), (self.tier, [(t, t) for t in tiers])):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self.tr("all"), None)
            for value, label in items:
                combo.addItem(label, value)
            combo.blockSignals(False)

    def filter(self) -> CustomerFilter:
        """The filter as typed; FilterError names the field that is wrong."""
        first, last = self.birthday_from.text().strip(), self.birthday_to.text().strip()
        birthday: tuple[tuple[int, int] | None, tuple[int, int] | None] = (None, None)
        if first or last:
            try:
                birthday = (month_day(first or "01-01"), month_day(last or "12-31"))
            except LoyaltyError:
                raise FilterError(self.tr("A birthday is a day like 03-08 (month-day).")) from None
        group = self.group.currentData()
        f = CustomerFilter(
            search=self.search.text().strip(),
            not_seen_days=self.not_seen.value() or None,
            birthday_from=birthday[0],
            birthday_to=birthday[1],
            group_ids=(group,) if group else (),
            tier=self.tier.currentData(),
            min_balance=self._points(self.min_balance),
            max_balance=self._points(self.max_balance),
            registered_from=self._day(self.registered_from),
            registered_to=self._day(self.registered_to),
            consent=self.consent.currentData(),
        )
        try:
            f.check()
        except LoyaltyError as exc:
            raise FilterError(exc.message) from None
        return f

    def _points(self, edit: QLineEdit) -> Decimal | None:
        text = edit.text().strip().replace(",", ".").replace(" ", "")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or abs(value) >= Decimal("1e15"):
            raise FilterError(self.tr("Points are a number, like 500 or 12.5."))
        return value

    def _day(self, edit: QLineEdit) -> date | None:
        text = edit.text().strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FilterError(self.tr("A registration day is written like 2026-03-08.")) from None
