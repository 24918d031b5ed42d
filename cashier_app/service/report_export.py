"""A report written out: CSV for other programs, XLSX for a spreadsheet, aligned text for a
terminal. Each shows the report's rows as they are, so every form has the same figures.

CSV: the header is the columns' keys (stable, never translated), money and points are plain
decimal text with a point and two decimals, days are ISO dates, nothing is a float. XLSX:
the columns' titles, numbers as numbers (money with two decimals), days as dates, and the
report's notes under the table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from cashier_app.engine.money import CENT
from cashier_app.service.output_files import spreadsheet_text, write_whole
from cashier_app.service.report_model import Column, Report, Value

_NUMERIC = ("int", "money", "points", "percent")
_DECIMAL = ("money", "points", "percent")  # two decimals, as the ledger keeps them
_XLSX_FORMATS = {"money": "#,##0.00", "points": "#,##0.00", "percent": "0.00", "date": "yyyy-mm-dd"}


def cell_text(value: Value, column: Column) -> str:
    """A value as plain text: the same for CSV and the terminal."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return (
            str(value.quantize(CENT))
            if column.kind in ("money", "points", "percent")
            else str(value)
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_text(report: Report, for_spreadsheet: bool = False) -> str:
    """``for_spreadsheet``: a file someone opens in a spreadsheet, where the names people
    typed (a customer, a cashier) must not run as formulas; the screen shows them as typed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in report.columns])
    for row in report.rows:
        writer.writerow(
            [
                _typed(cell_text(v, c), c) if for_spreadsheet else cell_text(v, c)
                for v, c in zip(row, report.columns, strict=True)
            ]
        )
    return out.getvalue()


# Text columns holding what people typed; the others (periods, masked phones, segments)
# are the report's own words.
_TYPED = ("customer", "cashier", "group", "tier")


def _typed(text: str, column: Column) -> str:
    return spreadsheet_text(text) if column.key in _TYPED else text


def table_text(report: Report) -> str:
    """Aligned columns for a terminal: the title and period, the header, the rows (numbers
    to the right), then the notes."""
    header = [c.title for c in report.columns]
    body = [
        [cell_text(v, c) for v, c in zip(row, report.columns, strict=True)] for row in report.rows
    ]
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]

    def line(cells: Iterable[str]) -> str:
        parts = [
            text.rjust(w) if c.kind in _NUMERIC else text.ljust(w)
            for text, w, c in zip(cells, widths, report.columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines = [report.title]
    if report.period is not None:
        lines[0] += f", {report.period.start.isoformat()} .. {report.period.end.isoformat()}"
    lines += ["", line(header), "  ".join("-" * w for w in widths)]
    lines += [line(cells) for cells in body] or ["(nothing in this period)"]
    if report.notes:
        lines += ["", *report.notes]
    return "\n".join(lines) + "\n"


def write_csv(report: Report, path: Path, shown: str | None = None) -> Path:
    _write_whole(path, csv_text(report, for_spreadsheet=True).encode("utf-8"), shown)
    return path


def write_table(report: Report, path: Path, shown: str | None = None) -> Path:
    _write_whole(path, table_text(report).encode("utf-8"), shown)
    return path


def write_xlsx(report: Report, path: Path, shown: str | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = report.name[:31]
    sheet.append([c.title for c in report.columns])
    for row in report.rows:
        sheet.append([_xlsx_value(v, c) for v, c in zip(row, report.columns, strict=True)])
    for i, column in enumerate(report.columns, start=1):
        fmt = _XLSX_FORMATS.get(column.kind)
        if fmt is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
        texts = [column.title, *(cell_text(r[i - 1], column) for r in report.rows)]
        sheet.column_dimensions[get_column_letter(i)].width = min(60, 2 + max(map(len, texts)))
    sheet.freeze_panes = "A2"
    if report.notes:
        sheet.append([])
        for note in report.notes:
            sheet.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    _write_whole(path, buffer.getvalue(), shown)
    return path


def _xlsx_value(value: Value, column: Column) -> str | int | Decimal | date | None:
    if isinstance(value, Decimal) and column.kind in _DECIMAL:
        return value.quantize(CENT)
    if isinstance(value, str):
        return _typed(value, column)
    return value


def _write_whole(path: Path, data: bytes, shown: str | None) -> None:
    """The whole file or none (output_files): a report cut off half-way by a full disk is
    not left looking like a finished one, and a failure names the file as typed."""
    write_whole(Path(path), lambda temporary: temporary.write_bytes(data), shown)
