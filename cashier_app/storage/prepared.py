"""The sale's hot statements, compiled once and run on the transaction's own connection.

A durable sale is a handful of reads and about a dozen INSERTs and UPDATEs; going through
SQLAlchemy's execution machinery costs several times what SQLite itself takes for each
(docs/quality.md: a sale commits in 3 ms at p99). A ``Prepared`` write or a
``PreparedRead`` is a Core statement of ``storage.schema`` compiled once for SQLite; each
run converts the values through the columns' own conversions (the ones SQLAlchemy applies:
amounts to and from hundredths, moments to and from UTC text) and hands the tuple to the
driver, inside the transaction ``Database.write()`` or ``read()`` began. So nothing stored
is ever read past the typed columns: a read gives exactly what ``conn.execute`` of the
same statement gives (tests/test_prepared.py holds each hot statement to that). A database
error comes out as SQLAlchemy's own (``IntegrityError`` for a duplicate receipt number), so
callers and ``Database.write()`` handle it as before.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from cashier_app.storage.types import Scaled, UtcDateTime, bulk_converter

_DIALECT = sqlite.dialect(paramstyle="qmark")
Convert = Callable[[Any], Any]


class _Compiled:
    """A statement's SQL and, for each ``?``, the caller's key (or the statement's own
    constant, such as the 1 of "next_seq + 1") with its column's bind conversion."""

    def __init__(self, statement: UpdateBase | Select[Any], keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=_DIALECT, column_keys=list(keys))
        self.statement, self.compiled = statement, compiled
        self.sql = str(compiled)
        # The caller's: the columns it writes, and every bindparam() left without a value.
        given = set(keys) | {n for n, b in compiled.binds.items() if b.required}
        # (the caller's key, or None for a constant; the constant's stored form; conversion)
        self._slots: list[tuple[str | None, Any, Convert | None]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            process = _bind_converter(bind.type)
            if name in given:
                self._slots.append((name, None, process))
            else:
                value = bind.effective_value
                self._slots.append((None, process(value) if process else value, None))

        # The common case, faster: no constants, the values taken in one go and only the
        # slots with a conversion visited.
        self._simple = all(key is not None for key, _, _ in self._slots)
        self._keys = [key for key, _, _ in self._slots if key is not None]
        self._converting = [(i, p) for i, (_, _, p) in enumerate(self._slots) if p is not None]

    def _values(self, params: Mapping[str, Any]) -> list[Any]:
        if self._simple:
            out = [params[key] for key in self._keys]
            for i, convert in self._converting:
                if (value := out[i]) is not None:
                    out[i] = convert(value)
            return out
        out = []
        for key, constant, process in self._slots:
            if key is None:
                out.append(constant)
                continue
            value = params[key]
            out.append(process(value) if process is not None and value is not None else value)
        return out


class Prepared(_Compiled):
    """An INSERT or UPDATE; RETURNING may read back plain integer and text columns."""

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


class PreparedRead(_Compiled):
    """A SELECT whose rows come back as named tuples of the statement's column keys, each
    value through its column's result conversion."""

    def __init__(self, statement: Select[Any], keys: Sequence[str] = ()) -> None:
        super().__init__(statement, keys)
        columns = self.compiled._result_columns  # (key, name, objects, type) per column
        self._row: Any = namedtuple("Row", [c[0] for c in columns])  # type: ignore[misc]
        self._convert: list[Convert | None] = [_result_converter(c[3]) for c in columns]
        self._plain = all(c is None for c in self._convert)

    def all(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        return [self._typed(r) for r in self._cursor(conn, params).fetchall()]

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        row = self._cursor(conn, params).fetchone()
        return None if row is None else self._typed(row)

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        row = self.first(conn, params)
        return None if row is None else row[0]

    def _cursor(self, conn: Connection, params: Mapping[str, Any] | None) -> sqlite3.Cursor:
        values = self._values(params or {})
        try:
            return _driver(conn).execute(self.sql, values)
        except sqlite3.Error as exc:
            raise _as_sqlalchemy(self.sql, values, exc) from exc

    def _typed(self, raw: tuple[Any, ...]) -> Any:
        if self._plain:
            return self._row._make(raw)
        return self._row._make(
            v if fn is None or v is None else fn(v)
            for fn, v in zip(self._convert, raw, strict=True)
        )


def _bind_converter(column_type: Any) -> Convert | None:
    if isinstance(column_type, Scaled):
        # The type's own conversion, without SQLAlchemy's wrappers around it.
        scaled = column_type
        return lambda value: scaled.process_bind_param(value, _DIALECT)
    return bulk_converter(column_type, _DIALECT)


def _result_converter(column_type: Any) -> Convert | None:
    if isinstance(column_type, Scaled | UtcDateTime):
        # The type's own conversion, straight from the stored integer or text (which
        # UtcDateTime parses itself), without SQLAlchemy's wrappers around it.
        typed = column_type
        return lambda value: typed.process_result_value(value, _DIALECT)
    processor: Convert | None = column_type.dialect_impl(_DIALECT).result_processor(_DIALECT, None)
    return processor


def _driver(conn: Connection) -> sqlite3.Connection:
    # The same DB-API connection SQLAlchemy began the transaction on (BEGIN IMMEDIATE).
    return conn.connection.driver_connection  # type: ignore[return-value]


def _as_sqlalchemy(sql: str, values: Sequence[Any], exc: sqlite3.Error) -> BaseException:
    return DBAPIError.instance(sql, values, exc, sqlite3.Error, hide_parameters=True)
