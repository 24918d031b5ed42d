"""The filtered customer base as a CSV or XLSX file, row by row (a million customers never
sit in memory), and a line in the audit log saying who took which customers' data out.

Personal data leaving the till is what the audit log is for: the line names the filter,
the file and the number of rows. A file that could not be written whole is removed and
nothing is logged, since nothing left the till.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.customer_base import CustomerFilter, CustomerRow, Sort, stream
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import Actor, Permission

ExportFormat = Literal["csv", "xlsx"]
HEADERS = (
    "Name", "Phone", "Cards", "Group", "Tier", "Balance", "Last purchase", "Registered",
    "Birthday", "Consent",
)  # fmt: skip


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _cells(row: CustomerRow, tz: ZoneInfo) -> list[str]:
    # Text cells, amounts as the ledger's exact decimals: a spreadsheet that reads a
    # number as a float must not be where the figure is decided.
    return [
        row.name,
        row.phone,
        " ".join(row.cards),
        row.group,
        row.tier or "",
        str(row.balance),
        _when(row.last_purchase_at, tz),
        _when(row.registered_at, tz),
        row.birthday.isoformat() if row.birthday else "",
        "yes" if row.consent else "no",
    ]


def _write_csv(path: Path, rows: Iterator[list[str]]) -> int:
    n = 0
    # UTF-8 with a BOM: Excel then reads Cyrillic names right.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADERS)
        for cells in rows:
            writer.writerow(cells)
            n += 1
    return n


def _write_xlsx(path: Path, rows: Iterator[list[str]]) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows to disk, memory stays flat
    sheet = book.create_sheet("Customers")
    sheet.append(list(HEADERS))
    n = 0
    for cells in rows:
        sheet.append(cells)
        n += 1
    book.save(path)
    return n


def export(
    ledger: Ledger,
    actor: Actor,
    f: CustomerFilter,
    sort: Sort,
    path: Path,
    fmt: ExportFormat,
    at: datetime | None = None,
) -> int:
    """Write the filtered base to ``path``; gives the number of customers written."""
    actor.require(Permission.EXPORT_CUSTOMERS)
    f.check()
    if fmt not in ("csv", "xlsx"):
        raise LoyaltyError("invalid_format", "export to csv or xlsx")
    path = Path(path)
    if path.is_dir():
        raise LoyaltyError("invalid_export_path", f"{path} is a folder: name a file")
    partial = path.with_name(f".{path.name}.partial")
    try:
        with ledger.db.read() as conn:
            program = ledger.program(conn, fresh=False)
            at = at or ledger.clock()
            cells = (_cells(r, program.tz) for r in stream(conn, ledger, actor, f, sort, at))
            n = (_write_csv if fmt == "csv" else _write_xlsx)(partial, cells)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise LoyaltyError("export_failed", f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with ledger.write(None) as (conn, _):
        ledger.audit(
            conn,
            "export_customers",
            path.name,
            actor.name,
            {"filter": f.described(), "sort": f"{sort.column}{':desc' * sort.descending}",
             "format": fmt, "rows": n, "file": str(path.resolve())},
            user_id=actor.id,
        )  # fmt: skip
    return n
