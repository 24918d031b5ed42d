"""Export what can still be read from a damaged ledger (``cashier-app salvage``).

Each table goes to ``TABLE.csv`` in the output folder: read whole when SQLite can, else
row by row in rowid order, stepping over what cannot be read (a row, or a broken page of
rows: the step doubles while reads keep failing). The ledger is opened read-only and never
changed. The report says, per table, how many rows were written and what could not be read.
Values are written as stored: amounts in hundredths, moments as UTC text.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cashier_app.storage import health
from cashier_app.storage import schema as t

MAX_MISSES = 64  # consecutive failed seeks (with a doubling step) before a table is given up
EXTRA_TABLES = ("alembic_version",)


@dataclass
class TableReport:
    table: str
    rows: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Report:
    tables: list[TableReport]

    @property
    def complete(self) -> bool:
        return not any(r.problems for r in self.tables)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(health.readonly_uri(path), uri=True)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error:
        # a read-only folder without the shared-memory file, or a broken write-ahead log
        conn = sqlite3.connect(health.readonly_uri(path, immutable=True), uri=True)
    # The schema is read past its broken entries (on a read-only connection nothing can
    # be written): a table whose own description survived stays readable.
    conn.execute("PRAGMA writable_schema=ON")
    return conn


def salvage(path: Path, output: Path) -> Report:
    """Write every table's readable rows to CSV files in ``output`` (made if missing)."""
    output.mkdir(parents=True, exist_ok=True)
    try:
        conn = _connect(path)
    except sqlite3.Error as exc:
        raise health.damaged(path, f"it cannot be opened even to read: {exc}") from exc
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    try:
        names = [*t.metadata.tables, *EXTRA_TABLES]
        return Report([_table(conn, name, output / f"{name}.csv") for name in names])
    finally:
        conn.close()


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        found = [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
    except sqlite3.Error:
        found = []
    if found:
        return found
    known = t.metadata.tables.get(table)
    return [c.name for c in known.columns] if known is not None else []


def _table(conn: sqlite3.Connection, table: str, target: Path) -> TableReport:
    report = TableReport(table)
    columns = _columns(conn, table)
    if not columns:
        report.problems.append("the table's description cannot be read")
        return report
    listed = ", ".join(f'"{c}"' for c in columns)
    with target.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(columns)
        try:
            rows = conn.execute(f'SELECT {listed} FROM "{table}" ORDER BY rowid').fetchall()
        except sqlite3.Error as exc:
            first = str(exc)
        else:
            out.writerows(rows)
            report.rows = len(rows)
            return report
        if "no such table" in first:
            report.problems.append("the table's description cannot be read")
            return report
        # Row by row: what can be read of a table SQLite cannot read whole.
        skipped: list[str] = []
        for row in _rows_one_by_one(conn, table, listed, skipped):
            out.writerow(row)
            report.rows += 1
        report.problems.append(f"the table cannot be read whole ({first})")
        report.problems += skipped
    return report


def _rows_one_by_one(
    conn: sqlite3.Connection, table: str, listed: str, skipped: list[str]
) -> Iterator[tuple[Any, ...]]:
    """Rows in rowid order; a seek that fails is retried further on with a doubling step,
    and each unreadable stretch is reported once."""
    after, step, misses = 0, 1, 0
    broken_from: int | None = None  # the last rowid read before an unreadable stretch
    seek = f'SELECT rowid FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT 1'
    fetch = f'SELECT {listed} FROM "{table}" WHERE rowid = ?'
    while misses < MAX_MISSES and after < 2**62:
        try:
            found = conn.execute(seek, (after,)).fetchone()
        except sqlite3.Error as exc:
            if broken_from is None:
                broken_from, reason = after, str(exc)
            after, step, misses = after + step, step * 2, misses + 1
            continue
        if found is None:
            break
        rowid = int(found[0])
        if broken_from is not None:
            skipped.append(f"rows after rowid {broken_from} before {rowid}: {reason}")
            broken_from = None
        try:
            row = conn.execute(fetch, (rowid,)).fetchone()
        except sqlite3.Error as exc:
            skipped.append(f"row {rowid}: {exc}")
            row = None
        if row is not None:
            yield row
        after, step, misses = rowid, 1, 0
    if broken_from is not None:
        skipped.append(f"rows after rowid {broken_from}: {reason}")
