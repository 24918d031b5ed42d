"""A new till's first pull from one snapshot download instead of the whole change feed.

A network of a million customers is two million feed changes; a till that has none of
them yet takes the server's snapshot instead (docs/sync.md: the first pull): the program, the
catalogue, the staff and every customer with their account, then the feed after the
snapshot's cursor. Everything, cursor included, is written in one local transaction: a
broken download or a malformed line changes nothing and the next sync starts again.

How the rows go in (the driver's ``executemany``, indexes and the name index built once at
the end) is storage's (storage/bulk.py); this module reads the snapshot's format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date
from decimal import InvalidOperation
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select, update

from cashier_app.engine.anonymise import is_anonymised_phone
from cashier_app.engine.protocol import SNAPSHOT_FORMAT
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.storage.bulk import BulkLoad
from cashier_app.sync.apply import _HANDLERS
from cashier_app.sync.client import SyncError

BATCH = 5000
FORMAT = SNAPSHOT_FORMAT  # the lines' layout: engine/protocol.py SNAPSHOT_*
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
    "anonymised_at",
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
    ) as exc:
        raise SyncError(f"the server's snapshot is malformed at line {number}: {exc}") from exc
    return loader.count


class _Loader:
    def __init__(
        self, ledger: Ledger, conn: Connection, progress: Callable[[int], None] | None
    ) -> None:
        self.ledger, self.conn, self.progress = ledger, conn, progress
        self.bulk = BulkLoad(conn, LOADED)
        self.batch: list[list[Any]] = []
        self.count = 0
        # As the server's ISO text: the moment converter's shortest path.
        self.now_text = ledger.clock().astimezone(UTC).isoformat(timespec="microseconds")
        self.started = False
        self.groups: set[str] = set()
        self.default_group: str | None = None

    def take(self, item: list[Any]) -> None:
        kind = item[0]
        if kind == "customer":
            if not self.started:
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
        self.bulk.begin()
        self.started = True

    def _flush(self) -> None:
        customers, accounts, lots, cards = [], [], [], []
        now = self.now_text
        for line in self.batch:
            _, cid, phone, name, birthday, group, registered, numbers, account, its_lots = line
            if not isinstance(cid, str) or not 8 <= len(cid) <= 36:
                raise ValueError("a customer id is missing")
            if not isinstance(phone, str) or not (
                phone.startswith("+") or is_anonymised_phone(phone)
            ):
                raise ValueError(f"customer {cid} has no phone")
            registered = registered or now
            # An anonymised customer (engine/anonymise.py): the line does not say when, so
            # the moment this till learnt it.
            erased = is_anonymised_phone(phone)
            customers.append(
                (
                    cid,
                    phone,
                    "" if erased else phone[-4:],
                    str(name or ""),
                    date.fromisoformat(birthday) if birthday else None,
                    group if group in self.groups else self.default_group,
                    registered,
                    "server",
                    now if erased else None,
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
        self.bulk.insert(table, columns, rows, _PYTHON_TYPES)

    def close(self) -> None:
        """Give the connection its everyday page cache back, whether the load finished or
        failed."""
        self.bulk.close()

    def finish(self) -> None:
        if self.batch:
            self._flush()
        self.bulk.finish()


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
