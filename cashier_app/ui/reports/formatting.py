"""A report's values as the store reads them: money and points from their Decimal through
the engine's formatting (never through a float, so no 0.30000000000000004 in a cell or on
an axis), then the locale's group separator and decimal mark; days in the locale's short
date. The table, the chart's axes and the PDF all show values through here."""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QCoreApplication, QDate, QLocale

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import format_money
from cashier_app.service.report_model import Column, ColumnKind, Value
from cashier_app.ui import i18n
from cashier_app.ui.workstation import Workstation


def store_region(ws: Workstation) -> str | None:
    """The store's country, for its number and date formats. Called off the GUI thread:
    the program is read from the ledger when login has not read it yet."""
    try:
        return ws.program.default_region
    except LoyaltyError:
        return None  # no program installed yet: the language's own formats


def store_locale(region: str | None = None) -> QLocale:
    """The window's language with the store's country (the program's default region): a
    Russian window in a Ukrainian store still writes ``1 234,50``; an English window keeps
    the English marks whatever the region."""
    lang = i18n.current_language()
    if lang == "en":
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    language = QLocale.codeToLanguage(lang)
    territory = QLocale.codeToTerritory(region) if region else QLocale.Country.AnyTerritory
    return QLocale(language, territory)


def localise_number(text: str, locale: QLocale) -> str:
    """``-1234567.50`` (a Decimal's own digits) with the locale's marks: ``-1 234 567,50``."""
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    number = locale.groupSeparator().join(groups)
    if fraction:
        number += locale.decimalPoint() + fraction
    return sign + number


def decimal_text(value: Decimal) -> str:
    """A Decimal's digits without an exponent (``1E+3`` is ``1000``)."""
    return f"{value:f}"


def show_date(value: date, locale: QLocale) -> str:
    return locale.toString(
        QDate(value.year, value.month, value.day), QLocale.FormatType.ShortFormat
    )


def show_value(value: Value, kind: ColumnKind, locale: QLocale) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return show_date(value, locale)
    if isinstance(value, Decimal):
        if kind == "money":
            return localise_number(format_money(value), locale)
        if kind == "percent":
            return localise_number(decimal_text(value), locale) + " %"
        return localise_number(decimal_text(value), locale)
    if isinstance(value, int) and not isinstance(value, bool):
        return localise_number(str(value), locale)
    if kind == "text":
        return period_label(str(value), locale) or translate(str(value))
    return str(value)


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def period_label(text: str, locale: QLocale) -> str | None:
    """A period's label as the service writes it (``2026-11-23``, ``2026-W47``,
    ``2026-11``, ``2026-11-01..2026-11-30``) in the store's words; None for other text."""
    if ".." in text:
        parts = [period_label(p, locale) for p in text.split("..", 1)]
        return None if None in parts else " — ".join(p or "" for p in parts)
    if m := _DAY.fullmatch(text):
        try:
            return show_date(date(int(m[1]), int(m[2]), int(m[3])), locale)
        except ValueError:
            return None
    if m := _WEEK.fullmatch(text):
        return QCoreApplication.translate("Reports", "week {week}, {year}").format(
            week=int(m[2]), year=m[1]
        )
    if (m := _MONTH.fullmatch(text)) and 1 <= int(m[2]) <= 12:
        month = locale.standaloneMonthName(int(m[2]), QLocale.FormatType.ShortFormat)
        return f"{month} {m[1]}"
    return None


def show_cell(value: Value, column: Column, locale: QLocale) -> str:
    return show_value(value, column.kind, locale)


def axis_text(value: Value, kind: ColumnKind, locale: QLocale) -> str:
    """A value under a chart's bar: days without their year (the title names the period),
    so a month of days fits under its bars; anything else as the table writes it."""
    day = _as_day(value)
    if day is not None:
        short = re.sub(r"[^dM]*y+[^dM]*", "", locale.dateFormat(QLocale.FormatType.ShortFormat))
        return locale.toString(QDate(day.year, day.month, day.day), short or "dd.MM")
    return show_value(value, kind, locale)


def _as_day(value: Value) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and (m := _DAY.fullmatch(value)):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def axis_label(value: float, spacing: float, kind: ColumnKind, locale: QLocale) -> str:
    """A chart axis tick. The plot hands its ticks as floats; each is rounded to the
    places its spacing needs and turned into a Decimal before it is written, so a tick
    reads ``0,3`` and money ticks on whole amounts read without ``,00``."""
    places = 0 if spacing <= 0 or spacing >= 1 else min(6, math.ceil(-math.log10(spacing)))
    number = Decimal(f"{value:.{places}f}")
    if number == 0:
        number = Decimal(0)  # "-0" is no amount anybody writes
    text = localise_number(decimal_text(number), locale)
    return text + " %" if kind == "percent" else text


def translate(text: str) -> str:
    """A title, a column's or a segment's name as the service gives it (English, stable)
    in the window's language; the reports' translation file holds them."""
    return QCoreApplication.translate("Reports", text)


# The figures inside a note (a count, a day, a range of days, an amount), each taken out
# so the note's words are looked up once as a template: "{a} of {b} shown."
_FIGURE = re.compile(r"\d{4}-\d{2}-\d{2}(?:\.\.\d{4}-\d{2}-\d{2})?|\d+(?:\.\d+)?")
_NAMES = "abcdef"


def translate_note(text: str, locale: QLocale) -> str:
    """A report's note in the window's language, its figures written the store's way. A
    note nobody translated stays as the service wrote it."""
    exact = translate(text)
    if exact != text:
        return exact
    figures = _FIGURE.findall(text)
    if not figures or len(figures) > len(_NAMES) or "{" in text:
        return text
    names = iter(_NAMES)
    template = _FIGURE.sub(lambda _: "{" + next(names) + "}", text)
    translated = translate(template)
    if translated == template:
        return text
    shown = {
        name: period_label(figure, locale) or localise_number(figure, locale)
        for name, figure in zip(_NAMES, figures, strict=False)
    }
    return translated.format(**shown)
