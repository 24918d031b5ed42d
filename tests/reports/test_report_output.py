"""``cashier-app report --output``: never over the ledger or a database, the format read from
the file's name, the file in the audit log, options that do not fit refused, one shift
titled with its own days (defects the store-manager tester found)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from cashier_app import service
from cashier_app.service import users
from cashier_app.storage import schema as t
from tests.reports import test_report_cli as cli_tests
from tests.reports.store import msk
from tests.reports.test_report_cli import WEEKS, report

shop_template = cli_tests.shop_template  # the hand-worked shop with its staff, built once
shop = cli_tests.shop  # a copy of it for each test


def exports(folder):
    ledger = service.open_ledger(folder)
    try:
        with ledger.db.read() as conn:
            rows = conn.execute(
                select(t.audit_log.c.actor, t.audit_log.c.details).where(
                    t.audit_log.c.action == "export_report"
                )
            ).all()
    finally:
        ledger.db.close()
    return [(actor, json.loads(details)) for actor, details in rows]


def test_a_report_over_the_ledger_is_refused_and_the_ledger_stays(shop, capsys, monkeypatch):
    ledger_file = shop / "ledger.sqlite3"
    before = ledger_file.read_bytes()
    typed = str(ledger_file)
    code, out, err = report(
        shop, capsys, monkeypatch, "sales", *WEEKS, "--format", "csv", "--output", typed
    )
    assert code == 2 and out == ""
    assert f"{typed} is the till's ledger" in err and "[invalid_export_path]" in err
    assert ledger_file.read_bytes() == before
    code, out, _ = report(shop, capsys, monkeypatch, "sales", *WEEKS, "--format", "csv")
    assert code == 0 and out.startswith("period,segment")


def test_a_report_over_another_database_is_refused(shop, capsys, monkeypatch, tmp_path):
    backup = tmp_path / "backup.csv"
    backup.write_bytes((shop / "ledger.sqlite3").read_bytes())
    code, _, err = report(shop, capsys, monkeypatch, "points", *WEEKS, "--output", str(backup))
    assert code == 2 and "is a database" in err
    assert backup.read_bytes()[:15] == b"SQLite format 3"


def test_a_bad_output_path_is_named_as_typed_with_its_code(shop, capsys, monkeypatch, tmp_path):
    typed = str(tmp_path / "nodir" / "x.csv")
    code, _, err = report(shop, capsys, monkeypatch, "sales", *WEEKS, "--output", typed)
    assert code == 2
    assert f"{typed}: the folder" in err and "[invalid_export_path]" in err
    assert ".part" not in err
    code, _, err = report(shop, capsys, monkeypatch, "sales", *WEEKS, "--output", str(tmp_path))
    assert code == 2 and f"{tmp_path} is a folder" in err and ".part" not in err


def test_a_report_written_from_the_command_line_is_in_the_audit_log(
    shop, capsys, monkeypatch, tmp_path
):
    target = tmp_path / "sales.csv"
    code, _, _ = report(shop, capsys, monkeypatch, "sales", *WEEKS, "--output", str(target))
    assert code == 0
    [(actor, details)] = exports(shop)
    assert actor == "Мария"
    assert details["report"] == "sales" and details["format"] == "csv"
    assert details["file"] == "sales.csv" and details["rows"] == 3


def test_the_format_is_taken_from_the_files_name(shop, capsys, monkeypatch, tmp_path):
    book = tmp_path / "groups.xlsx"
    code, out, _ = report(shop, capsys, monkeypatch, "groups", *WEEKS, "--output", str(book))
    assert code == 0 and "rows written" in out
    sheet = load_workbook(book).active
    assert next(sheet.iter_rows(values_only=True))[0] == "Group"
    sheet_csv = tmp_path / "sales.csv"
    code, _, _ = report(shop, capsys, monkeypatch, "sales", *WEEKS, "--output", str(sheet_csv))
    assert sheet_csv.read_text("utf-8").startswith("period,segment,receipts")
    text = tmp_path / "sales.txt"
    code, _, _ = report(shop, capsys, monkeypatch, "sales", *WEEKS, "--output", str(text))
    assert text.read_text("utf-8").startswith("Sales, 2026-03-02 .. 2026-03-15")


def test_a_format_that_contradicts_the_files_name_is_refused(shop, capsys, monkeypatch, tmp_path):
    target = tmp_path / "x.xlsx"
    code, out, err = report(
        shop, capsys, monkeypatch, "sales", *WEEKS, "--format", "csv", "--output", str(target)
    )
    assert code == 2 and out == ""
    assert "--format csv does not go with --output" in err
    assert not target.exists()
    assert exports(shop) == []


@pytest.mark.parametrize("kind", ["groups", "tiers", "shift"])
def test_by_is_refused_where_the_report_is_one_row_per_group_tier_or_shift(
    shop, capsys, monkeypatch, kind
):
    code, out, err = report(shop, capsys, monkeypatch, kind, *WEEKS, "--by", "week")
    assert code == 2 and out == ""
    assert "--by splits only sales and points" in err


def test_one_shift_is_titled_with_its_own_days(shop, capsys, monkeypatch):
    ledger = service.open_ledger(shop)
    try:
        ivan = next(u for u in users.list_users(ledger) if u.name == "Иван")
        shift = users.open_shift(ledger, actor=ivan, at=msk(3, 2, 10))
        users.close_shift(ledger, actor=ivan, at=msk(3, 2, 19))
    finally:
        ledger.db.close()
    code, out, _ = report(shop, capsys, monkeypatch, "shift", "--shift", shift.id)
    assert code == 0
    assert out.splitlines()[0] == "Shifts, 2026-03-02 .. 2026-03-02"


def test_the_command_runs_the_due_expiries_first_as_the_window_does(shop, capsys, monkeypatch):
    """The shop's March points expired sixty days later, but nothing has carried the
    expiries out since 7 March: the command does, as the window does when it starts, so
    nothing is outstanding by the end of November."""
    code, out, _ = report(
        shop, capsys, monkeypatch, "points", "--from", "2026-03-01", "--to", "2026-11-30",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0
    header, row = out.splitlines()
    last = dict(zip(header.split(","), row.split(","), strict=True))
    assert last["liability_points"] == "0.00"
    assert Decimal(last["expired"]) > Decimal("30")
    from datetime import date

    from cashier_app.service.report_model import Period
    from cashier_app.service.reports import points_report
    from cashier_app.service.users import OPERATOR

    ledger = service.open_ledger(shop)
    try:  # the window's figures, read after its own start ran the same events
        service.run_automations(ledger)
        window = points_report(ledger, OPERATOR, Period(date(2026, 3, 1), date(2026, 11, 30)))
    finally:
        ledger.db.close()
    assert [str(v) for v in window.rows[0]] == row.split(",")
