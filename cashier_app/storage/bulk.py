"""Loading a great many rows at once into the ledger (a new till's first pull of a
million customers): rows converted to what the ledger stores by the column types' own
converters, secondary indexes and the name index's trigger set aside for the load and
built once at the end, from sorted data, instead of row by row, and a larger page cache
meanwhile; the whole load written into the ledger file once (``written_once``).

Everything happens inside the caller's write transaction: a load that fails is rolled
back whole, indexes and trigger included (SQLite's DDL is transactional).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Connection, Table

from cashier_app.storage.db import BUSY_TIMEOUT_MS, Database
from cashier_app.storage.types import Scaled, UtcDateTime, bulk_converter

NAME_TRIGGER = "customer_names_ai"  # migration 0001: indexes each inserted customer's name
LOAD_CACHE_KIB = -524288  # 512 MiB, for the length of a first pull
_log = logging.getLogger(__name__)


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
        """``rows`` in ``columns``' order, as ``stored_rows`` takes them."""
        if not rows:
            return
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        try:
            self.raw.executemany(sql, stored_rows(table, columns, rows, checks, self.conn.dialect))
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


def stored_rows(
    table: Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    checks: dict[str, type],
    dialect: Any,
) -> Iterator[tuple[Any, ...]]:
    """``rows`` in ``columns``' order as the ledger stores them: amounts as integers of
    hundredths (how the ledger keeps them), everything else through the column type's own
    converter, after a check that the value is of the Python type ``checks`` names for
    that column. Raises TypeError or ValueError for a value that is not."""
    if not rows:
        return iter(())
    # Column by column, each checked and converted in C where it can be (map, set, a
    # regular expression over the whole column): per-value Python was most of the load.
    values = [
        _stored_column(table, name, column, dialect, checks.get(name))
        for name, column in zip(columns, zip(*rows, strict=True), strict=True)
    ]
    return zip(*values, strict=True)


_NONE = type(None)
# Moments already in the form the ledger stores (naive UTC with microseconds), one a line.
_STORED_MOMENTS = re.compile(r"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\n)*")


def _stored_column(
    table: Table, name: str, column: tuple[Any, ...], dialect: Any, python_type: type | None
) -> Iterable[Any]:
    column_type = table.c[name].type
    kinds = set(map(type, column))
    if isinstance(column_type, Scaled):
        if column_type.scale != 2:  # e.g. a quantity, in thousandths: not what comes in
            raise TypeError(f"{table.name}.{name} is not kept in hundredths")
        if not kinds <= {int}:
            wrong = next(v for v in column if type(v) is not int)
            raise TypeError(f"an amount is not a whole number of hundredths: {wrong!r}")
        return column
    if python_type is not None and not all(issubclass(k, (python_type, _NONE)) for k in kinds):
        wrong = next(v for v in column if not isinstance(v, (python_type, _NONE)))
        raise TypeError(f"{table.name}.{name} is not {python_type.__name__}: {wrong!r}")
    convert = bulk_converter(column_type, dialect)
    if convert is None or kinds <= {_NONE}:
        return column
    if isinstance(column_type, UtcDateTime) and kinds <= {str, _NONE}:
        given = [v for v in column if v is not None]
        if _STORED_MOMENTS.fullmatch("\n".join(given) + "\n"):
            for _ in map(datetime.fromisoformat, given):  # a real date and time, each
                pass
            return column
    if isinstance(column_type, Boolean) and kinds <= {bool, _NONE}:
        return column  # the driver stores True and False as 1 and 0, as SQLAlchemy does
    return list(map(convert, column))


@contextmanager
def written_once(db: Database, attach: dict[str, Path]) -> Iterator[Connection]:
    """One write transaction for a load of a great many rows (a first pull's million
    customers), with ``attach``'s files attached under their names.

    In WAL mode a gigabyte committed is written twice: into the WAL, then copied into the
    ledger by the checkpointer. When no other connection has the ledger open, the load
    runs with SQLite's rollback journal instead, where pages added past the file's end are
    written once, into the file, and only pages that existed before go to the journal; the
    ledger is back in WAL at the end. When the ledger is in use elsewhere (the switch
    needs it alone), the load stays in WAL and the checkpointer copies it later, off the
    caller. Foreign keys are not checked row by row: the caller inserts rows that belong
    together (each customer's account, lots and cards come from the customer's own line)."""
    db.engine.dispose()  # the pool's idle connections would keep the WAL open
    with db.engine.connect() as conn:
        raw: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        for name, path in attach.items():
            raw.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
        alone = _rollback_journal(raw)
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
            if alone:
                try:
                    raw.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError as exc:  # the next connection sets it anyway
                    _log.info("the ledger stays in its rollback journal for now: %s", exc)
            for name in attach:
                raw.execute(f"DETACH DATABASE {name}")


def _rollback_journal(raw: sqlite3.Connection) -> bool:
    raw.execute("PRAGMA busy_timeout=200")
    try:
        mode = str(raw.execute("PRAGMA journal_mode=DELETE").fetchone()[0])
    except sqlite3.OperationalError:  # another connection has it open: stay in WAL
        mode = "wal"
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if mode != "delete":
        _log.info("the ledger is in use elsewhere: the load goes through the WAL")
        return False
    return True
