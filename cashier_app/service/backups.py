"""Backups of the ledger: made on a schedule, by a manager, and before every migration;
kept with rotation in the folder the manager chose (a USB stick or a network folder).

A backup is ``ledger-YYYYMMDD-HHMMSS-REASON.sqlite3`` (the moment in UTC), made with
SQLite's online backup API while the till goes on selling (storage/backup.py). Rotation
keeps the newest ``backup_keep`` (14 by default: two weeks of daily copies) and, besides
them, the newest copy of each of the three months before, so a mistake noticed late still
has a copy from before it. Only files named like a backup are ever removed.

A missing or read-only folder (the stick pulled out) refuses with a clear message and the
ledger untouched; the failure is remembered for the status bar (service/settings.py).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import settings as s
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import backup as copy
from cashier_app.storage import health
from cashier_app.storage import schema as t
from cashier_app.storage.db import Database

Reason = Literal["scheduled", "manual", "before_migration"]
REASONS: tuple[Reason, ...] = ("scheduled", "manual", "before_migration")
NAME = re.compile(r"^ledger-(\d{8}-\d{6})(?:-(\d+))?-([a-z_]+)\.sqlite3$")
MONTHS_KEPT = 3
STALE_AFTER_PERIODS = 2  # the status bar warns when the last backup is older than this


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime
    reason: str
    size: int
    problems: tuple[str, ...] = ()  # empty: it passed quick_check
    device_id: str | None = None
    revision: str | None = None
    events: int | None = None  # how many of the till's events it holds
    next_seq: int | None = None  # the device sequence number its next event would take
    receipts: int | None = None

    @property
    def good(self) -> bool:
        return not self.problems and self.device_id is not None


def backup_name(at: datetime, reason: str, n: int = 1) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"ledger-{stamp}{'' if n == 1 else f'-{n}'}-{reason}.sqlite3"


def _target(folder: Path, at: datetime, reason: str) -> Path:
    n = 1
    while (target := folder / backup_name(at, reason, n)).exists():
        n += 1
    return target


def make_backup(
    ledger: Ledger, actor: Actor | None, folder: Path | None = None, reason: Reason = "manual"
) -> Backup:
    """Copy the ledger into ``folder`` (else the chosen one) and rotate that folder.
    ``actor`` None: the till's own schedule (no one to ask); else MAKE_BACKUP is needed."""
    if reason not in REASONS:
        raise ValueError(f"unknown backup reason {reason!r}")
    if actor is not None:
        actor.require(Permission.MAKE_BACKUP)
    config = s.backup_settings(ledger)
    target_folder = folder or config.folder
    if folder is None and not config.chosen:
        # The default folder beside the ledger is ours to make; a chosen one is never made
        # (a stick's mount point made on the local disk would take the backups unseen).
        target_folder.mkdir(mode=0o700, exist_ok=True)
    at = ledger.clock()
    target = _target(target_folder, at, reason)
    try:
        copy.copy_ledger(ledger.db.path, target)
    except LoyaltyError as exc:
        # A damaged ledger cannot remember why: the error still reaches the caller.
        with contextlib.suppress(LoyaltyError, DatabaseError), ledger.db.write() as conn:
            s.write(conn, s.LAST_BACKUP_ERROR, exc.message, at)
        raise
    made = describe(target)
    who = actor.name if actor else "system"
    with ledger.db.write() as conn:
        s.write(conn, s.LAST_BACKUP_AT, at.isoformat(), at)
        s.write(conn, s.LAST_BACKUP_ERROR, "", at)
        ledger.audit(
            conn,
            "make_backup",
            target.name,
            who,
            {"folder": str(target_folder), "reason": reason, "size": made.size},
            user_id=actor.id if actor else None,
        )
    rotate(target_folder, config.keep)
    return made


