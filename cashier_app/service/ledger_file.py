"""Opening a store's ledger: the file is created and migrated on first use.

Nothing is written before the file is known sound (storage/health.py): a damaged ledger,
one written by a newer version of the app, or a lost one in a folder that held a till are
refused with a LoyaltyError naming the file and the way out. A ledger that can only be read
(a read-only file, folder or file system) opens for reading; every write is refused.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import DatabaseError

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Clock, Ledger, system_clock
from cashier_app.storage import health, migrate
from cashier_app.storage import schema as t
from cashier_app.storage.db import Database

DB_NAME = "ledger.sqlite3"


def open_ledger(
    data_dir: Path,
    clock: Clock = system_clock,
    device_name: str = "Till 1",
    *,
    new_till: bool = False,
    for_writing: bool = False,
    backup_first: bool = True,
    must_exist: bool = False,
) -> Ledger:
    """The ledger in ``data_dir``, made there when the folder never held one. ``new_till``
    (``cashier-app init``): a missing or empty ledger where one was is started afresh, its
    remains kept aside, instead of refused. ``for_writing``: a ledger that can only be read
    is refused (``ledger_read_only``) instead of opened for reading. ``backup_first``: a
    ledger at an older schema is backed up before it is upgraded (off only for a restore's
    own copy of a backup). ``must_exist`` (every command but ``init`` and ``demo``): a
    folder that never held a ledger is refused (``no_ledger``), nothing made in it, not
    even the folder: a mistyped ``--data-dir`` must not start a new till."""
    path = data_dir / DB_NAME
    if must_exist and not new_till and not _held_a_ledger(data_dir, path):
        raise LoyaltyError(
            "no_ledger",
            f"no ledger in {data_dir}: create one with cashier-app init, or check --data-dir",
            path=str(path),
        )
    found = health.inspect(data_dir, path, new_till=new_till)
    if found.writable:
        health.keep_private(path)  # the folder first: the ledger is made inside it
    db = Database(path, read_only=not found.writable, immutable=found.immutable)
    try:
        _prepare(db, found, backup_first)
    except BaseException:
        db.close()
        raise
    ledger = Ledger(db, clock)
    if not found.writable:
        if for_writing:  # the window records sales: refused now, not at the first sale
            db.close()
            raise health.read_only(path)
        return ledger
    ledger.ensure_device(device_name)
    with db.read() as conn:
        device_id = conn.execute(t.device.select()).one().device_id
    health.write_marker(path, device_id)
    health.keep_private(path)
    return ledger


def _held_a_ledger(data_dir: Path, path: Path) -> bool:
    """The ledger file is there, or signs that it was (its marker, the runs' folder): a
    lost ledger is then refused by health.inspect with the way back, not as never made."""
    if data_dir.exists() and not data_dir.is_dir():
        return True  # a file named as the folder: health.inspect says so
    if not data_dir.is_dir():
        return False
    return (
        path.exists()
        or health.marker_path(path).exists()
        or (data_dir / health.RUNS_FOLDER).is_dir()
    )


def _prepare(db: Database, found: health.Found, backup_first: bool = True) -> None:
    """Refuse a schema this version does not know, then bring the schema to head."""
    revision = found.revision
    if revision is not None and revision not in migrate.known_revisions():
        raise LoyaltyError(
            "ledger_too_new",
            f"the ledger {db.path} has schema revision {revision}, which this version of "
            "cashier-app does not know (a newer version wrote it): it was not used; run "
            "that newer version, or restore the last good copy of the file",
            path=str(db.path),
        )
    if not found.writable:
        if revision != migrate.head_revision() or "device" not in found.tables:
            raise health.read_only(db.path, "it needs an upgrade, which writes to it")
        with db.read() as conn:
            if conn.execute(t.device.select()).first() is None:
                raise health.read_only(db.path, "it has no device yet, which writes to it")
        return
    if backup_first and revision is not None and revision != migrate.head_revision():
        # A copy at the old revision first: a migration that goes wrong, or a newer version
        # the shop goes back from, leaves the ledger as it was (service/backups.py).
        from cashier_app.service.backups import backup_before_migration

        backup_before_migration(db, revision)
    try:
        migrate.upgrade(db)
    except DatabaseError as exc:
        db.refuse(exc)
        raise
