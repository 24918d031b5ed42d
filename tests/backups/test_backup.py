"""Backups: consistent while the till sells, private, checked, rotated, refused plainly
when the folder is gone, made before every migration; the settings they follow."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import backups
from cashier_app.service.consistency import check_accounts
from cashier_app.service.ledger import Ledger
from cashier_app.storage import migrate
from cashier_app.storage import schema as t
from cashier_app.storage.db import Database
from tests.backups.conftest import LATTE, Till


def receipts_in(path: Path) -> int:
    db = Database(path, read_only=True)
    try:
        with db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.receipts)).scalar_one())
    finally:
        db.close()


def test_a_backup_made_while_another_thread_sells_holds_whole_sales_only(till: Till):
    selling, enough = threading.Event(), threading.Event()
    sold = []

    def sell() -> None:
        while not enough.is_set() and len(sold) < 2000:
            sold.append(service.record_sale(till.ledger, LATTE, customer_id=till.anna))
            selling.set()
            # A busy till still leaves the ledger a moment between two receipts; without
            # it, on a loaded machine the backup's own write waits past busy_timeout.
            time.sleep(0.005)

    seller = threading.Thread(target=sell)
    seller.start()
    selling.wait(10)
    made = [backups.make_backup(till.ledger, till.manager) for _ in range(4)]
    enough.set()
    seller.join()
    made.append(backups.make_backup(till.ledger, till.manager))
    counts = [b.receipts for b in made]
    assert counts == sorted(counts) and len(set(counts)) > 2  # taken as the sales went on
    for b in made:
        assert b.good, b.problems
        # Every receipt with its event, every event counted once: a whole snapshot.
        assert b.receipts == b.events - 1  # the customer's registration and the sales
        db = Database(b.path, read_only=True, immutable=True)
        try:
            report = check_accounts(Ledger(db))
        finally:
            db.close()
        assert report.problems == []
    assert made[-1].receipts == len(sold) + 1


def test_a_backup_is_private_checked_and_named_by_moment_and_reason(till: Till, clock):
    made = backups.make_backup(till.ledger, till.manager)
    assert made.path.parent == till.folder / "backups"
    assert made.path.name == "ledger-20260302-060500-manual.sqlite3"  # 09:05 in Moscow
    assert made.good and made.device_id is not None
    if os.name == "posix":
        assert made.path.stat().st_mode & 0o777 == 0o600
    assert not list(made.path.parent.glob("*.partial"))
    health = backups.backup_health(till.ledger)
    assert health.last_at == clock.now and not health.stale and health.last_error == ""


def test_rotation_keeps_the_newest_and_one_of_each_of_three_months_before(tmp_path: Path):
    start = datetime(2026, 1, 10, tzinfo=UTC)
    names = []
    for day in range(0, 120, 5):  # every five days from January to early May
        name = backups.backup_name(start + timedelta(days=day), "scheduled")
        (tmp_path / name).write_bytes(b"x")
        names.append(name)
    (tmp_path / "notes.txt").write_text("not a backup")
    backups.rotate(tmp_path, keep=4)
    left = sorted(p.name for p in tmp_path.iterdir())
    newest = sorted(names)[-4:]  # 24 Apr .. 9 May
    assert set(newest) <= set(left)
    # and the newest of March, February and January (April is among the newest already)
    older = sorted(set(left) - set(newest) - {"notes.txt"})
    assert [n[7:13] for n in older] == ["202601", "202602", "202603"]
    assert "notes.txt" in left


def test_a_pulled_out_stick_refuses_the_backup_and_leaves_the_ledger_as_it_was(
    till: Till, tmp_path: Path
):
    stick = tmp_path / "stick"
    stick.mkdir()
    backups.save_settings(till.ledger, till.manager, folder=stick)
    stick.rmdir()  # pulled out
    with pytest.raises(LoyaltyError) as refused:
        backups.make_backup(till.ledger, till.manager)
    assert refused.value.code == "backup_folder_unavailable"
    assert "stick" in refused.value.message
    assert not stick.exists()  # never made on the local disk in its place
    assert receipts_in(till.path) == 1
    health = backups.backup_health(till.ledger)
    assert health.stale and "cannot be written" in health.last_error
    # A file where the folder should be: the same refusal.
    with pytest.raises(LoyaltyError, match="cannot be written"):
        (tmp_path / "file").write_text("x")
        backups.make_backup(till.ledger, till.manager, folder=tmp_path / "file")


def test_a_cashier_may_not_make_a_backup_nor_change_where_they_go(till: Till, tmp_path: Path):
    with pytest.raises(LoyaltyError) as refused:
        backups.make_backup(till.ledger, till.cashier)
    assert refused.value.code == "not_allowed"
    with pytest.raises(LoyaltyError, match="may not"):
        backups.save_settings(till.ledger, till.cashier, keep=5)
    assert not (till.folder / "backups").exists()


def test_settings_are_checked_and_audited(till: Till, tmp_path: Path):
    with pytest.raises(LoyaltyError) as bad:
        backups.save_settings(till.ledger, till.manager, keep=1)
    assert bad.value.code == "invalid_setting"
    with pytest.raises(LoyaltyError):
        backups.save_settings(till.ledger, till.manager, folder=tmp_path / "nowhere")
    saved = backups.save_settings(
        till.ledger, till.manager, folder=tmp_path, every_hours=12, keep=30
    )
    assert (saved.folder, saved.every_hours, saved.keep, saved.chosen) == (tmp_path, 12, 30, True)
    with till.ledger.db.read() as conn:
        actions = list(conn.execute(select(t.audit_log.c.action, t.audit_log.c.actor)))
    assert ("backup_settings", "Мария") in actions


def test_the_schedule_makes_a_backup_when_one_is_due(till: Till, clock):
    assert backups.run_scheduled(till.ledger) is not None  # never made: due
    assert backups.run_scheduled(till.ledger) is None
    clock.now += timedelta(hours=24)
    made = backups.run_scheduled(till.ledger)
    assert made is not None and made.reason == "scheduled"
    clock.now += timedelta(hours=49)
    assert backups.backup_health(till.ledger).stale  # older than two periods


def test_a_damaged_copy_is_listed_as_not_usable(till: Till):
    made = backups.make_backup(till.ledger, till.manager)
    broken = made.path.with_name(backups.backup_name(datetime(2026, 3, 3, tzinfo=UTC), "manual"))
    shutil.copy(made.path, broken)
    os.truncate(broken, broken.stat().st_size // 2 + 100)
    listed = backups.list_backups(made.path.parent)
    assert [b.path for b in listed] == [broken, made.path]
    assert not listed[0].good and "truncated" in listed[0].problems[0]
    assert listed[1].good and listed[1].receipts == 1


def test_a_ledger_at_an_older_schema_is_backed_up_before_it_is_upgraded(tmp_path: Path):
    folder = tmp_path / "till"
    folder.mkdir()
    db = Database(folder / "ledger.sqlite3")
    migrate.upgrade(db, "0004")
    with db.write() as conn:
        conn.execute(
            t.device.insert().values(
                id=1,
                device_id="till-at-0004",
                name="Till 1",
                next_seq=1,
                card_prefix="0042",
                next_card=1,
                next_receipt=1,
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
        )
    db.close()

    upgraded = service.open_ledger(folder)
    upgraded.db.close()
    (copy,) = (folder / "backups").iterdir()
    assert copy.name.endswith("-before_migration.sqlite3")
    made = backups.describe(copy)
    assert made.good and made.revision == "0004" and made.device_id == "till-at-0004"
    db = Database(folder / "ledger.sqlite3")
    try:
        assert migrate.current_revision(db) == migrate.head_revision() != "0004"
    finally:
        db.close()
    # Opened again at head: no more copies.
    service.open_ledger(folder).db.close()
    assert len(list((folder / "backups").iterdir())) == 1


def test_the_migration_backup_goes_beside_the_ledger_when_the_chosen_stick_is_gone(
    till: Till, tmp_path: Path
):
    stick = tmp_path / "stick"
    stick.mkdir()
    backups.save_settings(till.ledger, till.manager, folder=stick)
    stick.rmdir()
    made = backups.backup_before_migration(till.ledger.db, "0006")
    assert made.parent == till.folder / "backups" and backups.describe(made).good
