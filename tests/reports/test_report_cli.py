"""``cashier-app report``: the same figures as the service, as CSV, XLSX and a table, for a
user who may view reports; refusals exit 2 with a plain message."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from cashier_app import service
from cashier_app.cli import main
from cashier_app.service import users
from cashier_app.service.users import OPERATOR, Role
from tests.reports.store import build_shop
from tests.shop import samosale_program

WEEKS = ["--from", "2026-03-02", "--to", "2026-03-15"]


@pytest.fixture(scope="module")
def shop_template(tmp_path_factory, template_db):
    """The hand-worked shop with a manager (PIN 111111) and a cashier (3333), built once."""
    from tests.conftest import Clock
    from tests.reports.store import msk

    folder = tmp_path_factory.mktemp("shop")
    shutil.copy(template_db, folder / "ledger.sqlite3")
    ledger = service.open_ledger(folder, clock=Clock(msk(3, 16)))
    service.install_program(ledger, samosale_program())
    build_shop(ledger)
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    users.create_user(ledger, "Мария", Role.MANAGER, "111111", actor=admin)
    users.create_user(ledger, "Иван", Role.CASHIER, "3333", actor=admin)
    ledger.db.close()
    return folder


@pytest.fixture
def shop(shop_template, tmp_path):
    folder = tmp_path / "shop"
    shutil.copytree(shop_template, folder)
    return folder


def report(shop, capsys, monkeypatch, *args, who="Мария", pin="111111"):
    monkeypatch.setenv("CASHIER_APP_PIN", pin)
    code = main(["--data-dir", str(shop), "--as", who, "report", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sales_csv_has_the_columns_and_one_row_per_week_and_segment(shop, capsys, monkeypatch):
    code, out, _ = report(
        shop, capsys, monkeypatch, "sales", *WEEKS, "--by", "week", "--format", "csv"
    )
    assert code == 0
    assert out.splitlines() == [
        "period,segment,receipts,revenue,average_check",
        "2026-W10,new,3,2400.00,800.00",
        "2026-W10,loyal,1,300.00,300.00",
        "2026-W10,other,1,150.00,150.00",
        "2026-W11,new,0,0.00,0.00",
        "2026-W11,loyal,1,9200.00,9200.00",
        "2026-W11,other,1,250.00,250.00",
    ]


def test_sales_csv_without_by_is_one_period_over_the_range(shop, capsys, monkeypatch):
    code, out, _ = report(shop, capsys, monkeypatch, "sales", *WEEKS, "--format", "csv")
    assert code == 0
    assert out.splitlines()[1:] == [
        "2026-03-02..2026-03-15,new,4,11700.00,2925.00",
        "2026-03-02..2026-03-15,loyal,1,200.00,200.00",
        "2026-03-02..2026-03-15,other,2,400.00,200.00",
    ]


def test_points_csv_to_a_file(shop, capsys, monkeypatch, tmp_path):
    target = tmp_path / "points.csv"
    code, out, _ = report(
        shop, capsys, monkeypatch, "points", *WEEKS, "--by", "week", "--format", "csv",
        "--output", str(target),
    )  # fmt: skip
    assert code == 0 and "2 rows written" in out
    assert target.read_text("utf-8").splitlines() == [
        "period,accrued,redeemed,expired,given_back,adjusted,opening,liability_points,"
        "liability_money,debt",
        "2026-W10,52.00,60.00,30.00,0.00,0.00,0.00,52.00,52.00,0.00",
        "2026-W11,276.00,0.00,0.00,20.00,30.00,0.00,378.00,378.00,0.00",
    ]


def test_groups_xlsx_is_readable_with_numbers_and_titles(shop, capsys, monkeypatch, tmp_path):
    target = tmp_path / "groups.xlsx"
    code, _, _ = report(
        shop, capsys, monkeypatch, "groups", *WEEKS, "--format", "xlsx", "--output", str(target)
    )
    assert code == 0
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Group", "Customers", "Receipts", "Revenue", "Average check")
    assert rows[1] == ("Покупатели", 3, 4, 11000, 2750)
    assert rows[2] == ("Сотрудники", 1, 1, 900, 900)
    assert sheet["D2"].number_format == "#,##0.00"


def test_tiers_as_an_aligned_table(shop, capsys, monkeypatch):
    code, out, _ = report(shop, capsys, monkeypatch, "tiers", *WEEKS)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Tiers, 2026-03-02 .. 2026-03-15"
    assert lines[2:7] == [
        "Tier    Customers  New  Moved in  Moved out",
        "------  ---------  ---  --------  ---------",
        "Start           2    0         0          1",
        "Silver          1    0         1          0",
        "Gold            0    0         0          0",
    ]


def test_winback_and_birthdays_as_of_a_moment(shop, capsys, monkeypatch):
    at = ["--at", "2026-03-15T12:00:00+03:00"]
    code, out, _ = report(
        shop, capsys, monkeypatch, "winback", *at, "--days", "30", "--format", "csv"
    )
    assert code == 0
    assert out.splitlines() == [
        "customer,phone,last_purchase,balance",
        "Vera,+7 *** ***-00-01,2026-01-06,0.00",
    ]
    code, out, _ = report(shop, capsys, monkeypatch, "birthdays", *at, "--format", "csv")
    # Her points as the window shows them today: the command, like the window, first
    # carried out the expiries due by now (her March points expired in May).
    assert out.splitlines()[1:] == ["Anna,+7 *** ***-00-03,2026-03-16,0.00"]


def test_a_cashier_is_refused_with_exit_2(shop, capsys, monkeypatch):
    code, out, err = report(shop, capsys, monkeypatch, "sales", *WEEKS, who="Иван", pin="3333")
    assert code == 2
    assert out == ""
    assert "may not view reports" in err and "[not_allowed]" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "2026-03-05", "--to", "2026-03-01"],
            "--from 2026-03-05 is after --to 2026-03-01",
        ),
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from '2026-02-30' is not a day"),
        (["--from", "5.3.2026", "--to", "2026-03-01"], "is not a day like 2026-03-01"),
        (["--to", "2026-03-01"], "say the period: --from YYYY-MM-DD"),
        (["--from", "2026-03-01", "--to", "2026-03-02", "--format", "xlsx"], "add --output"),
    ],
)
def test_bad_periods_are_refused_with_a_clear_message(shop, capsys, monkeypatch, args, message):
    code, out, err = report(shop, capsys, monkeypatch, "sales", *args)
    assert code == 2
    assert message in err
    assert out == ""


def test_without_a_user_the_command_says_who_must_act(shop, capsys, monkeypatch):
    monkeypatch.delenv("CASHIER_APP_USER", raising=False)
    code = main(["--data-dir", str(shop), "report", "sales", *WEEKS])
    assert code == 2
    assert "say who is acting" in capsys.readouterr().err


def test_the_window_and_the_command_line_read_the_same_figures(shop, capsys, monkeypatch):
    from cashier_app.service.report_model import Period
    from cashier_app.service.reports import sales_report

    _, out, _ = report(
        shop, capsys, monkeypatch, "sales", *WEEKS, "--by", "week", "--format", "csv"
    )
    ledger = service.open_ledger(shop)
    try:
        rows = sales_report(
            ledger, OPERATOR, Period(date(2026, 3, 2), date(2026, 3, 15), "week")
        ).rows
    finally:
        ledger.db.close()
    assert [line.split(",")[3] for line in out.splitlines()[1:]] == [str(r[3]) for r in rows]
    assert all(str(r[4]).endswith(".00") for r in rows)
    assert rows[0][3] == D("2400.00")
