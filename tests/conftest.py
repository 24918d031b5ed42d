"""Fixtures: a fresh, really migrated ledger per test (copied from one migrated template,
so each test does not pay for the migration), and scenario helpers."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cashier_app import service
from cashier_app.scenario import parse_scenario
from cashier_app.service.ledger import Ledger
from cashier_app.simulate import run_scenario
from cashier_app.storage import migrate
from cashier_app.storage.db import Database
from tests.shop import samosale_program

MSK = ZoneInfo("Europe/Moscow")
# Real Qt widgets, no screen needed (Picard's test/conftest.py does the same).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledger.sqlite3"
    db = Database(path)
    migrate.upgrade(db)
    db.close()  # the last connection to close checkpoints the WAL into the file
    return path


class Clock:
    """A shop clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=MSK))


@pytest.fixture
def make_ledger(template_db: Path, tmp_path: Path, clock: Clock) -> Iterator[Callable[..., Ledger]]:
    opened: list[Ledger] = []

    def make(program: dict[str, Any] | None = None, name: str = "ledger") -> Ledger:
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(template_db, folder / "ledger.sqlite3")
        ledger = service.open_ledger(folder, clock=clock)
        service.install_program(ledger, program or samosale_program())
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.db.close()


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()


class Simulation:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.lines = [json.loads(x) for x in out.splitlines() if x.strip()]
        self.err = err

    def step(self, index: int) -> dict[str, Any]:
        return next(x for x in self.lines if x.get("step") == index)

    def autos(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [x for x in self.lines if x["op"] == "auto" and (kind is None or x["kind"] == kind)]


@pytest.fixture
def simulate() -> Callable[..., Simulation]:
    """Run a scenario (program dict + steps) through the real simulate path."""

    def run(program: dict[str, Any], steps: list[dict[str, Any]]) -> Simulation:
        scenario = parse_scenario({"program": program, "steps": steps})
        out, err = io.StringIO(), io.StringIO()
        code = run_scenario(scenario, out, err)
        return Simulation(code, out.getvalue(), err.getvalue())

    return run


# Who runs the command line in tests: ``init`` makes them the first administrator, and
# every later command acts as them ($CASHIER_APP_USER and $CASHIER_APP_PIN).
CLI_ADMIN, CLI_ADMIN_PIN = "Admin", "999999"


@pytest.fixture
def cli_admin(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CASHIER_APP_USER", CLI_ADMIN)
    monkeypatch.setenv("CASHIER_APP_PIN", CLI_ADMIN_PIN)
    monkeypatch.delenv("CASHIER_APP_NEW_PIN", raising=False)
    return CLI_ADMIN


def add_cli_admin(ledger: Ledger) -> None:
    """The command line's acting administrator in a ledger a test made itself (on an
    enrolled till too, as if the central server had sent them)."""
    from cashier_app.service import users

    role, operator = users.Role.ADMINISTRATOR, users.OPERATOR
    users.create_user(ledger, CLI_ADMIN, role, CLI_ADMIN_PIN, actor=operator, from_server=True)


def run_cli(tmp_path, capsys, *args):
    """``cashier-app --data-dir TMP ARGS``, in-process: (exit code, stdout, stderr)."""
    from cashier_app.cli import main

    code = main(["--data-dir", str(tmp_path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def receipt_count(ledger) -> int:
    from sqlalchemy import func, select

    from cashier_app.storage import schema as t

    with ledger.db.read() as conn:
        return conn.execute(select(func.count()).select_from(t.receipts)).scalar_one()
