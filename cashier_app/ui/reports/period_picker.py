"""Which days a report covers: a day, the week (Monday first) or the month around a chosen
day, or a custom range between two dates; and how the chart splits it ("by"). Arrows step
to the previous or next day, week or month, the way a manager pages through them."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton, QWidget

from cashier_app.service.report_model import Grouping, Period

SPANS = ("day", "week", "month", "custom")
BY_OF_SPAN: dict[str, Grouping | None] = {"day": None, "week": "day", "month": "day"}


def period_around(span: str, day: date, by: Grouping | None) -> Period:
    """The day, the week or the month that holds ``day``."""
    if span == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6), by)
    if span == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(day.replace(day=1), day.replace(day=last), by)
    return Period(day, day, by)


def step(span: str, day: date, forward: bool) -> date:
    sign = 1 if forward else -1
    if span == "week":
        return day + timedelta(days=7 * sign)
    if span == "month":
        month = day.month - 1 + sign
        year, month = day.year + month // 12, month % 12 + 1
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return day + timedelta(days=sign)


def to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


class PeriodPicker(QWidget):
    changed = Signal(object)  # the Period now chosen

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("period_picker")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.span = QComboBox()
        self.span.setObjectName("period_span")
        for key, label in zip(
            SPANS, (self.tr("Day"), self.tr("Week"), self.tr("Month"), self.tr("Custom")),
            strict=True,
        ):  # fmt: skip
            self.span.addItem(label, key)
        self.span.setCurrentIndex(SPANS.index("month"))
        self.back = QPushButton("◀")
        self.back.setObjectName("period_back")
        self.back.setToolTip(self.tr("Previous"))
        self.forward = QPushButton("▶")
        self.forward.setObjectName("period_forward")
        self.forward.setToolTip(self.tr("Next"))
        self.start = QDateEdit(to_qdate(today))
        self.start.setObjectName("period_start")
        self.end = QDateEdit(to_qdate(today))
        self.end.setObjectName("period_end")
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(QLocale().dateFormat(QLocale.FormatType.ShortFormat))
        self.dash = QLabel("—")
        self.day_label = QLabel("")  # "As of": reports that look from one day
        self.day_label.hide()
        self.by = QComboBox()
        self.by.setObjectName("period_by")
        splits: tuple[tuple[Grouping | None, str], ...] = (
            (None, self.tr("whole period")), ("day", self.tr("by day")),
            ("week", self.tr("by week")), ("month", self.tr("by month")),
        )  # fmt: skip
        for split, label in splits:
            self.by.addItem(label, split)
        self.by.setCurrentIndex(1)
        for w in (
            self.day_label,
            self.span,
            self.back,
            self.start,
            self.dash,
            self.end,
            self.forward,
        ):
            layout.addWidget(w)
        layout.addWidget(self.by)
        layout.addStretch(1)
        self._quiet = False
        self.single = False
        self.span.currentIndexChanged.connect(self._span_changed)
        self.start.dateChanged.connect(self._dates_changed)
        self.end.dateChanged.connect(self._dates_changed)
        self.by.currentIndexChanged.connect(lambda _: self._emit())
        self.back.clicked.connect(lambda: self._step(False))
        self.forward.clicked.connect(lambda: self._step(True))
        self._span_changed()

    def set_locale(self, locale: QLocale) -> None:
        for edit in (self.start, self.end):
            edit.setLocale(locale)
            edit.setDisplayFormat(locale.dateFormat(QLocale.FormatType.ShortFormat))

    def set_single_day(self, single: bool, label: str = "") -> None:
        """A report that looks from one day (who stopped coming as of it, the birthdays of
        the week from it) takes that day alone: no span, no end, no "by"."""
        self.single = single
        self.day_label.setText(label)
        self.day_label.setVisible(single and bool(label))
        for w in (self.span, self.dash, self.end, self.by):
            w.setVisible(not single)
        self.back.setEnabled(single or str(self.span.currentData()) != "custom")
        self.forward.setEnabled(self.back.isEnabled())

    def period(self) -> Period:
        if self.single:
            day = to_date(self.start.date())
            return Period(day, day, None)
        by: Grouping | None = self.by.currentData()
        span = str(self.span.currentData())
        if span == "custom":
            return Period(to_date(self.start.date()), to_date(self.end.date()), by)
        return period_around(span, to_date(self.start.date()), by)

    def choose(
        self, span: str, day: date, by: Grouping | None = None, end: date | None = None
    ) -> None:
        """Set the period as a manager would, emitting ``changed`` once."""
        self._quiet = True
        try:
            self.span.setCurrentIndex(SPANS.index(span))
            self.start.setDate(to_qdate(day))
            self.end.setDate(to_qdate(end or day))
            self.by.setCurrentIndex(self.by.findData(by))
        finally:
            self._quiet = False
        self._sync_dates()
        self._emit()

    def _span_changed(self) -> None:
        span = str(self.span.currentData())
        custom = span == "custom"
        self.end.setEnabled(custom)
        self.back.setEnabled(not custom)
        self.forward.setEnabled(not custom)
        if not self._quiet and span in BY_OF_SPAN:
            self._quiet = True
            self.by.setCurrentIndex(self.by.findData(BY_OF_SPAN[span]))
            self._quiet = False
        self._sync_dates()
        self._emit()

    def _dates_changed(self) -> None:
        if self._quiet:
            return
        self._sync_dates()
        self._emit()

    def _sync_dates(self) -> None:
        """Outside a custom range the dates show where the day, week or month starts and
        ends."""
        if str(self.span.currentData()) == "custom":
            if self.end.date() < self.start.date():
                self._set(self.end, self.start.date())
            return
        period = self.period()  # the day, week or month around the day picked, shown whole
        self._set(self.start, to_qdate(period.start))
        self._set(self.end, to_qdate(period.end))

    def _set(self, edit: QDateEdit, value: QDate) -> None:
        quiet, self._quiet = self._quiet, True
        edit.setDate(value)
        self._quiet = quiet

    def _step(self, forward: bool) -> None:
        span = "day" if self.single else str(self.span.currentData())
        self._set(self.start, to_qdate(step(span, to_date(self.start.date()), forward)))
        self._sync_dates()
        self._emit()

    def _emit(self) -> None:
        if not self._quiet:
            self.changed.emit(self.period())
