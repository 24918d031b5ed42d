"""``cashier-app customers``: the same list as the screen, as a manager types it."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.cli import main
from cashier_app.storage import schema as t

pytestmark = pytest.mark.usefixtures("cli_admin")


def run(tmp_path, capsys, *args):
    code = main(["--data-dir", str(tmp_path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def till(tmp_path, capsys):
    assert run(tmp_path, capsys, "init")[0] == 0
    for phone, name, extra in (
        ("+79001234567", "Анна Смирнова", ["--birthday", "1990-12-28", "--consent"]),
        ("+79001112233", "Иван Петров", ["--birthday", "1985-01-05", "--group", "staff"]),
        ("+79005556677", "Ольга Иванова", ["--at", "2025-01-10T12:00:00+03:00"]),
    ):
        assert run(tmp_path, capsys, "register", "--phone", phone, "--name", name, *extra)[0] == 0
    return tmp_path


def test_the_table_lists_the_filtered_base(till, capsys):
    code, out, _ = run(till, capsys, "customers", "--sort", "name")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[-1] == "3 customer(s)"
    assert lines[0].split()[:3] == ["Name", "Phone", "Cards"]  # the header row
    assert [ln.split()[0] for ln in lines[1:-1]] == ["Анна", "Иван", "Ольга"]
    code, out, _ = run(till, capsys, "customers", "--group", "Сотрудники")
    assert "Иван" in out and "Анна" not in out and out.strip().endswith("1 customer(s)")
    code, out, _ = run(till, capsys, "customers", "--birthday-from", "12-20",
                       "--birthday-to", "01-10", "--consent", "yes")  # fmt: skip
    assert out.strip().endswith("1 customer(s)") and "Анна" in out
    code, out, _ = run(till, capsys, "customers", "--not-seen-days", "60")
    assert "Ольга" in out and out.strip().endswith("1 customer(s)")


def test_export_to_csv_is_audited(till, capsys):
    path = till / "staff.csv"
    code, out, _ = run(till, capsys, "customers", "--group", "staff", "--format", "csv",
                       "--output", str(path))  # fmt: skip
    assert code == 0 and "1 customer(s) written" in out
    with path.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[1][0] == "Иван Петров"
    ledger = service.open_ledger(till)
    with ledger.db.read() as conn:
        line = conn.execute(
            select(t.audit_log).where(t.audit_log.c.action == "export_customers")
        ).one()
    ledger.db.close()
    assert json.loads(line.details)["filter"] == {"group_ids": ["staff"]}
    assert line.actor == "Admin"


@pytest.mark.parametrize(
    "args, said",
    [
        (["--group", "gold"], "no such group"),
        (["--birthday-from", "12-20"], "both --birthday-from"),
        (["--birthday-from", "13-01", "--birthday-to", "01-10"], "invalid_month_day"),
        (["--min-balance", "lots"], "give a number of points"),
        (["--registered-from", "yesterday"], "give a day like"),
        (["--sort", "shoe_size"], "invalid_sort"),
        (["--format", "xlsx"], "give --output FILE"),
    ],
)
def test_bad_flags_are_refused_with_the_reason(till, capsys, args, said):
    code, _, err = run(till, capsys, "customers", *args)
    assert code == 2 and said in err


def test_a_cashier_is_refused(till, capsys, monkeypatch):
    run(till, capsys, "user-add", "Иван", "--role", "cashier", "--pin", "1234")
    monkeypatch.setenv("CASHIER_APP_PIN", "1234")
    code, _, err = run(till, capsys, "--as", "Иван", "customers")
    assert code == 2 and "not_allowed" in err
    out = till / "x.csv"
    code, _, err = run(till, capsys, "--as", "Иван", "customers", "--format", "csv",
                       "--output", str(out))  # fmt: skip
    assert code == 2 and "not_allowed" in err and not out.exists()
