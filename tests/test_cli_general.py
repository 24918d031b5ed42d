"""The command line's general behaviour, as our store-manager tester found it: a mistyped
--data-dir, a read-only ledger, who may date an operation, how a wrong PIN is counted."""

from __future__ import annotations

import pytest

from cashier_app.cli import main

pytestmark = pytest.mark.usefixtures("cli_admin")


def run(folder, capsys, *args):
    code = main(["--data-dir", str(folder), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "command", [["report", "sales"], ["customers"], ["status"], ["find", "anna"], ["backups"]]
)
def test_a_mistyped_data_dir_is_refused_and_nothing_is_made(tmp_path, capsys, command):
    missing = tmp_path / "nonexistent" / "deep" / "dir"
    code, _, err = run(missing, capsys, *command)
    assert code == 2
    assert f"no ledger in {missing}: create one with cashier-app init, or check --data-dir" in err
    assert not (tmp_path / "nonexistent").exists()


def test_an_empty_folder_is_refused_and_left_empty(tmp_path, capsys):
    code, _, err = run(tmp_path, capsys, "customers")
    assert code == 2 and "[no_ledger]" in err
    assert list(tmp_path.iterdir()) == []


def test_init_still_makes_the_ledger_and_then_commands_work(tmp_path, capsys):
    folder = tmp_path / "new" / "store"
    assert run(folder, capsys, "init")[0] == 0
    code, out, err = run(folder, capsys, "customers")
    assert code == 0 and "0 customer(s)" in out, err


def test_a_lost_ledger_is_still_named_missing_not_never_made(tmp_path, capsys):
    assert run(tmp_path, capsys, "init")[0] == 0
    (tmp_path / "ledger.sqlite3").unlink()
    code, _, err = run(tmp_path, capsys, "customers")
    assert code == 2 and "[ledger_missing]" in err


@pytest.fixture
def store(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "store"
    assert run(folder, capsys, "init")[0] == 0
    for name, role, pin in (("Maria", "manager", "333333"), ("Kate", "cashier", "1111")):
        monkeypatch.setenv("CASHIER_APP_NEW_PIN", pin)
        code, _, err = run(folder, capsys, "user-add", name, "--role", role)
        assert code == 0, err
    monkeypatch.delenv("CASHIER_APP_NEW_PIN")
    return folder


def receipts(folder):
    from sqlalchemy import func, select

    from cashier_app import service
    from cashier_app.storage import schema as t

    ledger = service.open_ledger(folder)
    try:
        with ledger.db.read() as conn:
            return conn.execute(select(func.count()).select_from(t.receipts)).scalar_one()
    finally:
        ledger.db.close()


@pytest.mark.parametrize("at", ["2020-01-01T10:00:00+03:00", "2030-01-01T10:00:00+03:00"])
def test_a_cashier_may_not_date_a_sale(store, capsys, monkeypatch, at):
    monkeypatch.setenv("CASHIER_APP_PIN", "1111")
    code, _, err = run(store, capsys, "--as", "Kate", "sale", "--line", "sku=a,price=5", "--at", at)
    assert code == 2 and "[not_allowed]" in err
    for command in (["register", "--phone", "+79001234567"], ["return", "A-1", "--line", "sku=a"]):
        code, _, err = run(store, capsys, "--as", "Kate", *command, "--at", at)
        assert code == 2 and "[not_allowed]" in err
    assert receipts(store) == 0
    code, _, err = run(store, capsys, "--as", "Kate", "sale", "--line", "sku=a,price=5")
    assert code == 0, err  # now is every cashier's
    assert receipts(store) == 1


def test_backdating_is_a_managers_right_at_the_service(store):
    from datetime import UTC, datetime

    from cashier_app import service
    from cashier_app.engine.errors import LoyaltyError
    from cashier_app.service import users

    ledger = service.open_ledger(store)
    try:
        kate = users.login(ledger, "Kate", "1111")
        maria = users.login(ledger, "Maria", "333333")
    finally:
        ledger.db.close()
    moment = datetime(2026, 3, 1, 7, tzinfo=UTC)
    with pytest.raises(LoyaltyError) as refused:
        users.dated(kate, moment)
    assert refused.value.code == "not_allowed"
    assert users.dated(kate, None) is None
    assert users.dated(maria, moment) == moment


def test_a_manager_dates_a_sale_in_the_stores_time(store, capsys, monkeypatch):
    from sqlalchemy import select

    from cashier_app import service
    from cashier_app.storage import schema as t

    monkeypatch.setenv("CASHIER_APP_PIN", "333333")
    monkeypatch.setenv("TZ", "America/New_York")  # the machine's zone is not the store's
    code, _, err = run(store, capsys, "--as", "Maria", "sale", "--line", "sku=a,price=5",
                       "--at", "2026-03-01T10:00:00")  # fmt: skip
    assert code == 0, err
    ledger = service.open_ledger(store)
    try:
        with ledger.db.read() as conn:
            (at,) = conn.execute(select(t.receipts.c.at)).one()
    finally:
        ledger.db.close()
    assert at.replace(tzinfo=None).isoformat() == "2026-03-01T07:00:00"  # 10:00 Moscow in UTC


def test_one_try_left_is_said_in_the_singular(store, capsys, monkeypatch):
    monkeypatch.setenv("CASHIER_APP_PIN", "0000")
    said = []
    for _ in range(4):
        said.append(run(store, capsys, "--as", "Kate", "customers")[2])
    assert "(2 tries left)" in said[2] and "(1 try left)" in said[3]
    assert "1 tries" not in said[3]


NOBODY = 65534


def test_a_read_only_ledger_is_reported_on_and_refuses_writes(store, capsys):
    """The README: reading commands work on a read-only ledger. The login checks the PIN
    without counting it (nothing can be written), so a report runs; a sale is refused."""
    import hashlib
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    if os.geteuid() != 0:
        pytest.skip("needs root to run the commands as a user without write permission")
    import sqlite3

    # Everything in the file itself (the commands above ran in this process, whose
    # connections stay open), then the copy without the write-ahead log.
    with sqlite3.connect(store / "ledger.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    base = Path(tempfile.mkdtemp(prefix="ro-store-"))
    try:
        os.chmod(base, 0o755)
        folder = base / "store"
        shutil.copytree(store, folder, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
        os.chmod(folder, 0o755)
        for f in folder.rglob("*"):
            os.chmod(f, 0o755 if f.is_dir() else 0o644)

        def digest():
            return {
                f.name: hashlib.sha256(f.read_bytes()).hexdigest()
                for f in folder.iterdir()
                if f.is_file()
            }

        def as_nobody(*argv, pin="333333"):
            root = str(Path(__file__).resolve().parents[1])  # this checkout's package
            env = {**os.environ, "CASHIER_APP_PIN": pin, "HOME": str(base), "PYTHONPATH": root}
            env.pop("CASHIER_APP_USER", None)
            return subprocess.run(
                [sys.executable, "-m", "cashier_app", "--data-dir", str(folder), "--as", "Maria", *argv],
                capture_output=True, text=True, env=env, cwd=base, timeout=120,
                preexec_fn=lambda: (os.setgid(NOBODY), os.setuid(NOBODY)),
            )  # fmt: skip

        before = digest()
        report = as_nobody("report", "sales", "--from", "2026-11-01", "--to", "2026-11-30")
        assert report.returncode == 0, report.stderr
        assert as_nobody("customers").returncode == 0
        wrong = as_nobody("customers", pin="000000")
        assert wrong.returncode == 2 and "[wrong_pin]" in wrong.stderr
        sale = as_nobody("sale", "--line", "sku=a,price=5")
        assert sale.returncode == 2 and "[ledger_read_only]" in sale.stderr
        assert digest() == before
    finally:
        shutil.rmtree(base)
