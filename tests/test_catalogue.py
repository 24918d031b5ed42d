"""Importing the product catalogue from a shop's own CSV or Excel file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import catalogue, users
from cashier_app.service.users import OPERATOR, Role
from cashier_app.storage import schema as t

GOOD = """sku,barcode,name,price,category,brand,no_loyalty
latte,4600000000017,Латте 0.4,250.00,coffee,,no
croissant,,Круассан,180,bakery,,
cigs,4600000000024,Сигареты,240.50,tobacco,,yes
"""


def write(tmp_path, text, name="goods.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def count(ledger):
    with ledger.db.read() as conn:
        return conn.execute(select(func.count()).select_from(t.products)).scalar_one()


def test_a_good_csv_imports_and_products_are_found_by_scan_sku_and_name(ledger, tmp_path):
    seen = []
    report = catalogue.import_catalogue(
        ledger, write(tmp_path, GOOD), progress=lambda d, n: seen.append((d, n))
    )
    assert (report.ok, report.rows, report.imported) == (True, 3, 3)
    assert seen[-1] == (3, 3)
    assert catalogue.find_product(ledger, "4600000000017").name == "Латте 0.4"
    cigs = catalogue.find_product(ledger, "cigs")
    assert (cigs.price, cigs.no_loyalty, cigs.category) == (Decimal("240.50"), True, "tobacco")
    assert [p.sku for p in catalogue.search_products(ledger, "круас")] == ["croissant"]
    assert catalogue.find_product(ledger, "nothing") is None


def test_russian_headers_semicolons_and_windows_1251(ledger, tmp_path):
    text = "Артикул;Штрихкод;Наименование;Цена;Категория;Бренд;Без лояльности\nr1;;Роза красная;120,50;цветы;;нет\n"
    report = catalogue.import_catalogue(ledger, write(tmp_path, text, encoding="cp1251"))
    assert report.ok, report.problems
    assert catalogue.find_product(ledger, "r1").price == Decimal("120.50")


def test_an_excel_file_imports_with_numeric_barcodes(ledger, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "barcode", "name", "price", "category"])
    sheet.append(["feed", 4600000000031, "Корм 2 кг", 999.99, "pets"])
    path = tmp_path / "goods.xlsx"
    book.save(path)
    report = catalogue.import_catalogue(ledger, path)
    assert report.ok, report.problems
    assert catalogue.find_product(ledger, "4600000000031").sku == "feed"


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written(ledger, tmp_path):
    text = (
        GOOD
        + "bad,,Хлеб,ten,bakery,,\n,,Без артикула,10,,,\nlatte,,Дубль,1,,,\nx,4600000000017,Дубль штрихкода,1,,,maybe\n"
    )
    report = catalogue.import_catalogue(ledger, write(tmp_path, text))
    assert not report.ok
    assert [(p.row, p.column) for p in report.problems] == [
        (5, "price"), (6, "sku"), (7, "sku"), (8, "barcode"), (8, "no_loyalty"),
    ]  # fmt: skip
    assert count(ledger) == 0


def test_skip_invalid_imports_the_good_rows(ledger, tmp_path):
    report = catalogue.import_catalogue(
        ledger, write(tmp_path, GOOD + "bad,,Хлеб,ten,,,\n"), skip_invalid=True
    )
    assert (report.imported, len(report.problems)) == (3, 1)
    assert count(ledger) == 3


def test_reimport_is_idempotent_and_updates_prices(ledger, tmp_path):
    catalogue.import_catalogue(ledger, write(tmp_path, GOOD))
    catalogue.import_catalogue(ledger, write(tmp_path, GOOD))
    assert count(ledger) == 3
    catalogue.import_catalogue(ledger, write(tmp_path, GOOD.replace("250.00", "260.00")))
    assert catalogue.find_product(ledger, "latte").price == Decimal("260.00")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("sku,name\nx,y\n", "column is missing"),
        ("sku,name,price,colour\n", "unknown column"),
    ],
)
def test_a_broken_file_gets_a_clear_message(ledger, tmp_path, text, message):
    report = catalogue.import_catalogue(ledger, write(tmp_path, text))
    assert any(message in p.message for p in report.problems)
    assert count(ledger) == 0


def test_an_unreadable_excel_file_is_refused(ledger, tmp_path):
    with pytest.raises(LoyaltyError) as err:
        catalogue.import_catalogue(ledger, write(tmp_path, "not a zip", name="goods.xlsx"))
    assert err.value.code == "unreadable_file"


def test_a_cashier_may_not_import(ledger, tmp_path):
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    cashier = users.create_user(ledger, "Иван", Role.CASHIER, "3333", actor=admin)
    with pytest.raises(LoyaltyError) as err:
        catalogue.import_catalogue(ledger, write(tmp_path, GOOD), actor=cashier)
    assert err.value.code == "not_allowed"
