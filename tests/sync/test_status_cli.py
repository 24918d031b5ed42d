"""``cashier-app status`` on a real till: enrolled with a real central server on loopback it
names the server, the last successful sync and what is queued; never enrolled, it says the
till works on its own (it used to say "offline (no central server enrolled)" on both)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.cli import main
from cashier_app.storage import schema as t

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

MSK = ZoneInfo("Europe/Moscow")  # the demo program's time zone


def run(data_dir, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def field(out: str, name: str) -> str:
    return next(line[11:] for line in out.splitlines() if line.startswith(f"{name:<11}"))


def test_a_never_enrolled_till_says_it_works_standalone(tmp_path, capsys):
    assert run(tmp_path, capsys, "init")[0] == 0
    assert run(tmp_path, capsys, "register", "--phone", "+79001234567")[0] == 0
    code, out, _ = run(tmp_path, capsys, "status")
    assert code == 0
    assert "standalone" in field(out, "sync") and "works on its own" in field(out, "sync")
    assert "1 event(s) kept to send if enrolled" in out
    assert "offline" not in out and "enrolled with" not in out and "last sync" not in out


def test_an_enrolled_till_names_its_server_last_sync_and_queue(tmp_path, capsys, sqlite_server):
    data = tmp_path / "till"
    assert run(data, capsys, "init")[0] == 0
    code, out, err = run(data, capsys, "enrol", sqlite_server.url,
                         sqlite_server.store.issue_code(), "--name", "Till 1")  # fmt: skip
    assert code == 0, err
    device = out.split()[-1]
    assert run(data, capsys, "register", "--phone", "+79001234567")[0] == 0

    code, out, _ = run(data, capsys, "status")
    assert code == 0
    assert field(out, "sync") == f"enrolled with {sqlite_server.url} as device {device}"
    assert field(out, "last sync") == "never"
    assert field(out, "queued") == "1 event(s) waiting to be sent"
    assert "offline" not in out and "standalone" not in out

    before = datetime.now(MSK).replace(microsecond=0)
    code, _, err = run(data, capsys, "sync")
    assert code == 0, err
    code, out, _ = run(data, capsys, "status")
    assert code == 0
    shown = datetime.fromisoformat(field(out, "last sync"))
    assert shown.utcoffset() == before.utcoffset()  # in the store's time zone
    assert before <= shown <= datetime.now(MSK)
    ledger = service.open_ledger(data)
    with ledger.db.read() as conn:
        stored = conn.execute(select(t.sync_state.c.last_success)).scalar_one()
    ledger.db.close()
    assert shown == stored.replace(microsecond=0)
    assert field(out, "queued") == "0 event(s) waiting to be sent"
    assert "last error" not in out and "offline" not in out

    sqlite_server.stop()  # the server goes away: the failure is shown, the last success kept
    assert run(data, capsys, "register", "--phone", "+79001234568")[0] == 0
    assert run(data, capsys, "sync")[0] == 1
    code, out, _ = run(data, capsys, "status")
    assert code == 0
    assert datetime.fromisoformat(field(out, "last sync")) == shown
    assert field(out, "queued") == "1 event(s) waiting to be sent"
    assert field(out, "last error")