def backup_before_migration(db: Database, revision: str) -> Path:
    """The ledger as it is, before a newer version changes its schema: into the chosen
    folder, else (unset, missing or not writable, or settings older than the table) the
    default one beside the ledger. No copy at all refuses the upgrade: the ledger stays."""
    default = db.path.parent / "backups"
    chosen, keep = "", s.BACKUP_KEEP.default
    with contextlib.suppress(DatabaseError, LoyaltyError), db.read() as conn:
        chosen = s.read(conn, s.BACKUP_FOLDER) or ""
        keep = s.read_int(conn, s.BACKUP_KEEP)
    if chosen:
        target = _target(Path(chosen), datetime.now(UTC), "before_migration")
        with contextlib.suppress(LoyaltyError):  # a stick pulled out: beside the ledger
            copy.copy_ledger(db.path, target)
            rotate(target.parent, keep)
            return target
    default.mkdir(mode=0o700, exist_ok=True)
    target = _target(default, datetime.now(UTC), "before_migration")
    copy.copy_ledger(db.path, target)
    rotate(default, keep)
    return target


def rotate(folder: Path, keep: int) -> list[Path]:
    """Remove the backups beyond the newest ``keep`` and the newest of each of the last
    MONTHS_KEPT months before them; returns what was removed."""
    found = _named(folder)  # newest first
    kept = {p for p, _ in found[:keep]}
    months: set[tuple[int, int]] = {(at.year, at.month) for _, at in found[:keep]}
    older_months = 0
    for path, at in found[keep:]:
        month = (at.year, at.month)
        if month not in months and older_months < MONTHS_KEPT:
            months.add(month)
            older_months += 1
            kept.add(path)
    removed = []
    for path, _ in found:
        if path not in kept:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _named(folder: Path) -> list[tuple[Path, datetime]]:
    """The backups in ``folder`` by their names, newest first (two of one second by
    their number)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    out = []
    for path in entries:
        m = NAME.match(path.name)
        if m and path.is_file():
            at = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
            out.append((path, at, int(m.group(2) or 1)))
    out.sort(key=lambda b: (b[1], b[2]), reverse=True)
    return [(path, at) for path, at, _ in out]


def describe(path: Path) -> Backup:
    """A backup file: when, why, how big, whether it is sound, and what it holds."""
    m = NAME.match(path.name)
    try:
        size = path.stat().st_size
        taken = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        return Backup(path, datetime.now(UTC), "?", 0, (exc.strerror or str(exc),))
    if m:
        taken = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    reason = m.group(3) if m else "copied"
    problems = tuple(copy.sound(path))
    if problems:
        return Backup(path, taken, reason, size, problems)
    try:
        revision, tables = health.schema_of(path, immutable=True)
        if "device" not in tables or "events" not in tables:
            return Backup(path, taken, reason, size, ("it is not a cashier-app ledger",))
        db = Database(path, read_only=True, immutable=True)
        try:
            with db.read() as conn:
                device = conn.execute(select(t.device.c.device_id, t.device.c.next_seq)).first()
                events = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
                receipts = conn.execute(select(func.count()).select_from(t.receipts)).scalar_one()
        finally:
            db.close()
    except (LoyaltyError, DatabaseError) as exc:
        what = exc.message if isinstance(exc, LoyaltyError) else str(exc.orig)
        return Backup(path, taken, reason, size, (what,))
    if device is None:
        return Backup(path, taken, reason, size, ("it holds no till yet",))
    return Backup(
        path,
        taken,
        reason,
        size,
        (),
        str(device.device_id),
        revision,
        int(events),
        int(device.next_seq),
        int(receipts),
    )


def list_backups(folder: Path) -> list[Backup]:
    """The backups in ``folder``, newest first, each checked (quick_check)."""
    return [describe(p) for p, _ in _named(folder)]


def backups_of(ledger: Ledger) -> list[Backup]:
    return list_backups(s.backup_settings(ledger).folder)


def save_settings(
    ledger: Ledger,
    actor: Actor,
    *,
    folder: Path | None = None,
    every_hours: int | None = None,
    keep: int | None = None,
) -> s.BackupSettings:
    """Where backups go, how often and how many are kept. A folder must exist and be
    writable now (a copy is tried there later by the schedule, unattended)."""
    actor.require(Permission.MAKE_BACKUP)
    if every_hours is not None:
        s.check_int(s.BACKUP_EVERY_HOURS, every_hours)
    if keep is not None:
        s.check_int(s.BACKUP_KEEP, keep)
    if folder is not None:
        folder = folder.expanduser().absolute()
        if not folder.is_dir() or not _writable(folder):
            raise copy.folder_problem(folder)
    changed = {}
    with ledger.write(None) as (conn, at):
        if folder is not None:
            s.write(conn, s.BACKUP_FOLDER, str(folder), at)
            changed["folder"] = str(folder)
        if every_hours is not None:
            s.write(conn, s.BACKUP_EVERY_HOURS.key, str(every_hours), at)
            changed["every_hours"] = str(every_hours)
        if keep is not None:
            s.write(conn, s.BACKUP_KEEP.key, str(keep), at)
            changed["keep"] = str(keep)
        if changed:
            ledger.audit(conn, "backup_settings", "backups", actor.name, changed, user_id=actor.id)
    return s.backup_settings(ledger)


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def backup_due(ledger: Ledger, now: datetime | None = None) -> bool:
    config = s.backup_settings(ledger)
    now = now or ledger.clock()
    return config.last_at is None or now - config.last_at >= timedelta(hours=config.every_hours)


def run_scheduled(ledger: Ledger) -> Backup | None:
    """The schedule's tick: a backup when one is due (as the system), else nothing."""
    if not backup_due(ledger):
        return None
    return make_backup(ledger, None, reason="scheduled")


