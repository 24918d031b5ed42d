"""Did the last run stop cleanly? After a power cut, a crash or a killed command, a sale
may be recorded although the cashier never saw "recorded" (the commit came, the answer
did not): ringing it again would count it twice. So every run of the window or the
command line marks itself in the ledger's folder while it works, and the next run that
finds a mark left behind says so, with the last receipt this till recorded.

A run's mark is a small file it holds an exclusive lock on. The operating system drops
the lock when the process ends in any way (a kill, a crash, a power cut and reboot), so
a mark whose lock can be taken belongs to a run that did not stop cleanly; a process id
alone would be reused after a reboot.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import IO

from sqlalchemy import select

from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.storage.health import RUNS_FOLDER


@dataclass(frozen=True, slots=True)
class LastReceipt:
    number: str
    at: datetime
    total: Decimal  # before discounts
    paid: Decimal  # in money, after discounts and points
    customer: str | None  # name, or None for an anonymous sale


@dataclass(frozen=True, slots=True)
class UncleanStop:
    """A run that stopped without closing, and what this till recorded last."""

    started_at: datetime
    last_receipt: LastReceipt | None  # None: this till has recorded no receipt yet

    @property
    def receipt_is_from_that_run(self) -> bool:
        return self.last_receipt is not None and self.last_receipt.at >= self.started_at


def describe(stop: UncleanStop, tz: tzinfo) -> str:
    """The warning, in plain words, for the command line (the window words its own)."""

    def clock(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")

    started = clock(stop.started_at)
    head = f"the run started {started} did not stop cleanly (a power cut, crash or kill)"
    receipt = stop.last_receipt
    if receipt is None:
        return f"{head}; this till has recorded no receipt."
    who = f", {receipt.customer}" if receipt.customer else ""
    what = f"receipt {receipt.number} at {clock(receipt.at)}, paid {receipt.paid}{who}"
    if not stop.receipt_is_from_that_run:
        return f"{head}; it recorded no receipt (the last one is {what})."
    return (
        f"{head}. The last receipt it recorded is {what}: check it before ringing that sale again."
    )


class Run:
    """This process's mark; ``close`` removes it (a clean stop)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, exist_ok=True)
        self.path = folder / f"{uuid.uuid4().hex}.run"
        self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        _lock(self._file)
        self._file.write(datetime.now(UTC).isoformat())
        self._file.flush()

    def close(self) -> None:
        if self._file is None:
            return
        self._file.close()
        self._file = None
        self.path.unlink(missing_ok=True)


def begin_run(ledger: Ledger) -> tuple[Run | None, list[UncleanStop]]:
    """Mark this run, and gather the marks of runs that stopped without closing (removing
    them: each is reported once). A folder that cannot be written (a read-only ledger)
    gets no mark and reports nothing."""
    folder = ledger.db.path.parent / RUNS_FOLDER
    stops = []
    for started in _abandoned(folder):
        stops.append(UncleanStop(started, last_receipt(ledger)))
    try:
        run = Run(folder)
    except OSError:
        return None, stops
    return run, sorted(stops, key=lambda s: s.started_at)


def last_receipt(ledger: Ledger) -> LastReceipt | None:
    """The last receipt this till recorded (not one another till's sync brought)."""
    r, e, c = t.receipts, t.events, t.customers
    with ledger.db.read() as conn:
        device = conn.execute(select(t.device.c.device_id)).scalar()
        row = conn.execute(
            select(r.c.number, r.c.at, r.c.total, r.c.paid, c.c.name)
            .join(e, e.c.id == r.c.event_id)
            .outerjoin(c, c.c.id == r.c.customer_id)
            .where(e.c.device_id == device)
            .order_by(e.c.device_seq.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    return LastReceipt(row.number, row.at, row.total, row.paid, row.name)


def _abandoned(folder: Path) -> list[datetime]:
    if not folder.is_dir():
        return []
    found = []
    for mark in folder.glob("*.run"):
        try:
            with mark.open("r+", encoding="utf-8") as f:
                if not _try_lock(f):
                    continue  # a run that is still working (another window or command)
                text = f.read().strip()
            mark.unlink(missing_ok=True)
        except OSError:
            continue
        try:
            started = datetime.fromisoformat(text)
        except ValueError:
            # Cut off before its start was written, which a run does before it opens the
            # ledger for anything: it recorded nothing, and naming an older receipt as its
            # own would tell the cashier a sale went through that did not.
            continue
        found.append(started if started.tzinfo else started.replace(tzinfo=UTC))
    return found


if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def _lock(f: IO[str]) -> None:
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)

    def _try_lock(f: IO[str]) -> bool:
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _lock(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _try_lock(f: IO[str]) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


def try_lock(f: IO[str]) -> bool:
    """Whether a run mark's lock can be taken: False while its run is still working (a
    restore refuses to replace a ledger a window still writes to, service/restore.py)."""
    return _try_lock(f)
