"""A manager moves customers between groups and erases a customer's personal data on
request: the service rules, on a real ledger file."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import DBAPIError

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.service import users
from cashier_app.service.consistency import check_accounts
from cashier_app.service.customer_changes import anonymise_customer, move_to_group
from cashier_app.service.users import OPERATOR, Role
from cashier_app.storage import schema as t
from tests.conftest import MSK
from tests.shop import samosale_program

PHONE = "+79001234567"
NAME = "Анастасия Прохорова"


@pytest.fixture
def staff(ledger):
    admin = users.create_user(ledger, "Админ", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    return {
        "manager": users.create_user(ledger, "Мария", Role.MANAGER, "111111", actor=admin),
        "cashier": users.create_user(ledger, "Иван", Role.CASHIER, "3333", actor=admin),
    }


def buy(ledger, cid, amount="1000.00"):
    return service.record_sale(
        ledger, [LineInput("milk", Decimal(amount), Decimal("1"))], customer_id=cid
    )


def events_of(ledger, kind):
    with ledger.db.read() as conn:
        return conn.execute(select(t.events).where(t.events.c.kind == kind)).all()


def audit_lines(ledger, action):
    with ledger.db.read() as conn:
        return conn.execute(select(t.audit_log).where(t.audit_log.c.action == action)).all()


# -- permissions ------------------------------------------------------------------------------


def test_a_cashier_may_not_move_a_customer_to_another_group(ledger, staff):
    cid = service.register_customer(ledger, PHONE).customer.id
    with pytest.raises(LoyaltyError) as refused:
        move_to_group(ledger, staff["cashier"], [cid], "staff")
    assert refused.value.code == "not_allowed"
    assert service.get_customer(ledger, cid).group_id == "regular"
    assert events_of(ledger, "customer_group_changed") == []


def test_a_cashier_may_not_anonymise_a_customer(ledger, staff):
    cid = service.register_customer(ledger, PHONE, name=NAME).customer.id
    with pytest.raises(LoyaltyError) as refused:
        anonymise_customer(ledger, staff["cashier"], cid)
    assert refused.value.code == "not_allowed"
    assert service.get_customer(ledger, cid).name == NAME
    assert events_of(ledger, "customer_anonymised") == []


# -- moving between groups --------------------------------------------------------------------


def test_moving_to_an_unknown_group_is_refused_and_changes_nothing(ledger, staff):
    cid = service.register_customer(ledger, PHONE).customer.id
    with pytest.raises(LoyaltyError) as refused:
        move_to_group(ledger, staff["manager"], [cid], "no-such-group")
    assert refused.value.code == "unknown_group"
    assert service.get_customer(ledger, cid).group_id == "regular"


def test_a_group_the_program_in_force_dropped_is_refused(ledger, staff):
    cid = service.register_customer(ledger, PHONE).customer.id
    newer = samosale_program()
    newer["version"] = 2
    newer["groups"] = [g for g in newer["groups"] if g["id"] != "sms"]
    service.install_program(ledger, newer)
    with pytest.raises(LoyaltyError) as refused:
        move_to_group(ledger, staff["manager"], [cid], "sms")
    assert refused.value.code == "unknown_group"


def test_an_unknown_customer_in_the_list_moves_no_one(ledger, staff):
    cid = service.register_customer(ledger, PHONE).customer.id
    with pytest.raises(LoyaltyError) as refused:
        move_to_group(
            ledger, staff["manager"], [cid, "0190f000-0000-7000-8000-000000000000"], "staff"
        )
    assert refused.value.code == "unknown_customer"
    assert service.get_customer(ledger, cid).group_id == "regular"


def test_moved_to_staff_a_customer_keeps_points_and_later_sales_get_the_discount(ledger, staff):
    cid = service.register_customer(ledger, PHONE).customer.id
    first = buy(ledger, cid)
    assert first.quote.accrued == Decimal("30")  # 3 % as a regular customer
    assert move_to_group(ledger, staff["manager"], [cid], "staff") == 1
    view = service.get_customer(ledger, cid)
    assert (view.group_id, view.balance) == ("staff", Decimal("30"))  # points stay
    second = buy(ledger, cid)
    assert second.quote.discount == Decimal("100.00")  # staff: 10 % off
    assert second.quote.accrued == Decimal("0")  # and no points
    assert move_to_group(ledger, staff["manager"], [cid], "regular") == 1
    third = buy(ledger, cid)
    assert (third.quote.discount, third.quote.accrued) == (Decimal("0.00"), Decimal("30"))
    assert check_accounts(ledger).problems == []  # the replay reads the same groups


def test_only_customers_who_change_group_get_an_event_and_an_audit_line(ledger, staff):
    a = service.register_customer(ledger, PHONE).customer.id
    b = service.register_customer(ledger, "+79001234568", group="staff").customer.id
    assert move_to_group(ledger, staff["manager"], [a, b, a], "staff") == 1
    changed = events_of(ledger, "customer_group_changed")
    assert [json.loads(e.payload) for e in changed] == [
        {"customer_id": a, "group": "staff", "previous_group": "regular"}
    ]
    (line,) = audit_lines(ledger, "move_customer_group")
    assert (line.subject, line.actor, line.user_id) == (a, "Мария", staff["manager"].id)
    assert json.loads(line.details) == {"from": "regular", "to": "staff"}
    with ledger.db.read() as conn:
        assert conn.execute(select(t.outbox.c.event_id)).scalars().all()[-1] == changed[0].id


# -- anonymising ------------------------------------------------------------------------------


def every_value_in_the_file(ledger):
    """Every value of every table of the ledger, the name index's own tables included."""
    with ledger.db.read() as conn:
        tables = inspect(conn).get_table_names()
        for name in tables:
            for row in conn.exec_driver_sql(f'SELECT * FROM "{name}"'):
                for value in row:
                    if isinstance(value, bytes):
                        yield value.decode("utf-8", "replace")
                    elif value is not None:
                        yield str(value)


