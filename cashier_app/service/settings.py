"""This workstation's own settings (the ``local_settings`` table): declared once here, with
their type, default and limits, and never sent to the central server (docs/sync.md: the
ledger's events are the shop's, these are the till's).

A stored value that no longer reads as its type (edited by hand) counts as the default, so
a bad setting never stops the till; writing one checks it and refuses with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t


@dataclass(frozen=True)
class IntSetting:
    key: str
    default: int
    low: int
    high: int
    what: str  # for the refusal: "hours between backups"


BACKUP_FOLDER = "backup_folder"  # text; empty: <data dir>/backups
BACKUP_EVERY_HOURS = IntSetting("backup_every_hours", 24, 1, 24 * 7, "hours between backups")
BACKUP_KEEP = IntSetting("backup_keep", 14, 2, 365, "backups to keep")
LAST_BACKUP_AT = "backup_last_at"  # ISO moment of the last good backup
LAST_BACKUP_ERROR = "backup_last_error"  # why the last attempt failed; empty when it worked


def read(conn: Connection, key: str) -> str | None:
    return conn.execute(
        select(t.local_settings.c.value).where(t.local_settings.c.key == key)
    ).scalar()


def write(conn: Connection, key: str, value: str, at: datetime) -> None:
    stmt = insert(t.local_settings).values(key=key, value=value, updated_at=at)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": at})
    )


def read_int(conn: Connection, setting: IntSetting) -> int:
    raw = read(conn, setting.key)
    try:
        value = int(raw) if raw is not None else setting.default
    except ValueError:
        return setting.default
    return value if setting.low <= value <= setting.high else setting.default


def check_int(setting: IntSetting, value: int) -> int:
    if not setting.low <= value <= setting.high:
        raise LoyaltyError(
            "invalid_setting",
            f"{setting.what} is a whole number from {setting.low} to {setting.high}",
            setting=setting.key,
        )
    return value


def read_moment(conn: Connection, key: str) -> datetime | None:
    raw = read(conn, key)
    try:
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@dataclass(frozen=True)
class BackupSettings:
    folder: Path
    chosen: bool  # False: the default folder beside the ledger
    every_hours: int
    keep: int
    last_at: datetime | None
    last_error: str


def default_backup_folder(ledger: Ledger) -> Path:
    return ledger.db.path.parent / "backups"


def backup_settings(ledger: Ledger) -> BackupSettings:
    with ledger.db.read() as conn:
        folder = read(conn, BACKUP_FOLDER) or ""
        return BackupSettings(
            folder=Path(folder) if folder else default_backup_folder(ledger),
            chosen=bool(folder),
            every_hours=read_int(conn, BACKUP_EVERY_HOURS),
            keep=read_int(conn, BACKUP_KEEP),
            last_at=read_moment(conn, LAST_BACKUP_AT),
            last_error=read(conn, LAST_BACKUP_ERROR) or "",
        )


def record_workstation_change(
    ledger: Ledger, actor: Actor, what: str, changes: dict[str, object]
) -> None:
    """A setting kept outside the ledger (the barcode scanner's, in the workstation's own
    settings) still leaves its line in the audit log: who changed what, to what."""
    actor.require(Permission.IMPORT_CATALOGUE)  # the manager's screen, as on the command line
    if not changes:
        return
    with ledger.write(None) as (conn, _):
        ledger.audit(conn, "settings_changed", what, actor.name, changes, user_id=actor.id)
