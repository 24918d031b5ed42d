"""A new till's first pull from the server's snapshot, page by page, instead of the whole
change feed.

A network of a million customers is two million feed changes; a till that has none of
them yet takes the server's snapshot instead (docs/sync.md: the first pull): the program,
the catalogue, the staff and every customer with their account, in pages of customers in
id order, each consistent with a feed cursor of its own. The pages go into a staging file
beside the ledger (storage/staged_pull.py) as they come, so a broken download goes on
after the last page stored; when the last page is in, everything moves into the ledger in
one write transaction with the EARLIEST page's cursor, and the feed pulled after it brings
every change made while the pages were read (each feed change is a customer's or an
account's whole state, so one a later page already had is applied again harmlessly).

How the rows go in (converted once while staging, indexes and the name index built once
at the end, written into the ledger file once) is storage's (storage/bulk.py,
storage/staged_pull.py); this module reads the snapshot's format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date
from decimal import InvalidOperation
from typing import Any

import orjson
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from cashier_app.engine.anonymise import is_anonymised_phone
from cashier_app.engine.protocol import SNAPSHOT_FORMAT, SNAPSHOT_PAGE
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.storage.bulk import BulkLoad, stored_rows, written_once
from cashier_app.storage.staged_pull import (
    FILE_NAME,
    StagedPull,
    StagedRowRefused,
    StagingFailed,
    discard,
)
from cashier_app.sync.apply import _HANDLERS
from cashier_app.sync.client import SyncClient, SyncError

FORMAT = SNAPSHOT_FORMAT  # the lines' layout: engine/protocol.py SNAPSHOT_*
PAGE = SNAPSHOT_PAGE  # customers a page asks for (the server allows up to SNAPSHOT_PAGE_MAX)
log = logging.getLogger(__name__)
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

# The staged tables, in the order they are moved into the ledger.
TABLES = {
    "customers": CUSTOMER_COLUMNS,
    "accounts": ACCOUNT_COLUMNS,
    "lots": LOT_COLUMNS,
    "cards": CARD_COLUMNS,
}
LOADED = tuple(TABLES)  # the ledger tables the load sets its indexes aside for


def wants_snapshot(ledger: Ledger) -> bool:
    """A till that has pulled nothing yet and knows no customer: a snapshot is all gain."""
    with ledger.db.read() as conn:
        return _untouched(conn)


def _untouched(conn: Connection) -> bool:
    """Nothing pulled and no customer of its own: what a snapshot may be loaded into."""
    cursor = conn.execute(select(t.sync_state.c.cursor)).scalar_one()
    return cursor == 0 and conn.execute(select(t.customers.c.id).limit(1)).first() is None


def load_snapshot(
    ledger: Ledger,
    client: SyncClient,
    progress: Callable[[int], None] | None = None,
    *,
    limit: int | None = None,
) -> int:
    """Download the snapshot page by page into the staging file (going on after the last
    page a broken download stored there), then move it into the ledger in one write
    transaction and store the earliest page's cursor; returns the number of customers.
    Raises SyncError when a page is malformed or the download breaks: the ledger is
    unchanged, and the pages stored so far wait for the next sync. Returns 0, leaving the
    feed to do it all, when the ledger got customers of its own meanwhile."""
    staged = StagedPull.open(ledger.db.path.parent, _identity(ledger), TABLES)
    try:
        # A download that had stored its last page asks once more, for an empty page.
        try:
            _download(ledger, client, staged, progress, limit or PAGE)
        except StagingFailed as exc:  # the staging file failed us: it is not kept
            staged.close()
            discard(staged.path)
            raise SyncError(f"the first pull's staging file failed: {exc}") from exc
        records = staged.records()
        staged.close()
        count = _move(ledger, staged, records)
    except BaseException:
        staged.close()
        raise
    discard(staged.path)
    return count


def abandon_staged(ledger: Ledger) -> None:
    """A till that no longer wants the snapshot (it has customers, or the server serves
    none) has no use for a half-downloaded one."""
    path = ledger.db.path.parent / FILE_NAME
    if path.exists():
        log.info("first pull: staging file %s discarded, the feed does the pull", path)
        discard(path)


def _identity(ledger: Ledger) -> dict[str, str]:
    """What the staged pages must have been downloaded for: this server, this enrolment
    of this till, this format."""
    with ledger.db.read() as conn:
        row = conn.execute(select(t.sync_state.c.server_url, t.sync_state.c.device_id)).one()
    return {"server": str(row.server_url), "device": str(row.device_id), "format": str(FORMAT)}


def _download(
    ledger: Ledger,
    client: SyncClient,
    staged: StagedPull,
    progress: Callable[[int], None] | None,
    limit: int,
) -> None:
    # The next page is asked for as soon as this one's header names its last customer, so
    # the server reads it while the till checks and stores this one.
    fetcher = ThreadPoolExecutor(1, thread_name_prefix="snapshot-page")
    after = staged.staged.last
    coming = fetcher.submit(client.snapshot_page, after, limit)
    try:
        while True:
            lines = coming.result()
            header = _header(lines, after)
            if header["more"]:
                coming = fetcher.submit(client.snapshot_page, header["last"], limit)
            _Page(ledger, staged, header, after).take(lines)
            if progress:
                progress(staged.staged.customers)
            if not header["more"]:
                return
            after = header["last"]
    finally:
        coming.cancel()
        fetcher.shutdown(wait=False, cancel_futures=True)


def _header(lines: list[bytes], after: str) -> dict[str, Any]:
    try:
        if not lines:
            raise ValueError("the page is empty")
        header = _object(orjson.loads(lines[0]))
        if header.get("format") != FORMAT:
            raise ValueError(f"snapshot format {header.get('format')!r}, this till reads {FORMAT}")
        cursor = header["cursor"]
        if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0:
            raise ValueError("the cursor is not a count")
        count = header["customers"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError("the number of customers is not a count")
        if header["after"] != after:
            raise ValueError(f"the page is after {header['after']!r}, not {after!r}")
        if not isinstance(header["more"], bool):
            raise TypeError("more is not true or false")
        last = header["last"]
        if (last is None) != (count == 0) or (last is not None and not isinstance(last, str)):
            raise ValueError("the last customer does not match the count")
        if header["more"] and (last is None or last <= after):
            raise ValueError("more follows, but not after a later customer")
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError(f"the server's snapshot is malformed at line 1: {exc}") from exc
    return header


class _Page:
    """One page's lines checked and turned into the ledger's rows, then staged."""

    def __init__(
        self, ledger: Ledger, staged: StagedPull, header: dict[str, Any], after: str
    ) -> None:
        self.ledger, self.staged, self.header, self.after = ledger, staged, header, after
        # In the form the ledger stores moments, like the snapshot's: no conversion at all.
        now = ledger.clock().astimezone(UTC).replace(tzinfo=None)
        self.now_text = now.isoformat(" ", "microseconds")
        self.records: list[tuple[str, str, str]] = []
        self.customers: list[tuple[int, list[Any]]] = []

    def take(self, lines: list[bytes]) -> None:
        self.number: int | None = 1
        try:
            customers, records = self.customers, self.records
            for self.number, line in enumerate(lines[1:], start=2):
                if not line:
                    continue
                item = orjson.loads(line)
                kind = item[0]
                if kind == "customer":
                    customers.append((self.number, item))
                elif kind in ("program", "product", "user"):
                    records.append((kind, str(item[1]), orjson.dumps(_object(item[2])).decode()))
                # other kinds: from a newer server; skipped, as in the feed
            self.number = None  # what follows is about the page as a whole
            count, said = len(self.customers), self.header["customers"]
            if count != said:
                raise ValueError(f"{count} customers came, the header says {said}")
            rows = self._rows()
            self.staged.stage(
                self.header["cursor"], self.header["last"] or self.after, self.records, rows, count
            )
        except (KeyError, IndexError, TypeError, ValueError, InvalidOperation) as exc:
            where = "" if self.number is None else f" at line {self.number}"
            raise SyncError(
                f"the server's snapshot is malformed{where} of the page after {self.after!r}: {exc}"
            ) from exc

    def _rows(self) -> dict[str, Iterator[tuple[Any, ...]]]:
        customers, accounts, lots, cards = [], [], [], []
        now = self.now_text
        previous = self.after
        for number, line in self.customers:
            self.number = number
            _, cid, phone, name, birthday, group, registered, numbers, account, its_lots = line
            if not isinstance(cid, str) or not 8 <= len(cid) <= 36:
                raise ValueError("a customer id is missing")
            if cid <= previous:  # keyset order: each page after the last, in id order
                raise ValueError(f"customer {cid} is out of order")
            previous = cid
            if not isinstance(phone, str):
                raise ValueError(f"customer {cid} has no phone")
            # An anonymised customer (engine/anonymise.py): the line does not say when, so
            # the moment this till learnt it.
            erased = not phone.startswith("+")
            if erased and not is_anonymised_phone(phone):
                raise ValueError(f"customer {cid} has no phone")
            registered = registered or now
            customers.append(
                (
                    cid,
                    phone,
                    "" if erased else phone[-4:],
                    str(name or ""),
                    date.fromisoformat(birthday) if birthday else None,
                    group,
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
        self.number = None  # what follows is about the page as a whole
        if self.header["last"] is not None and previous != self.header["last"]:
            raise ValueError(
                f"the last customer is {previous}, the header says {self.header['last']}"
            )
        # Within one page the server's data is one moment's: a phone, card or lot twice is
        # the page's fault (between pages it is a change, see StagedPull.move_into).
        for what, keys in (("phone", customers), ("card", cards), ("lot", lots)):
            if len({k[0 if what != "phone" else 1] for k in keys}) != len(keys):
                raise ValueError(f"the same {what} twice in one page")
        dialect = self.ledger.db.engine.dialect
        return {
            # Checked and converted here, column by column; put into rows as they are staged.
            table.name: stored_rows(table, columns, rows, _PYTHON_TYPES, dialect)
            for table, columns, rows in (
                (t.customers, CUSTOMER_COLUMNS, customers),
                (t.accounts, ACCOUNT_COLUMNS, accounts),
                (t.lots, LOT_COLUMNS, lots),
                (t.cards, CARD_COLUMNS, cards),
            )
        }


def _move(ledger: Ledger, staged: StagedPull, records: list[tuple[str, str, str]]) -> int:
    """Every staged page into the ledger in one write transaction, with the earliest
    page's cursor: the ledger never shows half a network."""
    try:
        with written_once(ledger.db, {"staged": staged.path}) as conn:
            if not _untouched(conn):
                log.info("first pull: the ledger has customers of its own now; the feed does it")
                return 0
            for kind, key, document in records:  # the program first, as the server sent it
                _HANDLERS[kind](ledger, conn, key, _object(orjson.loads(document)))
            default = conn.execute(
                select(t.customer_groups.c.id).where(t.customer_groups.c.is_default)
            ).scalar()
            bulk = BulkLoad(conn, LOADED)
            bulk.begin()
            try:
                staged.move_into(conn, bulk, default)
                bulk.finish()
            finally:
                bulk.close()
            conn.execute(
                update(t.sync_state)
                .where(t.sync_state.c.id == 1)
                .values(cursor=staged.staged.cursor or 0)
            )
    except (StagedRowRefused, IntegrityError, KeyError, TypeError, ValueError) as exc:
        discard(staged.path)  # the same rows would fail again: download afresh next time
        raise SyncError(f"the server's snapshot is malformed: {exc}") from exc
    except (StagingFailed, DBAPIError) as exc:
        text = str(getattr(exc, "orig", exc)).lower()
        if not any(word in text for word in ("locked", "busy", "full")):
            discard(staged.path)  # e.g. a staging file damaged on disk: never trusted again
        # else the ledger busy, or the disk full: the pages wait for the next sync
        raise SyncError(f"the first pull could not be stored in the ledger: {exc}") from exc
    return staged.staged.customers


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