def test_anonymising_erases_the_person_everywhere_in_the_ledger_and_keeps_the_sums(ledger, staff):
    reg = service.register_customer(
        ledger, PHONE, name=NAME, birthday=date(1990, 7, 14), consent=True
    )
    cid = reg.customer.id
    buy(ledger, cid, "2000.00")
    before = service.get_customer(ledger, cid)
    anonymise_customer(ledger, staff["manager"], cid)

    found = [v for v in every_value_in_the_file(ledger) if PHONE in v or "79001234567" in v]
    assert found == []
    words = ("Анастасия", "Прохорова", "анастасия", "прохорова", "1990-07-14")
    assert [v for v in every_value_in_the_file(ledger) if any(w in v for w in words)] == []

    after = service.get_customer(ledger, cid)
    assert (after.phone, after.name, after.birthday) == ("", "", None)
    assert (after.balance, after.tier_basis) == (before.balance, before.tier_basis)
    assert after.cards == ()  # its cards no longer work
    assert service.find_by_phone(ledger, PHONE) is None
    assert service.find_by_card(ledger, reg.card) is None
    assert service.search_customers(ledger, "Анастасия") == []
    assert service.search_customers(ledger, PHONE[-4:]) == []
    with ledger.db.read() as conn:
        receipts = conn.execute(select(t.receipts.c.customer_id)).scalars().all()
        stamped = conn.execute(
            select(t.customers.c.anonymised_at).where(t.customers.c.id == cid)
        ).scalar()
    assert receipts == [cid] and stamped is not None  # the receipt stays, of no one named
    assert check_accounts(ledger).problems == []


def test_the_audit_line_names_the_customer_by_id_only(ledger, staff):
    cid = service.register_customer(ledger, PHONE, name=NAME).customer.id
    anonymise_customer(ledger, staff["manager"], cid)
    (line,) = audit_lines(ledger, "anonymise_customer")
    assert (line.subject, line.actor, json.loads(line.details)) == (cid, "Мария", {})


def test_anonymising_twice_is_refused(ledger, staff):
    cid = service.register_customer(ledger, PHONE).customer.id
    anonymise_customer(ledger, staff["manager"], cid)
    with pytest.raises(LoyaltyError) as refused:
        anonymise_customer(ledger, staff["manager"], cid)
    assert refused.value.code == "already_anonymised"


def test_the_phone_can_register_again_as_a_new_customer(ledger, staff):
    cid = service.register_customer(ledger, PHONE, name=NAME).customer.id
    anonymise_customer(ledger, staff["manager"], cid)
    again = service.register_customer(ledger, PHONE, name="Настя").customer
    assert again.id != cid and service.find_by_phone(ledger, PHONE) == again.id


def test_birthday_bonuses_had_stay_and_no_later_one_comes(make_ledger, clock):
    program = samosale_program(birthday={"points": "500", "days_before": 5})
    ledger = make_ledger(program)
    cid = service.register_customer(ledger, PHONE, birthday=date(1990, 3, 20)).customer.id
    clock.now = datetime(2026, 3, 16, 9, 0, tzinfo=MSK)  # the bonus came on the 15th
    service.run_automations(ledger)
    assert service.get_customer(ledger, cid).balance == Decimal("500")
    anonymise_customer(ledger, OPERATOR, cid)
    clock.now = datetime(2027, 3, 30, 9, 0, tzinfo=MSK)
    service.run_automations(ledger)
    assert service.get_customer(ledger, cid).balance == Decimal("500")  # no 2027 bonus
    assert check_accounts(ledger).problems == []  # the replay gives the same points


def test_a_group_change_and_an_anonymisation_replay_to_the_same_account(ledger, clock):
    cid = service.register_customer(ledger, PHONE, name=NAME).customer.id
    buy(ledger, cid)
    clock.now += timedelta(days=1)
    move_to_group(ledger, OPERATOR, [cid], "vip")
    clock.now += timedelta(days=1)
    buy(ledger, cid, "600.00")
    clock.now += timedelta(days=1)
    anonymise_customer(ledger, OPERATOR, cid)
    clock.now += timedelta(days=70)  # the first points expire
    buy(ledger, cid, "100.00")
    report = check_accounts(ledger)
    assert (report.customers, report.problems) == (1, [])


# -- the ledger stays immutable but for the erasure -------------------------------------------


def test_the_ledger_still_refuses_to_change_any_other_event(ledger, staff):
    cid = service.register_customer(ledger, PHONE, name=NAME).customer.id
    sale = buy(ledger, cid)
    (registration,) = events_of(ledger, "customer_registered")
    renamed = {**json.loads(registration.payload), "name": "Someone else"}
    attempts = [
        (sale.event_id, '{"receipt_id":"x"}'),
        (registration.id, json.dumps(renamed)),  # a change that erases nothing
    ]
    for event_id, payload in attempts:
        with pytest.raises(DBAPIError, match="immutable"), ledger.db.write() as conn:
            conn.execute(update(t.events).where(t.events.c.id == event_id).values(payload=payload))
