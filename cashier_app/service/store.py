"""Opening a store's ledger: the file is created and migrated on first use."""

from __future__ import annotations

from pathlib import Path

from cashier_app.service.ledger import Clock, Ledger, system_clock
from cashier_app.storage import migrate
from cashier_app.storage.db import Database

DB_NAME = "ledger.sqlite3"


def open_ledger(data_dir: Path, clock: Clock = system_clock, device_name: str = "Till 1") -> Ledger:
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(data_dir / DB_NAME)
    migrate.upgrade(db)
    ledger = Ledger(db, clock)
    ledger.ensure_device(device_name)
    return ledger
