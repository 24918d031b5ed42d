"""The operational commands on a real store folder: what a manager types."""

from __future__ import annotations

import pytest

from cashier_app.cli import main

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")


def run(tmp_path, capsys, *args):
    code = main(["--data-dir", str(tmp_path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_day_at_the_till_from_the_command_line(tmp_path, capsys):
    assert run(tmp_path, capsys, "init")[0] == 0
    code, out, _ = run(tmp_path, capsys, "register", "--phone", "8 900 123-45-67", "--name", "Анна Смирнова",
                       "--birthday", "1990-01-20", "--consent", "--at", "2026-03-01T10:00:00+03:00")  # fmt: skip
    assert code == 0 and "welcome bonus 200" in out and "+7 *** ***-45-67" in out
    code, out, _ = run(tmp_path, capsys, "sale", "--customer", "+79001234567", "--number", "A-1",
                       "--at", "2026-03-01T10:05:00+03:00",
                       "--line", "sku=latte,price=250,qty=2,category=coffee",
                       "--line", "sku=cigs,price=200,category=tobacco,no_loyalty=1")  # fmt: skip
    assert code == 0 and "points earned 15" in out
    code, out, _ = run(tmp_path, capsys, "sale", "--customer", "9001234567", "--redeem", "max", "--quote",
                       "--at", "2026-03-01T10:06:00+03:00", "--line", "sku=cake,price=900")  # fmt: skip
    assert code == 0 and "points 215 (at most 215)" in out
    code, out, _ = run(tmp_path, capsys, "return", "A-1", "--line", "sku=latte,qty=1",
                       "--at", "2026-03-01T11:00:00+03:00")  # fmt: skip
    assert code == 0 and "refund 250.00" in out and "points taken back 8" in out
    code, out, _ = run(tmp_path, capsys, "adjust", "+79001234567", "-7", "--reason", "typo",
                       "--at", "2026-03-01T11:01:00+03:00")  # fmt: skip
    assert code == 0 and "balance 200" in out
    code, out, _ = run(tmp_path, capsys, "find", "анна")
    assert code == 0 and "Анна Смирнова" in out
    code, out, _ = run(tmp_path, capsys, "automations", "--until", "2026-04-01T00:00:00+03:00")
    assert code == 0 and "expiry" in out


def test_refusals_say_why_and_exit_2(tmp_path, capsys):
    run(tmp_path, capsys, "init")
    code, _, err = run(tmp_path, capsys, "register", "--phone", "12")
    assert code == 2 and "[invalid_phone]" in err
    code, _, err = run(tmp_path, capsys, "sale", "--line", "sku=a,price=ten")
    assert code == 2 and "line 'sku=a,price=ten'" in err
    code, _, err = run(tmp_path, capsys, "sale", "--line", "sku=a,price=10", "--redeem", "5")
    assert code == 2 and "[redeem_above_max]" in err
    code, _, err = run(tmp_path, capsys, "return", "nope", "--line", "sku=a")
    assert code == 2 and "[unknown_receipt]" in err
    code, _, err = run(tmp_path, capsys, "program-install", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err


def test_demo_prints_readable_receipts(capsys):
    assert main(["demo-day"]) == 0
    out = capsys.readouterr().out
    assert "Receipt D-0001" in out and "TO PAY" in out and "[automatic] birthday" in out


def test_users_and_the_catalogue_from_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CASHIER_APP_USER")
    run(tmp_path, capsys, "init")  # nobody named: a ledger without users
    assert (
        run(tmp_path, capsys, "user-add", "Иван", "--role", "cashier", "--pin", "1234")[0] == 2
    )  # first: admin
    assert (
        run(tmp_path, capsys, "user-add", "Admin", "--role", "administrator", "--pin", "999999")[0]
        == 0
    )
    code, _, err = run(tmp_path, capsys, "user-add", "Иван", "--role", "cashier", "--pin", "1234")
    assert code == 2 and "say who is acting" in err  # the second user is someone's job
    monkeypatch.setenv("CASHIER_APP_USER", "Admin")
    assert run(tmp_path, capsys, "--as", "Admin", "user-add", "Иван", "--role", "cashier", "--pin", "1234")[0] == 0  # fmt: skip
    code, out, _ = run(tmp_path, capsys, "users")
    assert "Admin" in out and "cashier" in out
    csv = tmp_path / "goods.csv"
    csv.write_text(
        "sku,barcode,name,price,category\nlatte,4600000000017,Латте,250.00,coffee\nbad,,Хлеб,x,\n"
    )
    code, _, err = run(tmp_path, capsys, "products-import", str(csv))
    assert code == 2 and "row 3, price" in err and "nothing was imported" in err
    code, out, _ = run(tmp_path, capsys, "products-import", str(csv), "--skip-invalid")
    assert code == 0 and "1 products imported" in out
    code, out, _ = run(tmp_path, capsys, "products-find", "латт")
    assert code == 0 and "4600000000017" in out
    code, out, _ = run(tmp_path, capsys, "sale", "--product", "4600000000017*2")
    assert code == 0 and "500.00" in out
