"""A new till's first pull from one snapshot download instead of the whole change feed.

A network of a million customers is two million feed changes; a till that has none of
them yet takes the server's snapshot instead (docs/sync.md: the first pull): the program, the
catalogue, the staff and every customer with their account, then the feed after the
snapshot's cursor. Everything, cursor included, is written in one local transaction: a
broken download or a malformed line changes nothing and the next sync starts again.

The rows go in with the driver's ``executemany`` and the column types' own converters, and
the name index is rebuilt once at the end rather than row by row (a trigger that indexes
each inserted name cost more than everything else together).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date
from decimal import InvalidOperation
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select, update

from cashier_app.engine.protocol import SNAPSHOT_FORMAT
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.storage.types import Scaled, bulk_converter
from cashier_app.sync.apply import _HANDLERS
from cashier_app.sync.client import SyncError

BATCH = 5000
NAME_TRIGGER = "customer_names_ai"
FORMAT = SNAPSHOT_FORMAT  # the lines' layout: engine/protocol.py SNAPSHOT_*
LOAD_CACHE_KIB = -524288  # 512 MiB, for the length of a first pull
LOADED = ("customers", "accounts", "lots", "cards")
CUSTOMER_COLUMNS = (
    "id",
    "phone",
    "phone_last4",
    "name",
    "birthday",
    "group_id",
    "registered_at",
    "event_id",
)
CARD_COLUMNS = ("number", "customer_id", "issued_at")
# In the order of a snapshot's account and lot arrays (protocol SNAPSHOT_ACCOUNT and
# SNAPSHOT_LOT, with the ids put first).
ACCOUNT_COLUMNS = (
    "customer_id",
    "balance",
    "pending",
    "debt",
    "tier_basis",
    "last_purchase_at",
    "sales_count",
    "sales_net_total",
    "winback_stage",
    "birthday_year_done",
    "next_due_at",
    "updated_at",
)
LOT_COLUMNS = (
    "id",
    "customer_id",
    "kind",
    "points",
    "remaining",
    "credited_at",
    "available_at",
    "expires_at",
    "receipt_id",
    "origin_lot_id",
    "settled",
    "warned",
)


def wants_snapshot(ledger: Ledger) -> bool:
    """A till that has pulled nothing yet and knows no customer: a snapshot is all gain."""
    with ledger.db.read() as conn:
        cursor = conn.execute(select(t.sync_state.c.cursor)).scalar_one()
        anyone = conn.execute(select(t.customers.c.id).limit(1)).first()
    return cursor == 0 and anyone is None


def load_snapshot(
    ledger: Ledger, lines: Iterator[bytes], progress: Callable[[int], None] | None = None
) -> int:
    """Load a snapshot's lines; returns the number of customers. Raises SyncError (and
    writes nothing) when the snapshot is malformed or the download breaks."""
    number = 1
    try:
        header = orjson.loads(next(lines))
        cursor = header["cursor"]
        if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0:
            raise ValueError("the cursor is not a count")
        expected = header["customers"]
        if header.get("format") != FORMAT:
            raise ValueError(f"snapshot format {header.get('format')!r}, this till reads {FORMAT}")
        with ledger.db.write() as conn:
            loader = _Loader(ledger, conn, progress)
            try:
                for number, line in enumerate(lines, start=2):  # noqa: B007 (in errors)
                    if line:
                        loader.take(orjson.loads(line))
                loader.finish()
            finally:
                loader.close()
            if loader.count != expected:
                raise ValueError(f"{loader.count} customers came, the header says {expected}")
            conn.execute(update(t.sync_state).where(t.sync_state.c.id == 1).values(cursor=cursor))
    except StopIteration:
        raise SyncError("the server's snapshot is empty") from None
    except (
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        InvalidOperation,
        sqlite3.IntegrityError,  # e.g. one phone twice
    ) as exc:
        raise SyncError(f"the server's snapshot is malformed at line {number}: {exc}") from exc
    return loader.count


class _Loader:
    def __init__(
        self, ledger: Ledger, conn: Connection, progress: Callable[[int], None] | None
    ) -> None:
        self.ledger, self.conn, self.progress = ledger, conn, progress
        self.raw: Any = conn.connection.driver_connection
        self.batch: list[list[Any]] = []
        self.count = 0
        # As the server's ISO text: the moment converter's shortest path.
        self.now_text = ledger.clock().astimezone(UTC).isoformat(timespec="microseconds")
        self.trigger: str | None = None
        self.indexes: list[tuple[str, str]] = []
        self.cache: int | None = None
        self.groups: set[str] = set()
        self.default_group: str | None = None

    def take(self, item: list[Any]) -> None:
        kind = item[0]
        if kind == "customer":
            if self.trigger is None:
                self._start_customers()
            self.batch.append(item)
            if len(self.batch) >= BATCH:
                self._flush()
        elif kind == "program":
            _HANDLERS["program"](self.ledger, self.conn, str(item[1]), _object(item[2]))
        elif kind in ("product", "user"):
            _HANDLERS[kind](self.ledger, self.conn, str(item[1]), _object(item[2]))
        # other kinds: from a newer server; skipped, as in the feed

    def _start_customers(self) -> None:
        # The program came first, so its groups are known now.
        rows = self.conn.execute(select(t.customer_groups.c.id, t.customer_groups.c.is_default))
        for group_id, is_default in rows:
            self.groups.add(group_id)
            if is_default:
                self.default_group = group_id
        self.trigger = self.raw.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (NAME_TRIGGER,)
        ).fetchone()[0]
        self.raw.execute(f"DROP TRIGGER {NAME_TRIGGER}")
        # A larger page cache for the load: a million customers' tables do not fit the
        # everyday 32 MiB, and pages spilled to the log mid-transaction are written twice.
        self.cache = int(self.raw.execute("PRAGMA cache_size").fetchone()[0])
        self.raw.execute(f"PRAGMA cache_size={LOAD_CACHE_KIB}")
        # Secondary indexes are built once at the end, from sorted data, instead of being
        # updated row by row (constraints' own indexes stay: they have no SQL to drop).
        self.indexes = self.raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' for _ in LOADED)})",
            LOADED,
        ).fetchall()
        for name, _ in self.indexes:
            self.raw.execute(f'DROP INDEX "{name}"')

    def _flush(self) -> None:
        customers, accounts, lots, cards = [], [], [], []
        now = self.now_text
        for line in self.batch:
            _, cid, phone, name, birthday, group, registered, numbers, account, its_lots = line
            if not isinstance(cid, str) or not 8 <= len(cid) <= 36:
                raise ValueError("a customer id is missing")
            if not isinstance(phone, str) or not phone.startswith("+"):
                raise ValueError(f"customer {cid} has no phone")
            registered = registered or now
            customers.append(
                (
                    cid,
                    phone,
                    phone[-4:],
                    str(name or ""),
                    date.fromisoformat(birthday) if birthday else None,
                    group if group in self.groups else self.default_group,
                    registered,
                    "server",
                )
            )
            if account is None:  # registered, not replayed yet: its account change follows
                accounts.append((cid, 0, 0, 0, 0, None, 0, 0, 0, None, now, registered))
            else:
                accounts.append((cid, *account[:9], now, account[9] or now))
            lots += [(lot[0], cid, *lot[1:]) for lot in its_lots]
            cards += [(str(n), cid, now) for n in numbers]
        self._insert(t.customers, CUSTOMER_COLUMNS, customers)
        self._insert(t.accounts, ACCOUNT_COLUMNS, accounts)
        self._insert(t.lots, LOT_COLUMNS, lots)
        self._insert(t.cards, CARD_COLUMNS, cards)
        self.count += len(self.batch)
        self.batch = []
        if self.progress:
            self.progress(self.count)

    def _insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        dialect = self.conn.dialect
        convert = [_converter(table, n, dialect) for n in columns]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        # Column by column (map and zip run in C): per-value Python was half the load.
        values = [
            column if fn is None else list(map(fn, column))
            for fn, column in zip(convert, zip(*rows, strict=True), strict=True)
        ]
        self.raw.executemany(sql, zip(*values, strict=True))

    def close(self) -> None:
        """Give the connection its everyday page cache back, whether the load finished or
        failed."""
        if self.cache is not None:
            self.raw.execute(f"PRAGMA cache_size={self.cache}")

    def finish(self) -> None:
        if self.batch:
            self._flush()
        if self.trigger is not None:
            self.raw.execute("INSERT INTO customer_names(customer_names) VALUES ('rebuild')")
            self.raw.execute(self.trigger)
            for _, sql in self.indexes:
                self.raw.execute(sql)


def _converter(table: Table, name: str, dialect: Any) -> Callable[[Any], Any]:
    """How a snapshot value of this column is stored: amounts as they come (the server
    converted them to hundredths, once), everything else through the column type's own
    converter."""
    column_type = table.c[name].type
    if not isinstance(column_type, Scaled):
        return _checked(table, name, dialect)
    if column_type.scale != 2:  # e.g. a quantity, in thousandths: not what the server sends
        raise TypeError(f"{table.name}.{name} is not kept in hundredths")
    return _hundredths


def _hundredths(value: Any) -> int:
    # Amounts come as integers of hundredths, which is how the ledger stores them.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"an amount is not a whole number of hundredths: {value!r}")
    return value


def _checked(table: Table, name: str, dialect: Any) -> Callable[[Any], Any]:
    convert = bulk_converter(table.c[name].type, dialect)
    python_type = _PYTHON_TYPES.get(name)

    def check(value: Any) -> Any:
        if value is not None and python_type is not None and not isinstance(value, python_type):
            raise TypeError(f"{table.name}.{name} is not {python_type.__name__}: {value!r}")
        return convert(value) if convert is not None else value

    return check


# What the JSON of a snapshot must hold for columns that are not amounts: text and whole
# numbers are checked here, moments by their converter (which parses them).
_PYTHON_TYPES: dict[str, type] = {
    "id": str,
    "phone": str,
    "name": str,
    "group_id": str,
    "event_id": str,
    "customer_id": str,
    "kind": str,
    "receipt_id": str,
    "origin_lot_id": str,
    "number": str,
    "sales_count": int,
    "winback_stage": int,
    "birthday_year_done": int,
    "settled": bool,
    "warned": bool,
}


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected an object")
    return value
