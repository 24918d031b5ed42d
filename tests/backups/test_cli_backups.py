"""The command line: backup, backups, backup-settings, restore; and status or any other
command on a damaged ledger naming the newest good backup and the restore command."""

from __future__ import annotations

from pathlib import Path

import pytest

from cashier_app import service
from cashier_app.cli import main
from cashier_app.service.consistency import check_accounts
from cashier_app.sync import outbox
from tests.backups.conftest import ADMIN_PIN, LATTE, Till, break_table


def run(capsys, folder: Path, *argv: str) -> tuple[int, str]:
    code = main(["--data-dir", str(folder), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_manager_backs_up_lists_and_sets_where_backups_go(
    till: Till, capsys, monkeypatch, tmp_path
):
    till.ledger.db.close()
    monkeypatch.setenv("CASHIER_APP_PIN", "333333")
    code, said = run(capsys, till.folder, "--as", "Мария", "backup")
    assert code == 0 and "checked, ok" in said
    stick = tmp_path / "stick"
    stick.mkdir()
    code, said = run(capsys, till.folder, "--as", "Мария", "backup", "--to", str(stick))
    assert code == 0 and str(stick) in said
    code, said = run(
        capsys,
        till.folder,
        "--as",
        "Мария",
        "backup-settings",
        "--folder",
        str(stick),
        "--every-hours",
        "12",
        "--keep",
        "10",
    )
    assert code == 0
    assert f"folder       {stick}" in said and "every        12 hour(s)" in said
    code, said = run(capsys, till.folder, "backups")
    assert code == 0 and "backups in" in said and "good" in said and "1 receipt(s)" in said
    code, said = run(capsys, till.folder, "--as", "Мария", "backup-settings", "--keep", "1")
    assert code == 2 and "[invalid_setting]" in said


def test_a_cashier_is_refused_a_backup(till: Till, capsys, monkeypatch):
    till.ledger.db.close()
    monkeypatch.setenv("CASHIER_APP_PIN", "1111")
    code, said = run(capsys, till.folder, "--as", "Анна", "backup")
    assert code == 2 and "[not_allowed]" in said


def test_status_on_a_corrupt_ledger_names_the_backup_and_restore_brings_the_sales_back(
    till: Till, capsys, monkeypatch
):
    monkeypatch.setenv("CASHIER_APP_PIN", ADMIN_PIN)
    code, _ = run(capsys, till.folder, "--as", "Admin", "backup")
    assert code == 0
    service.record_sale(till.ledger, LATTE, customer_id=till.anna)
    till.ledger.db.close()
    break_table(till.path, "audit_log")

    for command in (["status"], ["check"], ["find", "+79001234567"]):
        code, said = run(capsys, till.folder, *command)
        assert code != 0 and "Traceback" not in said
        assert "damaged" in said and "the newest good backup is" in said
        assert "restore" in said and "manual.sqlite3" in said
    (backup,) = (till.folder / "backups").iterdir()

    code, said = run(capsys, till.folder, "--as", "Admin", "restore", str(backup))
    assert code == 2 and "--yes" in said  # no terminal to ask on: nothing changed
    code, said = run(capsys, till.folder, "--as", "Admin", "restore", str(backup), "--yes")
    assert code == 0, said
    assert "1 receipt(s) and 0 other operation(s)" in said and "kept aside" in said
    code, said = run(capsys, till.folder, "check", "--accounts")
    assert code == 0 and "accounts: ok" in said
    ledger = service.open_ledger(till.folder)
    try:
        assert outbox.queued_count(ledger) == 3  # the registration and both sales
        assert check_accounts(ledger).problems == []
    finally:
        ledger.db.close()


def test_restore_refuses_when_the_sales_since_cannot_be_read(till: Till, capsys, monkeypatch):
    monkeypatch.setenv("CASHIER_APP_PIN", ADMIN_PIN)
    run(capsys, till.folder, "--as", "Admin", "backup")
    service.record_sale(till.ledger, LATTE, customer_id=till.anna)
    till.ledger.db.close()
    break_table(till.path, "events")
    (backup,) = (till.folder / "backups").iterdir()
    code, said = run(capsys, till.folder, "--as", "Admin", "restore", str(backup), "--yes")
    assert code == 2 and "[restore_would_lose]" in said and "cannot be read" in said
    code, said = run(
        capsys,
        till.folder,
        "--as",
        "Admin",
        "restore",
        str(backup),
        "--yes",
        "--accept-losing-unsent",
    )
    assert code == 0 and "0 operation(s) carried over" in said


@pytest.mark.parametrize("argv", [["restore", "nowhere.sqlite3", "--yes"]])
def test_restore_of_a_missing_file_is_a_plain_refusal(till: Till, capsys, argv):
    till.ledger.db.close()
    code, said = run(capsys, till.folder, "--as", "Admin", *argv)
    assert code == 2 and "no such backup file" in said
