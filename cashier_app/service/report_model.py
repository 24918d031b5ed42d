"""What a report is, whoever shows it: a title, its period, typed columns, rows, and the
chart drawn from them. The service computes reports in this shape; the command line prints
or exports it, the window draws its chart and the table under it, and the export writes it
to CSV or XLSX, so every one of them shows the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

# How a column's values are shown: money and points are Decimal, counts int, days date.
ColumnKind = Literal["text", "date", "int", "money", "points", "percent"]
Value = str | int | Decimal | date | None
Grouping = Literal["day", "week", "month"]
ChartKind = Literal["bar", "stacked_bar", "line"]


@dataclass(frozen=True, slots=True)
class Period:
    """From ``start`` to ``end``, both days included, in the store's time zone; ``by``
    splits it into days, weeks (Monday first) or months, or None for one whole period."""

    start: date
    end: date
    by: Grouping | None = None


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the CSV header: stable, lower_snake_case, never translated
    title: str  # the window's and the XLSX header's text (English; the window translates)
    kind: ColumnKind


@dataclass(frozen=True, slots=True)
class Chart:
    """Draw ``values`` (column keys) against the ``x`` column; with ``split`` set, one
    series per distinct value of that column (the sales report's segments)."""

    kind: ChartKind
    x: str
    values: tuple[str, ...]
    split: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    name: str  # "sales", "points", "groups", "tiers", "shift", "winback", "birthdays"
    title: str
    period: Period | None
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    chart: Chart | None = None
    notes: tuple[str, ...] = field(default=())  # lines shown under the table

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)
