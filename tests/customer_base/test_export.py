"""The filtered base leaves the till as a file, and the audit log says who took which
customers' data, with the filter and the number of rows."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.customer_base import CustomerFilter, Sort, customer_row
from cashier_app.service.customer_export import HEADERS, export, record, write_file
from cashier_app.storage import schema as t


def audit_lines(ledger):
    with ledger.db.read() as conn:
        return conn.execute(
            select(t.audit_log).where(t.audit_log.c.action == "export_customers")
        ).all()


def test_the_not_seen_list_goes_to_csv_and_the_audit_log(shop, tmp_path):
    path = tmp_path / "lost.csv"
    n = export(
        shop.ledger, shop.manager, CustomerFilter(not_seen_days=30), Sort("name"), path, "csv"
    )
    assert n == 2
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == list(HEADERS)
    assert [r[0] for r in rows[1:]] == ["Иван Петров", "Ольга Иванова"]
    ivan = rows[1]
    assert ivan[1] == "+79001112233" and ivan[3] == "Покупатели" and ivan[9] == "no"
    assert ivan[6] == "2025-11-01 12:00"  # the store's time
    (line,) = audit_lines(shop.ledger)
    details = json.loads(line.details)
    assert details["rows"] == 2 and details["filter"] == {"not_seen_days": 30}
    assert details["format"] == "csv" and line.actor == "Мария"
    assert line.user_id == shop.manager.id
    assert not list(tmp_path.glob(".*partial"))


def test_xlsx_holds_the_same_rows(shop, tmp_path):
    path = tmp_path / "base.xlsx"
    f = CustomerFilter(birthday_from=(12, 20), birthday_to=(1, 10))
    assert export(shop.ledger, shop.manager, f, Sort("birthday", True), path, "xlsx") == 2
    sheet = load_workbook(path, read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(HEADERS)
    assert [v[0] for v in values[1:]] == ["Анна Смирнова", "Иван Петров"]
    # A number the spreadsheet can add up, equal to the ledger's balance.
    assert Decimal(str(values[1][5])) == customer_row(shop.ledger, shop.manager, shop.anna).balance
    assert json.loads(audit_lines(shop.ledger)[0].details)["filter"] == {
        "birthday_from": "12-20",
        "birthday_to": "01-10",
    }


def test_a_cashier_may_not_export_and_nothing_is_written(shop, tmp_path):
    path = tmp_path / "base.csv"
    with pytest.raises(LoyaltyError) as exc:
        export(shop.ledger, shop.cashier, CustomerFilter(), Sort(), path, "csv")
    assert exc.value.code == "not_allowed"
    assert not path.exists() and audit_lines(shop.ledger) == []


def test_a_folder_is_no_file_to_export_to(shop, tmp_path):
    with pytest.raises(LoyaltyError) as exc:
        export(shop.ledger, shop.manager, CustomerFilter(), Sort(), tmp_path, "csv")
    assert exc.value.code == "invalid_export_path"
    assert audit_lines(shop.ledger) == []


def test_a_file_that_cannot_be_recorded_is_not_left_behind(shop, tmp_path):
    path = tmp_path / "base.csv"
    done = write_file(shop.ledger, shop.manager, CustomerFilter(), Sort(), path, "csv")
    assert path.exists() and done.rows == 4
    with pytest.raises(LoyaltyError):
        record(shop.ledger, shop.cashier, done)  # not the manager who wrote it
    assert not path.exists() and audit_lines(shop.ledger) == []
    done = write_file(shop.ledger, shop.manager, CustomerFilter(), Sort(), path, "csv")
    assert record(shop.ledger, shop.manager, done) == 4 and len(audit_lines(shop.ledger)) == 1
