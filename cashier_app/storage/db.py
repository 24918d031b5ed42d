"""The one place that opens the local database.

Every connection gets WAL with synchronous=FULL (WAL with NORMAL may lose the last commits
on power loss, and a committed sale must survive), foreign keys and a busy timeout. Write
transactions start with BEGIN IMMEDIATE: a deferred transaction that later upgrades to a
write fails at once with "database is locked" instead of waiting for busy_timeout.

A ledger on a read-only file, folder or file system is opened read-only: reading works,
``write()`` refuses with ``ledger_read_only``. SQLite finding the file damaged in use (what
``quick_check`` at opening cannot see) is refused as ``ledger_damaged``; nothing is written.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import QueuePool

from cashier_app.engine.errors import LoyaltyError
from cashier_app.storage import health

BUSY_TIMEOUT_MS = 5000
_log = logging.getLogger(__name__)


def _pragmas(
    busy_timeout_ms: int, read_only: bool = False
) -> Callable[[sqlite3.Connection, Any], None]:
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if not read_only:
            # No commit copies the WAL back into the file itself: every few dozen sales one
            # did, and the cashier waited for it (the sale's p99). _Checkpointer does it.
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.execute("PRAGMA cache_size=-32768")  # 32 MiB: hot indexes stay in memory
        cur.close()

    return on_connect


def _on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(
    path: Path | str,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    read_only: bool = False,
    immutable: bool = False,
) -> Engine:
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
    url = f"sqlite+pysqlite:///{path}"
    if read_only:
        extra = "&immutable=1" if immutable else ""
        url = f"sqlite+pysqlite:///file:{Path(path).resolve()}?mode=ro{extra}&uri=true"
    engine = create_engine(
        url, poolclass=QueuePool, pool_size=4, max_overflow=4, connect_args=connect_args
    )
    event.listen(engine, "connect", _pragmas(busy_timeout_ms, read_only))
    event.listen(engine, "begin", _on_begin)
    return engine


class _Checkpointer:
    """Copies the ledgers' WAL back into their files on a thread of its own (SQLite's
    PASSIVE checkpoint, which waits for no reader or writer) once a ledger has had
    ``EVERY`` commits, or one long one (a first pull's load), and then a moment without a
    commit (``IDLE``): between two customers, not while a sale commits beside it on the
    same disk. A ledger written without pause is checkpointed anyway after ``AT_MOST``
    commits. Durability is the WAL's, with synchronous=FULL, as before: this only keeps
    the WAL short without a sale waiting for it. The file is opened read-write, never
    created: a ledger moved aside (a restore) is not made again, empty, by a checkpoint."""

    EVERY = 40  # commits: about 1,000 WAL pages of sales, SQLite's own default
    LONG = 0.5  # seconds: a transaction this long wrote a lot
    IDLE = 0.15  # seconds
    AT_MOST = 1000

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Database] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def committed(self, db: Database, took: float) -> None:
        db._commits += 1
        db._last_commit = time.monotonic()
        many = db._commits - db._checkpointed >= self.EVERY
        if db._checkpoint_due or not (many or took >= self.LONG):
            return
        db._checkpoint_due = True
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="wal-checkpoint", daemon=True
                )
                self._thread.start()
        self._queue.put(db)

    def _run(self) -> None:
        while True:
            db = self._queue.get()
            while True:
                quiet = time.monotonic() - db._last_commit
                if quiet >= self.IDLE or db._commits - db._checkpointed >= self.AT_MOST:
                    break
                time.sleep(self.IDLE - quiet)
            done = db._commits
            try:
                uri = f"{db.path.resolve().as_uri()}?mode=rw"
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    conn.close()
            except (OSError, sqlite3.Error) as exc:
                # A ledger moved, closed or damaged meanwhile: its next open or write says so.
                _log.info("checkpoint of %s skipped: %s", db.path.name, exc)
            db._checkpointed = done
            db._checkpoint_due = False


_CHECKPOINTS = _Checkpointer()


class Database:
    """A ledger file: ``write()`` for one durable transaction, ``read()`` for a snapshot."""

    def __init__(
        self,
        path: Path | str,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        *,
        read_only: bool = False,
        immutable: bool = False,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.engine = make_engine(self.path, busy_timeout_ms, read_only, immutable)
        self._commits = 0  # write transactions committed (for _Checkpointer)
        self._checkpointed = 0
        self._checkpoint_due = False
        self._last_commit = 0.0

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction. A busy or full database refuses the operation with a
        clear message; the transaction is rolled back, so nothing is half-written."""
        if self.read_only:
            raise health.read_only(self.path)
        try:
            began = time.monotonic()
            with self.engine.connect() as conn, conn.begin():
                yield conn
            _CHECKPOINTS.committed(self, time.monotonic() - began)
        except OperationalError as exc:
            text = str(exc.orig).lower()
            if "locked" in text or "busy" in text:
                raise LoyaltyError(
                    "ledger_busy", "the ledger is busy with another operation; try again"
                ) from exc
            if "full" in text:
                raise LoyaltyError(
                    "ledger_disk_full", "the disk is full: the operation was not recorded"
                ) from exc
            self.refuse(exc)
            raise
        except DatabaseError as exc:
            self.refuse(exc)
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_begin="DEFERRED")
                with conn.begin():
                    yield conn
        except DatabaseError as exc:
            self.refuse(exc)
            raise

    def refuse(self, exc: DatabaseError) -> None:
        """SQLite's own errors as the ledger's refusals; anything else is a program error
        and goes on as it is."""
        text = str(exc.orig).lower()
        if "readonly" in text or "read-only" in text:
            raise health.read_only(self.path) from exc
        if any(w in text for w in ("malformed", "not a database", "corrupt", "disk i/o")):
            raise health.damaged(self.path, str(exc.orig)) from exc
        if "unable to open" in text:
            raise health.unavailable(self.path, str(exc.orig)) from exc

    def close(self) -> None:
        self.engine.dispose()
