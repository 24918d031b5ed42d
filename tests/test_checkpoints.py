"""The WAL is copied back into the ledger between customers, on a thread of its own, not
by the sale that happens to cross SQLite's threshold (that sale waited for it: every few
dozen sales one was several times slower). A ledger moved aside meanwhile is never made
again, empty, by a checkpoint."""

from __future__ import annotations

import time

from cashier_app import service
from tests.shop import samosale_program


def _register(ledger, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        service.register_customer(ledger, f"+7916{n:07d}")


def test_the_wal_is_checkpointed_once_the_till_is_quiet(tmp_path):
    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program())
    _register(ledger, 45)
    db = ledger.db
    deadline = time.monotonic() + 5
    while db._checkpoint_due or db._checkpointed == 0:
        assert time.monotonic() < deadline, "no checkpoint after 40 commits and a pause"
        time.sleep(0.05)
    with db.read() as conn:  # SQLite confirms: every frame of the WAL is in the file
        busy, frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    assert busy == 0 and frames == copied


def test_a_ledger_moved_aside_is_not_made_again_by_a_checkpoint(tmp_path):
    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program())
    _register(ledger, 39)
    _register(ledger, 1, start=39)  # the 40th commit: a checkpoint falls due
    path = ledger.db.path
    aside = path.with_name("ledger.sqlite3.replaced")
    ledger.db.close()
    path.rename(aside)
    time.sleep(0.6)
    assert not path.exists()
    assert aside.exists()
