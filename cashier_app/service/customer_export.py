"""The filtered customer base as a CSV or XLSX file, row by row (a million customers never
sit in memory), and a line in the audit log saying who took which customers' data out.

Personal data leaving the till is what the audit log is for: the line names the filter,
the file and the number of rows. A file that could not be written whole is removed and
nothing is logged, since nothing left the till.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.customer_base import CustomerFilter, CustomerRow, Sort, stream
from cashier_app.service.ledger import Ledger
from cashier_app.service.output_files import check_output, spreadsheet_text, write_whole
from cashier_app.service.users import Actor, Permission

ExportFormat = Literal["csv", "xlsx"]
HEADERS = (
    "Name", "Phone", "Cards", "Group", "Tier", "Balance", "Last purchase", "Registered",
    "Birthday", "Consent",
)  # fmt: skip


# The cells of one customer: typed text, the balance as the ledger's exact Decimal, the
# moments in the store's zone (naive: a spreadsheet has no zones), the birthday a date.
Cell = str | Decimal | datetime | date | None
_CENTS = Decimal("0.01")
_PHONE = HEADERS.index("Phone")


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


def _cells(row: CustomerRow, tz: ZoneInfo) -> list[Cell]:
    return [
        row.name,
        row.phone,
        " ".join(row.cards),
        row.group,
        row.tier or "",
        row.balance.quantize(_CENTS),
        _local(row.last_purchase_at, tz),
        _local(row.registered_at, tz),
        row.birthday,
        "yes" if row.consent else "no",
    ]


def _csv_text(cell: Cell) -> str:
    # Exact decimal text for amounts (a spreadsheet reading a float must not decide the
    # figure); what people typed (names, groups, tiers) never runs as a formula. A phone
    # is ours, "+" and digits (a masked one has stars), so it stays as the till shows it.
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return str(cell)
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, date):
        return cell.isoformat()
    return spreadsheet_text(cell)


def _write_csv(path: Path, rows: Iterator[list[Cell]]) -> int:
    n = 0
    # UTF-8 with a BOM: Excel then reads Cyrillic names right.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADERS)
        for cells in rows:
            writer.writerow([c if i == _PHONE else _csv_text(c) for i, c in enumerate(cells)])
            n += 1
    return n


def _write_xlsx(path: Path, rows: Iterator[list[Cell]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell as XlsxCell

    book = Workbook(write_only=True)  # streams rows to disk, memory stays flat
    sheet = book.create_sheet("Customers")
    sheet.append(list(HEADERS))

    def cell(value: Cell) -> XlsxCell:
        # openpyxl writes a Decimal as a number; its stubs only name float.
        c = WriteOnlyCell(sheet, value=cast(Any, value))
        if isinstance(value, str):
            # A string cell, never a formula, whatever it starts with ("=1+1" is a name).
            c.data_type = "s"
        elif isinstance(value, Decimal):
            c.number_format = "0.00"
        elif isinstance(value, datetime):
            c.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            c.number_format = "yyyy-mm-dd"
        return c

    n = 0
    for cells in rows:
        sheet.append([cell(v) for v in cells])
        n += 1
    book.save(path)
    return n


@dataclass(frozen=True, slots=True)
class Exported:
    """A file written and not yet in the audit log (``record`` puts it there)."""

    path: Path
    fmt: ExportFormat
    rows: int
    filter: CustomerFilter
    sort: Sort


def write_file(
    ledger: Ledger,
    actor: Actor,
    f: CustomerFilter,
    sort: Sort,
    path: Path,
    fmt: ExportFormat,
    at: datetime | None = None,
) -> Exported:
    """The file alone, read in one read transaction: the window writes it on a reader
    thread, so a long XLSX never holds the writer (and the sales behind it), then records
    it. Whoever calls this records the file or removes it."""
    actor.require(Permission.EXPORT_CUSTOMERS)
    f.check()
    if fmt not in ("csv", "xlsx"):
        raise LoyaltyError("invalid_format", "export to csv or xlsx")
    shown = str(path)
    # Never over the ledger, its companions or any database (output_files.py).
    path = check_output(path, ledger.db.path.parent)
    write = _write_csv if fmt == "csv" else _write_xlsx
    with ledger.db.read() as conn:
        program = ledger.program(conn, fresh=False)
        at = at or ledger.clock()
        rows = stream(conn, ledger, actor, f, sort, at)
        n = write_whole(
            path, lambda part: write(part, (_cells(r, program.tz) for r in rows)), shown
        )
    return Exported(path, fmt, n, f, sort)


def record(ledger: Ledger, actor: Actor, done: Exported) -> int:
    """The export's line in the audit log; if it cannot be written, the file goes too, so
    no file of customers' data is left behind unrecorded. Gives the number of rows."""
    sort = done.sort
    try:
        actor.require(Permission.EXPORT_CUSTOMERS)
        with ledger.write(None) as (conn, _):
            ledger.audit(
                conn,
                "export_customers",
                done.path.name,
                actor.name,
                {"filter": done.filter.described(), "format": done.fmt, "rows": done.rows,
                 "sort": f"{sort.column}{':desc' * sort.descending}",
                 "file": str(done.path.resolve())},
                user_id=actor.id,
            )  # fmt: skip
    except BaseException:
        done.path.unlink(missing_ok=True)
        raise
    return done.rows


def export(
    ledger: Ledger,
    actor: Actor,
    f: CustomerFilter,
    sort: Sort,
    path: Path,
    fmt: ExportFormat,
    at: datetime | None = None,
) -> int:
    """Write the filtered base to ``path`` and record it in the audit log; gives the
    number of customers written."""
    return record(ledger, actor, write_file(ledger, actor, f, sort, path, fmt, at))
