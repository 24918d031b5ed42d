"""Checking an old system's rows and bringing the good ones over: every kind of bad row
named with its row and column, the good ones registered with their opening balance, a
second import of the same file changing nothing, and a cashier refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.event_check import check_event
from cashier_app.service import users
from cashier_app.service.consistency import check_accounts
from cashier_app.service.customer_import import (
    guess_mapping,
    read_customer_file,
    save_report,
    validate,
)
from cashier_app.service.customer_import_write import import_customers
from cashier_app.service.users import OPERATOR, Role
from cashier_app.storage import schema as t
from tests.customer_import.conftest import RUSSIAN_ROWS, write_csv

BAD_ROWS = [
    "Телефон;ФИО;Дата рождения;Группа;Бонусы;Карта",
    "8 900 111-22-33;Анна;12.03.1985;;150;",  # 2: good
    "12345;Пётр;;;;",  # 3: bad phone
    "8 900 444-55-66;Дубль один;;;;",  # 4: same phone as 5
    "+7 900 444 55 66;Дубль два;;;;",  # 5
    "89005556677;Вера;31.02.1990;;;",  # 6: bad date
    "89006667788;Глеб;;Золотые;;",  # 7: unknown group
    "89007778899;Дина;;;-5;",  # 8: negative balance
    "89008889900;Егор;;;10.5;",  # 9: not whole points
    "89009990011;Жанна;;;200000;",  # 10: worth more than the server takes unreviewed
    "89001110022;Зоя;;Только рассылки;10;",  # 11: a group without points
    "89002220033;Илья;;;;12345",  # 12: not a card number
    "89003330044;Кира;;;;2000000000015",  # 13: good, with her own card
    "",  # an empty line is no row
]


def _file(tmp_path, lines, name="old.csv"):
    return read_customer_file(write_csv(tmp_path / name, lines, "cp1251"))


def _count(ledger, table) -> int:
    with ledger.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_every_bad_row_is_named_with_its_row_and_column(tmp_path, ledger, staff):
    f = _file(tmp_path, BAD_ROWS)
    report = validate(ledger, staff["manager"], f, guess_mapping(f.headers))
    found = {(p.row, p.column, p.problem) for p in report.problems}
    assert found == {
        (3, "Телефон", "bad_phone"),
        (4, "Телефон", "duplicate_phone"),
        (5, "Телефон", "duplicate_phone"),
        (6, "Дата рождения", "bad_date"),
        (7, "Группа", "unknown_group"),
        (8, "Бонусы", "bad_balance"),
        (9, "Бонусы", "bad_balance"),
        (10, "Бонусы", "bad_balance"),
        (11, "Бонусы", "bad_balance"),
        (12, "Карта", "bad_card"),
    }
    duplicate = next(p for p in report.problems if p.row == 4)
    assert "5" in duplicate.message
    assert [r.row for r in report.valid] == [2, 13]
    assert report.rows == 12 and report.bad_rows == 10
    assert _count(ledger, t.events) == 0  # checking writes nothing


def test_the_report_is_saved_as_csv_and_as_a_workbook(tmp_path, ledger, staff):
    f = _file(tmp_path, BAD_ROWS)
    report = validate(ledger, staff["manager"], f, guess_mapping(f.headers))
    save_report(report, tmp_path / "report.csv")
    text = (tmp_path / "report.csv").read_text("utf-8-sig")
    assert text.splitlines()[0] == "row;column;problem;message"
    assert "6;Дата рождения;bad_date;" in text
    save_report(report, tmp_path / "report.xlsx")
    sheet = load_workbook(tmp_path / "report.xlsx").active
    assert sheet.max_row == len(report.problems) + 1


def test_valid_rows_become_customers_with_their_opening_balance(tmp_path, welcome_ledger):
    ledger = welcome_ledger
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    manager = users.create_user(ledger, "Мария", Role.MANAGER, "333333", actor=admin)
    f = _file(tmp_path, RUSSIAN_ROWS)
    result = import_customers(ledger, manager, f, guess_mapping(f.headers))
    assert (result.imported, result.unchanged, result.report.problems) == (3, 0, [])
    anna = service.get_customer(ledger, service.find_by_phone(ledger, "89001112233"))
    assert (anna.name, str(anna.birthday), anna.group_id) == (
        "Анна Смирнова",
        "1985-03-12",
        "regular",
    )
    # No welcome bonus: 150 is what the old system owed her.
    assert anna.balance == Decimal("150")
    assert len(anna.cards) == 1
    ivan = service.get_customer(ledger, service.find_by_phone(ledger, "+79002223344"))
    assert (ivan.group_id, ivan.balance) == ("vip", 0)
    olga = service.get_customer(ledger, service.find_by_phone(ledger, "89003334455"))
    assert olga.balance == Decimal("1200")  # "1 200" as Excel writes thousands
    with ledger.db.read() as conn:
        lot = conn.execute(select(t.lots).where(t.lots.c.customer_id == anna.id)).one()
        reason = conn.execute(
            select(t.events.c.payload).where(
                t.events.c.customer_id == anna.id, t.events.c.kind == "adjustment"
            )
        ).scalar_one()
        consent = conn.execute(
            select(t.customers.c.consent_at).where(t.customers.c.id == anna.id)
        ).scalar_one()
        audit = conn.execute(
            select(t.audit_log).where(t.audit_log.c.action == "import_customers")
        ).one()
    assert (lot.kind, lot.points, lot.remaining) == ("manual", Decimal("150"), Decimal("150"))
    assert json.loads(reason)["reason"] == "opening balance (import of old.csv)"
    assert consent is not None
    assert audit.subject == "old.csv" and audit.user_id == manager.id
    assert json.loads(audit.details)["imported"] == 3
    # The ledger's own check replays every customer's events: the till and a replay agree.
    check = check_accounts(ledger)
    assert (check.customers, check.problems) == (3, [])


def test_importing_the_same_file_again_changes_nothing(tmp_path, ledger, staff):
    f = _file(tmp_path, BAD_ROWS)
    mapping = guess_mapping(f.headers)
    first = import_customers(ledger, staff["manager"], f, mapping)
    assert first.imported == 2
    counts = {tb.name: _count(ledger, tb) for tb in (t.events, t.customers, t.cards, t.lots)}
    again = import_customers(ledger, staff["manager"], f, mapping)
    assert again.imported == 0
    assert again.unchanged == 2  # the rows brought over the first time
    assert counts == {
        tb.name: _count(ledger, tb) for tb in (t.events, t.customers, t.cards, t.lots)
    }


def test_a_phone_already_in_the_base_is_left_as_it_is(tmp_path, ledger, staff):
    service.register_customer(ledger, "+79001112233", name="Анна из кассы")
    f = _file(tmp_path, RUSSIAN_ROWS)
    report = validate(ledger, staff["manager"], f, guess_mapping(f.headers))
    assert report.unchanged == [2]
    result = import_customers(ledger, staff["manager"], f, guess_mapping(f.headers))
    assert result.imported == 2
    anna = service.get_customer(ledger, service.find_by_phone(ledger, "89001112233"))
    assert anna.name == "Анна из кассы"


def test_a_card_someone_holds_is_a_problem(tmp_path, ledger, staff):
    held = service.register_customer(ledger, "+79001112299").card
    lines = ["phone;card", f"89001112233;{held}", "89001112234;"]
    f = _file(tmp_path, lines)
    report = validate(ledger, staff["manager"], f, guess_mapping(f.headers))
    assert [(p.row, p.problem) for p in report.problems] == [(2, "duplicate_card")]
    result = import_customers(ledger, staff["manager"], f, guess_mapping(f.headers))
    assert result.imported == 1


def test_a_file_card_is_kept_and_new_ones_are_issued(tmp_path, ledger, staff):
    f = _file(tmp_path, BAD_ROWS)
    import_customers(ledger, staff["manager"], f, guess_mapping(f.headers))
    kira = service.get_customer(ledger, service.find_by_phone(ledger, "89003330044"))
    assert kira.cards == ("2000000000015",)
    assert service.find_by_card(ledger, "2000000000015") == kira.id


def test_a_cashier_may_not_import_customers(tmp_path, ledger, staff):
    f = _file(tmp_path, RUSSIAN_ROWS)
    for step in (validate, import_customers):
        with pytest.raises(LoyaltyError) as caught:
            step(ledger, staff["cashier"], f, guess_mapping(f.headers))
        assert caught.value.code == "not_allowed"
    assert _count(ledger, t.customers) == 0


def test_a_file_without_a_phone_column_is_refused(tmp_path, ledger, staff):
    f = _file(tmp_path, ["ФИО", "Анна"])
    with pytest.raises(LoyaltyError) as caught:
        validate(ledger, staff["manager"], f, guess_mapping(f.headers))
    assert caught.value.code == "phone_column_missing"


def test_the_imported_events_are_well_formed_for_the_server(tmp_path, ledger, staff):
    f = _file(tmp_path, RUSSIAN_ROWS)
    import_customers(ledger, staff["manager"], f, guess_mapping(f.headers))
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(t.events, t.outbox.c.sent_at).join(
                t.outbox, t.outbox.c.event_id == t.events.c.id
            )
        ).all()
    assert sorted(r.kind for r in rows) == ["adjustment"] * 2 + ["customer_registered"] * 3
    seqs = sorted(r.device_seq for r in rows)
    assert seqs == list(range(seqs[0], seqs[0] + 5))  # gapless
    for r in rows:
        check_event(
            {"id": r.id, "device_seq": r.device_seq, "kind": r.kind, "at": r.at.isoformat(),
             "customer_id": r.customer_id, "program_version": r.program_version,
             "payload": json.loads(r.payload)},
            r.recorded_at,
        )  # fmt: skip


def test_a_customer_registered_at_the_counter_after_the_check_is_left_unchanged(
    tmp_path, ledger, staff
):
    f = _file(tmp_path, RUSSIAN_ROWS)
    mapping = guess_mapping(f.headers)
    checked = validate(ledger, staff["manager"], f, mapping)
    assert checked.importable == 3
    service.register_customer(ledger, "+79002223344", name="Иван у кассы")
    result = import_customers(ledger, staff["manager"], f, mapping, checked=checked)
    assert (result.imported, result.unchanged) == (2, 1)
    ivan = service.get_customer(ledger, service.find_by_phone(ledger, "+79002223344"))
    assert ivan.name == "Иван у кассы"
    assert _count(ledger, t.customers) == 3


def test_a_check_made_with_another_mapping_is_not_reused(tmp_path, ledger, staff):
    f = _file(tmp_path, RUSSIAN_ROWS)
    mapping = guess_mapping(f.headers)
    checked = validate(ledger, staff["manager"], f, {"phone": 0})
    result = import_customers(ledger, staff["manager"], f, mapping, checked=checked)
    anna = service.get_customer(ledger, service.find_by_phone(ledger, "89001112233"))
    assert (result.imported, anna.name, anna.balance) == (3, "Анна Смирнова", Decimal("150"))


def test_an_opening_balance_is_credited_once_whatever_happens_next(tmp_path, ledger, staff):
    """Anna brings 150 points over; a manager then adds 10. Her opening lot was credited
    by the import: the next operation on her account must not credit it again."""
    f = _file(tmp_path, RUSSIAN_ROWS)
    import_customers(ledger, staff["manager"], f, guess_mapping(f.headers))
    anna = service.find_by_phone(ledger, "89001112233")
    service.adjust_balance(ledger, anna, Decimal("10"), "a kind word", actor=staff["manager"])
    with ledger.db.read() as conn:
        credits = conn.execute(
            select(t.lot_movements.c.points).where(
                t.lot_movements.c.customer_id == anna, t.lot_movements.c.kind == "credit"
            )
        ).scalars()
        assert sorted(credits) == [Decimal("10"), Decimal("150")]
    assert service.get_customer(ledger, anna).balance == Decimal("160")
