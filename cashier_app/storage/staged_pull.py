"""A first pull's pages on their way into the ledger: a SQLite file of their own beside the
ledger, so a broken download goes on from the last page it stored, and the ledger gets
every customer at once or none (docs/sync.md: the first pull).

The file is a cache, thrown away whenever in doubt: made private (0600, like the ledger's
other files), never synced to disk (a power cut may cost it; a damaged file is discarded
and the pull starts again), and trusted only for the snapshot it was made for (the same
server, the same enrolment of this till, the same format). Rows are kept as the ledger
stores them, each with the number of the page it came in, so the move into the ledger is
one ``INSERT … SELECT`` per table (``move_into``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from cashier_app.storage.bulk import BulkLoad

FILE_NAME = "first-pull.sqlite3"
# What the staging file's driver raises, named here so the sync layer need not know it:
# a row that breaks a constraint (the snapshot's fault), and anything else (the file's).
StagedRowRefused = sqlite3.IntegrityError
StagingFailed = sqlite3.Error
LAYOUT = "1"  # this file's own tables; a file of another layout is discarded
_log = logging.getLogger(__name__)


@dataclass
class Staged:
    """What the file holds so far: the earliest page's feed cursor, the last customer id
    stored ("" before the first page), how many pages and customers."""

    cursor: int | None = None
    last: str = ""
    pages: int = 0
    customers: int = 0


class StagedPull:
    """``open`` (a new file, or the one left by a broken download of the same snapshot),
    ``stage`` each page, ``move_into`` the ledger at the end, ``discard`` when done."""

    def __init__(
        self, path: Path, conn: sqlite3.Connection, tables: Mapping[str, tuple[str, ...]]
    ) -> None:
        self.path, self.conn, self.tables = path, conn, tables
        self.staged = Staged()

    @classmethod
    def open(
        cls, folder: Path, identity: Mapping[str, str], tables: Mapping[str, tuple[str, ...]]
    ) -> StagedPull:
        """The staging file in ``folder`` for the snapshot ``identity`` names, with
        ``tables`` (the ledger's table names and the columns staged): the one a broken
        download left when it was made for the same snapshot, else a new one. Any other
        file there (another server or enrolment, another format, damaged) is discarded
        with a log line, never trusted."""
        path = folder / FILE_NAME
        wanted = {"layout": LAYOUT, **identity}
        if path.exists():
            try:
                found = cls._existing(path, wanted, tables)
                if found is not None:
                    return found
            except (sqlite3.Error, ValueError, TypeError, KeyError) as exc:
                _log.warning("first pull: staging file %s discarded, damaged (%s)", path, exc)
            discard(path)
        return cls._new(path, wanted, tables)

    @classmethod
    def _existing(
        cls, path: Path, wanted: Mapping[str, str], tables: Mapping[str, tuple[str, ...]]
    ) -> StagedPull | None:
        conn = _connect(path)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            other = {k: (meta.get(k), v) for k, v in wanted.items() if meta.get(k) != v}
            if other:
                _log.warning(
                    "first pull: staging file %s discarded, made for another snapshot (%s)",
                    path,
                    ", ".join(f"{k} {was!r}, not {now!r}" for k, (was, now) in other.items()),
                )
                conn.close()
                return None
            staged = cls(path, conn, tables)
            pages = int(meta["pages"])
            with conn:  # a page is one transaction: this is only a file a crash damaged
                for table in [*tables, "records"]:
                    conn.execute(f"DELETE FROM {table} WHERE page > ?", (pages,))
            staged.staged = Staged(
                int(meta["cursor"]) if meta.get("cursor") is not None else None,
                str(meta["last"]),
                pages,
                int(meta["customers"]),
            )
            return staged
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _new(
        cls, path: Path, wanted: Mapping[str, str], tables: Mapping[str, tuple[str, ...]]
    ) -> StagedPull:
        # Made private before SQLite writes a byte (its journal takes the file's mode).
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        conn = _connect(path)
        with conn:
            conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
            conn.execute("CREATE TABLE records (page INTEGER, kind TEXT, key TEXT, document TEXT)")
            for table, columns in tables.items():
                conn.execute(f"CREATE TABLE {table} (page INTEGER, {', '.join(columns)})")
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [*wanted.items(), ("cursor", None), ("last", ""), ("pages", 0), ("customers", 0)],
            )
        return cls(path, conn, tables)

    def stage(
        self,
        cursor: int,
        last: str,
        records: Iterable[tuple[str, str, str]],
        rows: Mapping[str, Iterable[tuple[Any, ...]]],
        customers: int,
    ) -> None:
        """One page in one transaction: its records (kind, key, document as JSON text),
        its rows per table (in the columns ``open`` named, as the ledger stores them), the
        feed cursor it is consistent with and its last customer id."""
        page = self.staged.pages + 1
        earliest = cursor if self.staged.cursor is None else min(self.staged.cursor, cursor)
        with self.conn:
            self.conn.executemany(
                "INSERT INTO records (page, kind, key, document) VALUES (?, ?, ?, ?)",
                ((page, *r) for r in records),
            )
            for table, its_rows in rows.items():
                columns = self.tables[table]
                self.conn.executemany(  # the page as a literal: no tuple made again per row
                    f"INSERT INTO {table} VALUES ({page:d}, {', '.join('?' for _ in columns)})",
                    its_rows,
                )
            self.conn.executemany(
                "UPDATE meta SET value = ? WHERE key = ?",
                [
                    (earliest, "cursor"),
                    (last, "last"),
                    (page, "pages"),
                    (self.staged.customers + customers, "customers"),
                ],
            )
        self.staged = Staged(earliest, last, page, self.staged.customers + customers)

    def records(self) -> list[tuple[str, str, str]]:
        return [
            (str(k), str(key), str(doc))
            for k, key, doc in self.conn.execute(
                "SELECT kind, key, document FROM records ORDER BY rowid"
            )
        ]

    def close(self) -> None:
        self.conn.close()

    def move_into(self, conn: Connection, bulk: BulkLoad, default_group: str | None) -> None:
        """Every staged row into the ledger, inside the caller's transaction (``conn`` has
        this file attached as ``staged``, and ``bulk`` has set the ledger's indexes aside).

        Pages were read at different moments: a customer who changed phone between two
        pages (erased, or merged into another registration of the same phone) can hold in
        an earlier page a phone, card or lot that a later page gives another customer.
        The later page is the newer word, and the feed pulled afterwards brings the earlier
        one's change: so on a clash the earlier page's holder gives the phone up (an
        unfindable placeholder until the feed's change arrives) and its card or lot is
        dropped. Checking for clashes costs a pass over every table, so it is done only
        when the insert has met one."""
        raw: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        raw.execute("SAVEPOINT staged_rows")
        try:
            self._insert(raw, default_group)
        except sqlite3.IntegrityError as exc:
            _log.info("first pull: rows changed between pages (%s); the later page wins", exc)
            raw.execute("ROLLBACK TO staged_rows")
            self._later_page_wins(raw)
            self._insert(raw, default_group)
        raw.execute("RELEASE staged_rows")

    def _insert(self, raw: sqlite3.Connection, default_group: str | None) -> None:
        for table, columns in self.tables.items():
            chosen = [
                "CASE WHEN group_id IN (SELECT id FROM main.customer_groups) THEN group_id "
                "ELSE :default END"
                if table == "customers" and c == "group_id"
                else c
                for c in columns
            ]
            raw.execute(
                f"INSERT INTO main.{table} ({', '.join(columns)}) "
                f"SELECT {', '.join(chosen)} FROM staged.{table} ORDER BY rowid",
                {"default": default_group},
            )

    def _later_page_wins(self, raw: sqlite3.Connection) -> None:
        for table, key in (("customers", "phone"), ("cards", "number"), ("lots", "id")):
            raw.execute(f"CREATE INDEX IF NOT EXISTS staged.{table}_{key} ON {table} ({key})")
        raw.execute(
            "UPDATE staged.customers SET phone = 'stale:' || id, phone_last4 = '' "
            "WHERE rowid IN (SELECT c.rowid FROM staged.customers c "
            "JOIN staged.customers d ON d.phone = c.phone AND d.page > c.page)"
        )
        for table, key in (("cards", "number"), ("lots", "id")):
            raw.execute(
                f"DELETE FROM staged.{table} WHERE rowid IN (SELECT c.rowid "
                f"FROM staged.{table} c JOIN staged.{table} d "
                f"ON d.{key} = c.{key} AND d.page > c.page)"
            )


def discard(path: Path) -> None:
    """The staging file and its journal gone (absent already: nothing to do)."""
    for item in (path, path.with_name(path.name + "-journal")):
        try:
            item.unlink()
        except FileNotFoundError:
            continue


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.isolation_level = "DEFERRED"  # ``with conn``: one transaction per page
    # A cache: no fsync; the journal (kept, not remade per page) lets a page that fails
    # half-way, or a process killed in the middle of one, leave the earlier pages whole.
    conn.execute("PRAGMA journal_mode=PERSIST")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-65536")
    return conn
