"""Putting a backup in place of the ledger (``cashier-app restore``, and the window's
restore dialog when the ledger is damaged at start).

The backup is checked first: it passes quick_check, it is a ledger of THIS till (the same
device id as the ledger or, when that cannot be read, the marker file beside it), and its
schema is one this version knows. Then what would be lost is worked out: the till's events
numbered after the backup's last (device sequence), read from the ledger being replaced.
They are carried over into the restored ledger and applied again (service/carry_over.py),
so no sale is lost, sent or not. When they cannot all be read, the restore is refused with
the reason, unless the manager accepts losing them (``--accept-losing-unsent``, a second
confirmation in the window): the readable ones before the first gap are carried then, and
events the central server already holds come back to the till's balances at its next sync.

Nobody can log in to a damaged ledger, so the administrator's name and PIN are checked
against the backup's own staff. The replaced file is never deleted: it is renamed
``ledger.sqlite3.damaged-TIMESTAMP`` (``.replaced-`` when it was sound) beside the new one.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DatabaseError

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.service import carry_over, runs, users
from cashier_app.service.backups import Backup, describe
from cashier_app.service.ledger import Clock, system_clock
from cashier_app.service.ledger_file import DB_NAME, open_ledger
from cashier_app.service.users import Permission
from cashier_app.storage import backup as copy
from cashier_app.storage import health, migrate
from cashier_app.storage import schema as t
from cashier_app.storage.db import Database


@dataclass(frozen=True)
class Loss:
    """The operations recorded after the backup, as far as the current ledger tells."""

    since: datetime  # when the backup was made
    receipts: int  # sales among them
    other: int  # every other operation (returns, customers, adjustments, shifts)
    unsent: int  # of them not yet at the central server: carried over and sent
    unreadable: str  # why some cannot be read ("" when all were read)
    enrolled: bool

    @property
    def total(self) -> int:
        return self.receipts + self.other


@dataclass
class RestorePlan:
    backup: Backup
    data_dir: Path
    damaged: bool  # the current ledger fails its check (or is missing)
    loss: Loss
    carried: carry_over.Carried | None  # None: nothing readable to carry

    @property
    def refused_without_consent(self) -> bool:
        return bool(self.loss.unreadable)


@dataclass(frozen=True)
class Restored:
    ledger_path: Path
    kept_aside: tuple[Path, ...]
    carried: int  # events carried over
    unsent: int  # of them queued to be sent


def plan_restore(data_dir: Path, backup_file: Path) -> RestorePlan:
    """What restoring ``backup_file`` would do; reads only. Refuses a backup that is not
    sound, of another till, or newer than this version."""
    backup = describe(backup_file)
    if backup.problems:
        raise LoyaltyError(
            "backup_unusable",
            f"the backup {backup_file} cannot be used: {backup.problems[0]}; choose another",
        )
    if backup.revision not in migrate.known_revisions():
        raise LoyaltyError(
            "backup_too_new",
            f"the backup {backup_file} was made by a newer version of cashier-app "
            f"(schema {backup.revision}): restore it with that version",
        )
    path = data_dir / DB_NAME
    damaged = not path.is_file() or bool(copy.sound(path)) or _fails_full_check(path)
    device, carried, problem = _read_current(path, backup)
    if device is None:
        device = _marker_device(path)
    if device is None:
        problem = problem or "the till's device id cannot be read from the ledger or its marker"
    elif device != backup.device_id:
        raise LoyaltyError(
            "backup_other_till",
            f"the backup {backup_file.name} is of another till (device {backup.device_id}, "
            f"this till is {device}): it was not used; restore a backup of this till",
        )
    events = carried.events if carried else []
    sales = sum(1 for e in events if e["kind"] == EventKind.SALE)
    sent = {r["event_id"] for r in (carried.outbox if carried else []) if r["sent_at"]}
    loss = Loss(
        since=backup.taken_at,
        receipts=sales,
        other=len(events) - sales,
        unsent=sum(1 for e in events if e["id"] not in sent),
        unreadable=problem,
        enrolled=bool(carried and carried.rows.get("sync_state")),
    )
    return RestorePlan(backup, data_dir, damaged, loss, carried)


def _fails_full_check(path: Path) -> bool:
    return path.stat().st_size <= health.QUICK_CHECK_MAX_BYTES and bool(
        health.check(path, full=True, immutable=health.must_read_immutable(path))
    )


def _marker_device(path: Path) -> str | None:
    try:
        text = health.marker_path(path).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    return text[0] if text else None


def _read_current(path: Path, backup: Backup) -> tuple[str | None, carry_over.Carried | None, str]:
    """The current ledger's device, and the events after the backup with what they wrote;
    the third value says what could not be read."""
    if not path.is_file() or path.stat().st_size == 0:
        return None, None, ""
    try:
        db = Database(path, read_only=True, immutable=health.must_read_immutable(path))
    except DatabaseError as exc:
        return None, None, f"the ledger cannot be opened ({exc.orig})"
    device: dict[str, Any] | None = None
    try:
        with db.read() as conn:
            row = conn.execute(select(t.device)).first()
            device = dict(row._mapping) if row else None
            start = backup.next_seq or 1
            rows = conn.execute(
                select(t.events)
                .where(t.events.c.device_id == backup.device_id, t.events.c.device_seq >= start)
                .order_by(t.events.c.device_seq)
            ).all()
            events = [dict(r._mapping) for r in rows]
            gap = _first_gap(events, start, device["next_seq"] if device else None)
            if gap is not None:
                events = events[: gap - start]
            ids = {str(e["customer_id"]) for e in events if e["customer_id"]}
            known = _in_backup(backup.path, ids)
            carried = carry_over.read_carried(conn, events, known, backup.taken_at)
            carried.device = device
            carried.rows["sync_state"] = [
                dict(r._mapping) for r in conn.execute(select(t.sync_state))
            ]
    except (DatabaseError, LoyaltyError, ValueError, KeyError) as exc:
        why = exc.message if isinstance(exc, LoyaltyError) else str(getattr(exc, "orig", exc))
        return (
            (device or {}).get("device_id"),
            None,
            f"the operations since the backup cannot be read ({why})",
        )
    finally:
        db.close()
    problem = ""
    if gap is not None:
        problem = f"operation number {gap} and those after it cannot be read"
    return str(device["device_id"]) if device else None, carried, problem


def _first_gap(events: list[dict[str, Any]], start: int, end: int | None) -> int | None:
    """The first device sequence number from ``start`` that is not among ``events``
    (unreadable, or the device row says more were numbered); None when none is missing."""
    expected = start
    for e in events:
        if e["device_seq"] != expected:
            return expected
        expected += 1
    if end is not None and expected < end:
        return expected
    return None


def _in_backup(path: Path, customers: set[str]) -> set[str]:
    db = Database(path, read_only=True, immutable=True)
    try:
        with db.read() as conn:
            return set(
                conn.execute(
                    select(t.customers.c.id).where(t.customers.c.id.in_(customers))
                ).scalars()
            )
    finally:
        db.close()


def check_loss(plan: RestorePlan, accepted: bool) -> None:
    """Refuse a restore that would lose operations, unless the loss is accepted."""
    if plan.loss.unreadable and not accepted:
        raise LoyaltyError(
            "restore_would_lose",
            f"the restore was refused: {plan.loss.unreadable}, so operations recorded since "
            "the backup would be lost (those not yet sent to the central server for good); "
            "export what can be read with cashier-app salvage --output FOLDER, or accept "
            "the loss with --accept-losing-unsent",
        )


def restore_backup(
    data_dir: Path,
    backup_file: Path,
    *,
    name: str,
    pin: str,
    accept_losing_unsent: bool = False,
    clock: Clock = system_clock,
) -> Restored:
    """Put ``backup_file`` in place of the ledger in ``data_dir``, with the operations
    recorded since carried over; ``name`` and ``pin``: an administrator of the backup."""
    if busy := _runs_in_progress(data_dir):
        raise LoyaltyError(
            "ledger_in_use",
            f"the ledger in {data_dir} is in use ({busy} window or command still running): "
            "nothing was changed; close the till's window and wait for other commands, then "
            "restore",
        )
    plan = plan_restore(data_dir, backup_file)
    check_loss(plan, accept_losing_unsent)
    stamp = clock().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    staging = data_dir / f"restoring-{stamp}"
    staging.mkdir(mode=0o700)
    try:
        copy.copy_ledger(backup_file, staging / DB_NAME)
        health.write_marker(staging / DB_NAME, str(plan.backup.device_id))
        restored = open_ledger(staging, clock, backup_first=False)
        try:
            actor = users.login(restored, name, pin, via="restore")
            actor.require(Permission.RESTORE_BACKUP)
            carried = plan.carried
            with restored.db.write() as conn:
                if carried is not None and carried.events:
                    copied = {str(r["customer_id"]) for r in carried.accounts}
                    carry_over.apply_carried(restored, conn, carried, copied)
                restored.audit(
                    conn,
                    "restore_backup",
                    backup_file.name,
                    actor.name,
                    {
                        "backup_taken_at": plan.backup.taken_at,
                        "carried": len(carried.events) if carried else 0,
                        "not_read": plan.loss.unreadable,
                        "loss_accepted": bool(plan.loss.unreadable and accept_losing_unsent),
                    },
                    user_id=actor.id,
                )
        finally:
            restored.db.close()
        kept = _set_aside(data_dir / DB_NAME, "damaged" if plan.damaged else "replaced", stamp)
        (staging / DB_NAME).replace(data_dir / DB_NAME)
        health.keep_private(data_dir / DB_NAME)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    events = plan.carried.events if plan.carried else []
    return Restored(data_dir / DB_NAME, tuple(kept), len(events), plan.loss.unsent)


def _runs_in_progress(data_dir: Path) -> int:
    """How many windows or commands hold their run mark in this folder (service/runs.py):
    a ledger renamed under a running window would take its next sales into the old file."""
    busy = 0
    for mark in (data_dir / health.RUNS_FOLDER).glob("*.run"):
        try:
            with mark.open("r+", encoding="utf-8") as f:
                busy += not runs.try_lock(f)
        except OSError:
            continue
    return busy


def _set_aside(path: Path, why: str, stamp: str) -> list[Path]:
    """The replaced ledger and its write-ahead log, renamed beside it: never deleted."""
    moved = []
    for f in [path, *health.sidecars(path)]:
        if f.exists():
            target = f.with_name(f"{f.name}.{why}-{stamp}")
            with contextlib.suppress(FileNotFoundError):
                f.rename(target)
                moved.append(target)
    return moved