@dataclass(frozen=True)
class BackupHealth:
    last_at: datetime | None
    last_error: str
    stale: bool  # older than STALE_AFTER_PERIODS periods, or never made


def backup_health(ledger: Ledger, now: datetime | None = None) -> BackupHealth:
    config = s.backup_settings(ledger)
    now = now or ledger.clock()
    limit = timedelta(hours=config.every_hours * STALE_AFTER_PERIODS)
    stale = config.last_at is None or now - config.last_at > limit
    return BackupHealth(config.last_at, config.last_error, stale)


def folders_of(data_dir: Path) -> list[Path]:
    """Where a till's backups may be, read without opening its ledger for writing (it may
    be damaged): the chosen folder, if the ledger still says which, and the default."""
    from cashier_app.service.ledger_file import DB_NAME

    found = []
    path = data_dir / DB_NAME
    if path.is_file():
        with contextlib.suppress(DatabaseError, LoyaltyError, OSError):
            db = Database(path, read_only=True, immutable=health.must_read_immutable(path))
            try:
                with db.read() as conn:
                    chosen = s.read(conn, s.BACKUP_FOLDER)
            finally:
                db.close()
            if chosen:
                found.append(Path(chosen))
    found.append(data_dir / "backups")
    return found


def of_till(data_dir: Path, device_id: str | None = None) -> list[Backup]:
    """Every backup of this till (``device_id``, else the marker's) in the folders it may
    be in, newest first; those that are not sound too (a damaged copy says so)."""
    from cashier_app.service.ledger_file import DB_NAME

    if device_id is None:
        with contextlib.suppress(OSError, UnicodeDecodeError, IndexError):
            device_id = health.marker_path(data_dir / DB_NAME).read_text("utf-8").split()[0]
    found = {b.path.resolve(): b for f in folders_of(data_dir) for b in list_backups(f)}
    mine = [b for b in found.values() if device_id is None or b.device_id in (None, device_id)]
    return sorted(mine, key=lambda b: b.taken_at, reverse=True)


def newest_good(data_dir: Path, device_id: str | None = None) -> Backup | None:
    """The newest sound backup of this till in the folders it may be in; the copies are
    checked newest first, up to the first good one (each check reads the whole copy)."""
    from cashier_app.service.ledger_file import DB_NAME

    if device_id is None:
        with contextlib.suppress(OSError, UnicodeDecodeError, IndexError):
            device_id = health.marker_path(data_dir / DB_NAME).read_text("utf-8").split()[0]
    named = [b for f in folders_of(data_dir) for b in _named(f)]
    for path, _ in sorted(named, key=lambda b: b[1], reverse=True):
        made = describe(path)
        if made.good and (device_id is None or made.device_id == device_id):
            return made
    return None
