"""The sale's hot writes, compiled once and run on the transaction's own connection.

A durable sale is about a dozen INSERTs and UPDATEs; going through SQLAlchemy's execution
machinery costs several times what SQLite itself takes for each (docs/quality.md: a sale
commits in 3 ms at p99). A ``Prepared`` statement is a Core statement of ``storage.schema``
compiled once for SQLite with the columns it writes; each run converts the values through
the columns' own bind conversion (the one SQLAlchemy applies: amounts to hundredths,
moments to UTC text) and hands the tuple to the driver, inside the transaction
``Database.write()`` began. It only writes (and reads back what RETURNING names of plain
integer and text columns), so nothing stored is ever read past the typed tables. A
database error comes out as SQLAlchemy's own (``IntegrityError`` for a duplicate receipt
number), so callers and ``Database.write()`` handle it as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

_DIALECT = sqlite.dialect(paramstyle="qmark")


class Prepared:
    def __init__(self, statement: UpdateBase, keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=_DIALECT, column_keys=list(keys))
        self.sql = str(compiled)
        names = compiled.positiontup or []
        given = set(keys)
        # (the caller's key, or None for a constant of the statement itself such as the
        # 1 of "next_seq + 1"; the constant's stored form; the key's conversion)
        self._slots: list[tuple[str | None, Any, Callable[[Any], Any] | None]] = []
        for name in names:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            if name in given:
                self._slots.append((name, None, process))
            else:
                value = bind.effective_value
                self._slots.append((None, process(value) if process else value, None))

    def _values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for key, constant, process in self._slots:
            if key is None:
                out.append(constant)
                continue
            value = params[key]
            out.append(process(value) if process is not None and value is not None else value)
        return tuple(out)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """One row written; what RETURNING gives, if anything."""
        values = self._values(params)
        try:
            return _driver(conn).execute(self.sql, values).fetchone()  # type: ignore[no-any-return]
        except sqlite3.Error as exc:
            raise _as_sqlalchemy(self.sql, values, exc) from exc

    def run_many(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        values = [self._values(r) for r in rows]
        try:
            _driver(conn).executemany(self.sql, values)
        except sqlite3.Error as exc:
            raise _as_sqlalchemy(self.sql, values, exc) from exc


def _driver(conn: Connection) -> sqlite3.Connection:
    # The same DB-API connection SQLAlchemy began the transaction on (BEGIN IMMEDIATE).
    return conn.connection.driver_connection  # type: ignore[return-value]


def _as_sqlalchemy(sql: str, values: Sequence[Any], exc: sqlite3.Error) -> BaseException:
    return DBAPIError.instance(sql, values, exc, sqlite3.Error, hide_parameters=True)
