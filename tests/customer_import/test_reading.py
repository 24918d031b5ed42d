"""The old system's files read as the shop exports them: Russian headers in Windows-1251
with semicolons, English UTF-8 with commas, an Excel workbook; the columns guessed from
the headers; hostile files refused with a reason and nothing written."""

from __future__ import annotations

import zipfile
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.customer_import import (
    guess_mapping,
    parse_date,
    read_customer_file,
    validate,
)
from cashier_app.service.customer_import_write import import_customers
from cashier_app.storage import schema as t
from tests.customer_import.conftest import RUSSIAN_ROWS, write_csv


def test_russian_headers_in_windows_1251_with_semicolons(tmp_path):
    f = read_customer_file(write_csv(tmp_path / "old.csv", RUSSIAN_ROWS, "cp1251"))
    assert f.headers[:3] == ("Телефон", "ФИО", "Дата рождения")
    assert f.rows[0][1] == "Анна Смирнова"
    assert guess_mapping(f.headers) == {
        "phone": 0, "name": 1, "birthday": 2, "group": 3, "balance": 4, "card": 5, "consent": 6,
    }  # fmt: skip


def test_english_utf8_with_commas_and_a_byte_order_mark(tmp_path):
    lines = ["Phone,Name,Birthday,Points,E-mail", "+79001112233,Anna,1985-03-12,150,a@b.c"]
    path = tmp_path / "export.csv"
    path.write_bytes("\ufeff".encode() + "\n".join(lines).encode())
    f = read_customer_file(path)
    assert f.headers[0] == "Phone"  # the mark is not part of the first header
    assert guess_mapping(f.headers) == {"phone": 0, "name": 1, "birthday": 2, "balance": 3}


def test_an_excel_workbook_with_a_date_cell(tmp_path, ledger, staff):
    book = Workbook()
    sheet = book.active
    sheet.append(["Мобильный", "Имя", "День рождения", "Баланс"])
    sheet.append([79001112233, "Анна", date(1985, 3, 12), 150])
    path = tmp_path / "base.xlsx"
    book.save(path)
    f = read_customer_file(path)
    mapping = guess_mapping(f.headers)
    report = validate(ledger, staff["manager"], f, mapping)
    assert not report.problems
    (row,) = report.valid
    assert (row.phone, row.birthday, row.balance) == ("+79001112233", date(1985, 3, 12), 150)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("12.03.1985", date(1985, 3, 12)),
        ("1985-03-12", date(1985, 3, 12)),
        ("12/03/1985", date(1985, 3, 12)),
        ("1985-03-12 00:00:00", date(1985, 3, 12)),
        ("31118", date(1985, 3, 12)),  # Excel's serial day
        ("31.02.1985", None),
        ("вчера", None),
    ],
)
def test_birthdays_in_the_ways_old_systems_write_them(text, day):
    assert parse_date(text) == day


def _count(ledger, table) -> int:
    with ledger.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _refused(ledger, staff, path, code):
    events = _count(ledger, t.events)
    with pytest.raises(LoyaltyError) as caught:
        f = read_customer_file(path)
        import_customers(ledger, staff["manager"], f, guess_mapping(f.headers))
    assert caught.value.code == code
    assert _count(ledger, t.events) == events
    assert _count(ledger, t.customers) == 0
    return caught.value


def test_a_huge_file_is_refused_before_its_rows_are_read(tmp_path, ledger, staff):
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.write(b"phone\n" + b"+79001112233\n" * (6 * 2**20))  # 72 MiB
    error = _refused(ledger, staff, path, "customer_file_too_large")
    assert "MiB" in error.message and "catalogue" not in error.message


def test_too_many_rows_are_refused_with_the_customer_limit(tmp_path, ledger, staff):
    path = write_csv(tmp_path / "many.csv", ["phone"] + ["1"] * 200_002)
    error = _refused(ledger, staff, path, "customer_file_too_large")
    assert "200,000 customers" in error.message


def test_a_binary_file_is_refused(tmp_path, ledger, staff):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 10)
    _refused(ledger, staff, path, "unreadable_file")


def test_a_file_mixing_encodings_is_refused(tmp_path, ledger, staff):
    path = tmp_path / "mixed.csv"
    path.write_bytes("Телефон;Фамилия\n".encode() + "+79001112233;Анна\n".encode("cp1251"))
    error = _refused(ledger, staff, path, "unreadable_file")
    assert "encodings" in error.message


def test_a_zip_that_is_no_workbook_is_refused(tmp_path, ledger, staff):
    path = tmp_path / "base.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    _refused(ledger, staff, path, "unreadable_file")


def test_an_empty_file_is_refused(tmp_path, ledger, staff):
    _refused(ledger, staff, write_csv(tmp_path / "empty.csv", [""]), "empty_customer_file")
