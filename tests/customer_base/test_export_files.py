"""What the tester found in the customer base's files: an export over the ledger, names
that ran as formulas, balances as text (docs/quality.md's back-office defects)."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.customer_base import CustomerFilter, Sort
from cashier_app.service.customer_export import export
from tests.conftest import MSK

FORMULAS = ("=1+1", "+1+cmd|calc", "@SUM(A1)", "-2+3")


def _ledger_bytes(ledger) -> bytes:
    return (ledger.db.path).read_bytes()


def test_an_export_named_as_the_ledger_is_refused_and_the_ledger_kept(shop):
    ledger = shop.ledger
    folder = ledger.db.path.parent
    for name in ("ledger.sqlite3", "ledger.sqlite3-wal"):
        with pytest.raises(LoyaltyError) as refused:
            export(ledger, shop.manager, CustomerFilter(), Sort("name"), folder / name, "csv")
        assert refused.value.code == "invalid_export_path"
        assert str(folder / name) in refused.value.message
    assert service.customer_base.count(ledger, shop.manager, CustomerFilter()) == 4
    assert not list(folder.glob(".*part"))


def test_an_export_over_another_database_is_refused(shop, tmp_path):
    other = tmp_path / "backup.xlsx"
    other.write_bytes(shop.ledger.db.path.read_bytes()[:4096])
    with pytest.raises(LoyaltyError, match="is a database"):
        export(shop.ledger, shop.manager, CustomerFilter(), Sort("name"), other, "xlsx")


def _register_formulas(shop) -> None:
    for i, name in enumerate(FORMULAS):
        service.register_customer(
            shop.ledger, f"+7901000000{i}", name=name, at=datetime(2026, 3, 1, 12, tzinfo=MSK)
        )


def test_names_that_look_like_formulas_stay_text_in_the_csv(shop, tmp_path):
    _register_formulas(shop)
    path = tmp_path / "base.csv"
    export(
        shop.ledger,
        shop.manager,
        CustomerFilter(registered_from=date(2026, 3, 1)),
        Sort("phone"),
        path,
        "csv",
    )
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))[1:]
    assert [r[0] for r in rows] == ["'" + name for name in FORMULAS]
    assert all(r[1].startswith("+7901") for r in rows)  # our phones, as the till shows them


def test_names_that_look_like_formulas_are_string_cells_in_the_xlsx(shop, tmp_path):
    _register_formulas(shop)
    path = tmp_path / "base.xlsx"
    export(shop.ledger, shop.manager, CustomerFilter(), Sort("phone"), path, "xlsx")
    sheet = load_workbook(path).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = {sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)}
    assert set(FORMULAS) <= names  # the names exactly as typed, as text


def test_the_xlsx_holds_balances_as_numbers_and_days_as_dates(shop, tmp_path):
    path = tmp_path / "base.xlsx"
    export(shop.ledger, shop.manager, CustomerFilter(search="Петров"), Sort("name"), path, "xlsx")
    sheet = load_workbook(path).active
    balance, last, registered, birthday = (sheet.cell(2, col) for col in (6, 7, 8, 9))
    assert balance.data_type == "n" and isinstance(balance.value, (int, float))
    assert (
        Decimal(str(balance.value))
        == service.customer_base.customer_row(shop.ledger, shop.manager, shop.ivan).balance
    )
    assert balance.number_format == "0.00"
    assert last.value == datetime(2025, 11, 1, 12, 0)  # the store's time
    assert registered.value == datetime(2025, 1, 10, 12, 0)
    assert birthday.value.date() == date(1985, 1, 5) and birthday.is_date


def test_the_csv_keeps_the_exact_balance_text(shop, tmp_path):
    path = tmp_path / "base.csv"
    export(shop.ledger, shop.manager, CustomerFilter(search="Петров"), Sort("name"), path, "csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        (row,) = list(csv.reader(f, delimiter=";"))[1:]
    assert row[5] == str(
        service.customer_base.customer_row(shop.ledger, shop.manager, shop.ivan).balance.quantize(
            Decimal("0.01")
        )
    )
    assert row[6] == "2025-11-01 12:00" and row[8] == "1985-01-05"
