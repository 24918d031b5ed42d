"""Loading a great many rows at once into the ledger (a new till's first pull of a
million customers): the driver's ``executemany`` with the column types' own converters,
secondary indexes and the name index's trigger set aside for the load and built once at
the end, from sorted data, instead of row by row, and a larger page cache meanwhile.

Everything happens inside the caller's write transaction: a load that fails is rolled
back whole, indexes and trigger included (SQLite's DDL is transactional).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table

from cashier_app.storage.types import Scaled, bulk_converter

NAME_TRIGGER = "customer_names_ai"  # migration 0001: indexes each inserted customer's name
LOAD_CACHE_KIB = -524288  # 512 MiB, for the length of a first pull


class BulkLoad:
    """``begin`` before the first rows of ``tables``, ``insert`` as they come, ``finish``
    at the end; ``close`` always (it gives the connection its everyday cache back)."""

    def __init__(
        self, conn: Connection, tables: tuple[str, ...], cache_kib: int = -LOAD_CACHE_KIB
    ) -> None:
        self.conn, self.tables, self.cache_kib = conn, tables, cache_kib
        self.raw: Any = conn.connection.driver_connection
        self.trigger: str | None = None
        self.indexes: list[tuple[str, str]] = []
        self.cache: int | None = None

    def begin(self) -> None:
        self.trigger = self.raw.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (NAME_TRIGGER,)
        ).fetchone()[0]
        self.raw.execute(f"DROP TRIGGER {NAME_TRIGGER}")
        # A million customers' tables do not fit the everyday 32 MiB, and pages spilled to
        # the log mid-transaction are written twice.
        self.cache = int(self.raw.execute("PRAGMA cache_size").fetchone()[0])
        self.raw.execute(f"PRAGMA cache_size={-self.cache_kib}")
        # Constraints' own indexes stay: they have no SQL to drop and make again.
        self.indexes = self.raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' for _ in self.tables)})",
            self.tables,
        ).fetchall()
        for name, _ in self.indexes:
            self.raw.execute(f'DROP INDEX "{name}"')

    def insert(
        self,
        table: Table,
        columns: tuple[str, ...],
        rows: list[tuple[Any, ...]],
        checks: dict[str, type],
    ) -> None:
        """``rows`` in ``columns``' order: amounts as integers of hundredths (how the ledger
        keeps them), everything else through the column type's own converter, after a
        check that the value is of the Python type ``checks`` names for that column."""
        if not rows:
            return
        convert = [_converter(table, n, self.conn.dialect, checks.get(n)) for n in columns]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        # Column by column (map and zip run in C): per-value Python was half the load.
        values: list[Iterable[Any]] = [
            column if fn is None else list(map(fn, column))
            for fn, column in zip(convert, zip(*rows, strict=True), strict=True)
        ]
        try:
            self.raw.executemany(sql, zip(*values, strict=True))
        except sqlite3.IntegrityError as exc:  # e.g. one phone twice: the data's fault
            raise ValueError(f"{table.name}: {exc}") from exc

    def finish(self) -> None:
        if self.trigger is None:
            return
        self.raw.execute("INSERT INTO customer_names(customer_names) VALUES ('rebuild')")
        self.raw.execute(self.trigger)
        for _, sql in self.indexes:
            self.raw.execute(sql)

    def close(self) -> None:
        if self.cache is not None:
            self.raw.execute(f"PRAGMA cache_size={self.cache}")


def _converter(
    table: Table, name: str, dialect: Any, python_type: type | None
) -> Callable[[Any], Any]:
    column_type = table.c[name].type
    if isinstance(column_type, Scaled):
        if column_type.scale != 2:  # e.g. a quantity, in thousandths: not what comes in
            raise TypeError(f"{table.name}.{name} is not kept in hundredths")
        return _hundredths
    convert = bulk_converter(column_type, dialect)

    def check(value: Any) -> Any:
        if value is not None and python_type is not None and not isinstance(value, python_type):
            raise TypeError(f"{table.name}.{name} is not {python_type.__name__}: {value!r}")
        return convert(value) if convert is not None else value

    return check


def _hundredths(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"an amount is not a whole number of hundredths: {value!r}")
    return value
