"""The command line asks who is acting: no user, a wrong PIN and a role that may not are
refused (exit 2) and change nothing; staff commands and the audit log work as a manager
would use them."""

from __future__ import annotations

import csv
import io

import pytest

from cashier_app import service
from cashier_app.service import audit, users
from cashier_app.service.audit import AuditFilter
from tests.conftest import CLI_ADMIN, run_cli

pytestmark = pytest.mark.usefixtures("cli_admin")


@pytest.fixture
def store(tmp_path, capsys, monkeypatch):
    assert run_cli(tmp_path, capsys, "init")[0] == 0
    for name, role, pin in (("Мария", "manager", "111111"), ("Иван", "cashier", "3333")):
        monkeypatch.setenv("CASHIER_APP_NEW_PIN", pin)
        code, _, err = run_cli(tmp_path, capsys, "user-add", name, "--role", role)
        assert code == 0, err
    monkeypatch.delenv("CASHIER_APP_NEW_PIN")
    code, _, err = run_cli(tmp_path, capsys, "register", "--phone", "+79001234567", "--consent")
    assert code == 0, err
    return tmp_path


def lines(folder, action=None):
    ledger = service.open_ledger(folder)
    try:
        return audit.audit_entries(ledger, users.OPERATOR, AuditFilter(action=action))
    finally:
        ledger.db.close()


def test_a_command_without_a_user_is_refused_plainly(store, capsys, monkeypatch):
    monkeypatch.delenv("CASHIER_APP_USER")
    code, _, err = run_cli(store, capsys, "adjust", "+79001234567", "50", "--reason", "gift")
    assert code == 2 and "say who is acting: --as NAME" in err


def test_a_wrong_pin_is_refused_and_counted(store, capsys, monkeypatch):
    monkeypatch.setenv("CASHIER_APP_PIN", "000000")
    code, _, err = run_cli(store, capsys, "--as", "Мария", "adjust", "+79001234567", "50", "--reason", "gift")  # fmt: skip
    assert code == 2 and "[wrong_pin]" in err and "4 tries left" in err
    wrong = lines(store, "wrong_pin")[0]
    assert (wrong.user, wrong.details["via"]) == ("Мария", "command line")


def test_a_cashier_running_adjust_is_refused_by_the_service(store, capsys, monkeypatch):
    monkeypatch.setenv("CASHIER_APP_PIN", "3333")
    code, _, err = run_cli(store, capsys, "--as", "Иван", "adjust", "+79001234567", "50", "--reason", "gift")  # fmt: skip
    assert code == 2 and "[not_allowed]" in err
    code, _, err = run_cli(store, capsys, "--as", "Иван", "audit")
    assert code == 2 and "[not_allowed]" in err
    code, _, err = run_cli(store, capsys, "--as", "Иван", "user-deactivate", "Мария")
    assert code == 2 and "[not_allowed]" in err
    # selling is a cashier's job: the sale goes in a shift opened and closed around it
    code, out, err = run_cli(store, capsys, "--as", "Иван", "sale", "--line", "sku=tea,price=100")
    assert code == 0 and "recorded" in out, err


def test_a_manager_changes_a_cashiers_role_pin_and_access(store, capsys, monkeypatch):
    monkeypatch.setenv("CASHIER_APP_PIN", "111111")
    run = lambda *a: run_cli(store, capsys, "--as", "Мария", *a)  # noqa: E731
    assert run("user-role", "Иван", "senior_cashier")[0] == 0
    monkeypatch.setenv("CASHIER_APP_NEW_PIN", "5555")
    assert run("user-pin", "Иван")[0] == 0
    assert run("user-deactivate", "Иван")[0] == 0
    code, _, err = run("user-role", CLI_ADMIN, "cashier")
    assert code == 2 and "[not_allowed]" in err
    code, _, err = run("user-deactivate", "Мария")
    assert code == 2 and "[own_account]" in err
    assert run("user-activate", "Иван")[0] == 0
    code, out, _ = run("audit", "--user", "Мария", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    actions = [r["action"] for r in rows if r["action"] != "login"]
    assert actions == ["user_activated", "user_deactivated", "user_pin_reset", "user_role_changed"]
    assert all(r["till"] == "Till 1" and r["user"] == "Мария" for r in rows)
    code, out, _ = run("audit", "--action", "user_role_changed")
    assert code == 0 and "Иван" in out and "1 line(s)" in out


def test_the_audit_log_by_days_in_the_store_zone(store, capsys):
    code, out, _ = run_cli(store, capsys, "audit", "--from", "2000-01-01", "--to", "2000-01-02")
    assert code == 0 and "0 line(s)" in out
    code, _, err = run_cli(store, capsys, "audit", "--from", "2026-03-02", "--to", "2026-03-01")
    assert code == 2 and "--to is before --from" in err
    code, _, err = run_cli(store, capsys, "audit", "--from", "yesterday")
    assert code == 2 and "not a date" in err


def test_the_last_administrator_stays(store, capsys):
    code, _, err = run_cli(store, capsys, "user-role", CLI_ADMIN, "manager")
    assert code == 2 and "[last_administrator]" in err


def test_the_readme_permission_table_is_the_codes(capsys):
    from pathlib import Path

    from cashier_app.cli import main
    from cashier_app.cli_staff import permission_table
    from cashier_app.service.users import PERMISSION_WORDS, Permission

    assert set(PERMISSION_WORDS) == set(Permission)  # every permission in plain words
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert permission_table() in readme
    assert main(["permissions"]) == 0
    assert capsys.readouterr().out.strip() == permission_table()
