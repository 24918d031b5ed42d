"""``cashier-app customer-group`` and ``cashier-app anonymise``, as a manager types them."""

from __future__ import annotations

import pytest

from cashier_app.cli import main

pytestmark = pytest.mark.usefixtures("cli_admin")


def run(tmp_path, capsys, *args):
    code = main(["--data-dir", str(tmp_path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_manager_moves_two_customers_to_staff_and_anonymises_one(tmp_path, capsys):
    assert run(tmp_path, capsys, "init")[0] == 0
    run(tmp_path, capsys, "register", "--phone", "+79001234567", "--name", "Анна Смирнова")
    run(tmp_path, capsys, "register", "--phone", "+79001234568", "--group", "staff")
    code, out, _ = run(tmp_path, capsys, "customer-group", "+79001234567", "9001234568",
                       "--group", "staff")  # fmt: skip
    assert (code, out.strip()) == (0, "moved 1 customer(s) to group staff; 1 already in it")
    code, _, err = run(tmp_path, capsys, "customer-group", "+79001234567", "--group", "gold")
    assert code == 2 and "unknown_group" in err

    code, _, err = run(tmp_path, capsys, "anonymise", "+79001234567")
    assert code == 2 and "add --yes" in err
    code, out, _ = run(tmp_path, capsys, "anonymise", "+79001234567", "--yes")
    assert code == 0 and "personal data erased" in out
    code, _, err = run(tmp_path, capsys, "anonymise", "+79001234567", "--yes")
    assert code == 2 and "no customer for '+79001234567'" in err  # no longer found by phone
    code, out, _ = run(tmp_path, capsys, "find", "анна")
    assert "Анна" not in out


def test_a_cashier_is_refused(tmp_path, capsys, monkeypatch):
    assert run(tmp_path, capsys, "init")[0] == 0
    run(tmp_path, capsys, "register", "--phone", "+79001234567")
    run(tmp_path, capsys, "user-add", "Иван", "--role", "cashier", "--pin", "1234")
    monkeypatch.setenv("CASHIER_APP_PIN", "1234")
    code, _, err = run(tmp_path, capsys, "--as", "Иван", "anonymise", "+79001234567", "--yes")
    assert code == 2 and "not_allowed" in err
    code, _, err = run(tmp_path, capsys, "--as", "Иван", "customer-group", "+79001234567",
                       "--group", "staff")  # fmt: skip
    assert code == 2 and "not_allowed" in err
