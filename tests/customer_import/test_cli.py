"""``cashier-app customers-import``: what a manager types to bring the old base over."""

from __future__ import annotations

from cashier_app import service
from cashier_app.cli import main
from cashier_app.service import users
from cashier_app.service.users import OPERATOR, Role
from tests.customer_import.conftest import write_csv
from tests.shop import samosale_program

LINES = ["Телефон;Клиент;Бонусы", "89001112233;Анна;150", "12345;Пётр;", "89002223344;Иван;"]


def _store(tmp_path, monkeypatch):
    ledger = service.open_ledger(tmp_path / "store")
    service.install_program(ledger, samosale_program())
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    users.create_user(ledger, "Мария", Role.MANAGER, "333333", actor=admin)
    users.create_user(ledger, "Анна", Role.CASHIER, "1111", actor=admin)
    ledger.db.close()
    monkeypatch.setenv("CASHIER_APP_PIN", "333333")
    return tmp_path / "store"


def run(folder, capsys, *args, who="Мария"):
    code = main(["--data-dir", str(folder), "--as", who, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_manager_checks_imports_and_imports_again(tmp_path, capsys, monkeypatch):
    folder = _store(tmp_path, monkeypatch)
    path = write_csv(tmp_path / "old.csv", LINES, "cp1251")
    code, out, err = run(folder, capsys, "customers-import", str(path), "--dry-run",
                         "--report", str(tmp_path / "report.csv"))  # fmt: skip
    assert code == 0
    assert "3 rows: 2 to import, 0 already in the base" in out and "dry run" in out
    assert "row 3, Телефон" in err
    assert "bad_phone" in (tmp_path / "report.csv").read_text("utf-8-sig")
    code, out, _ = run(folder, capsys, "customers-import", str(path))
    assert code == 0 and "imported 2 customers (150 points" in out
    code, out, _ = run(folder, capsys, "customers-import", str(path))
    assert code == 0 and "0 to import, 2 already in the base" in out and "nothing new" in out


def test_a_column_is_mapped_by_hand(tmp_path, capsys, monkeypatch):
    folder = _store(tmp_path, monkeypatch)
    path = write_csv(tmp_path / "old.csv", ["Контакт;Кто", "89001112233;Анна"])
    code, _, err = run(folder, capsys, "customers-import", str(path))
    assert code == 2 and "phone_column_missing" in err
    code, out, _ = run(folder, capsys, "customers-import", str(path), "--map", "1=phone",
                       "--map", "Кто=name")  # fmt: skip
    assert code == 0 and "'Контакт' -> phone, 'Кто' -> name" in out


def test_nothing_valid_exits_2_and_a_cashier_is_refused(tmp_path, capsys, monkeypatch):
    folder = _store(tmp_path, monkeypatch)
    path = write_csv(tmp_path / "old.csv", ["phone", "12345"])
    code, _, err = run(folder, capsys, "customers-import", str(path))
    assert code == 2 and "no row is valid" in err
    monkeypatch.setenv("CASHIER_APP_PIN", "1111")
    code, _, err = run(folder, capsys, "customers-import", str(path), who="Анна")
    assert code == 2 and "not_allowed" in err
