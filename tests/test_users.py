"""Roles and PINs: permissions are enforced by the service layer itself."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service import users
from cashier_app.service.users import OPERATOR, Role
from cashier_app.storage import schema as t

LATTE = [LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")]


@pytest.fixture
def staff(ledger):
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    return {
        "admin": admin,
        "manager": users.create_user(ledger, "Мария", Role.MANAGER, "111111", actor=admin),
        "senior": users.create_user(ledger, "Ольга", Role.SENIOR_CASHIER, "2222", actor=admin),
        "cashier": users.create_user(ledger, "Иван", Role.CASHIER, "3333", actor=admin),
    }


def test_the_first_user_must_be_an_administrator(ledger):
    with pytest.raises(LoyaltyError) as err:
        users.create_user(ledger, "Иван", Role.CASHIER, "1234", actor=OPERATOR)
    assert err.value.code == "first_user_admin"
    assert not users.has_users(ledger)


def test_login_with_the_right_pin(ledger, staff):
    me = users.login(ledger, "Иван", "3333")
    assert (me.name, me.role) == ("Иван", Role.CASHIER)


def test_five_wrong_pins_lock_the_user_for_a_while(ledger, staff, clock):
    for left in ("4 tries", "3 tries", "2 tries", "1 try"):
        with pytest.raises(LoyaltyError, match=rf"\({left} left\)"):
            users.login(ledger, "Иван", "0000")
    with pytest.raises(LoyaltyError) as err:
        users.login(ledger, "Иван", "0000")
    assert err.value.code == "user_locked"
    with pytest.raises(LoyaltyError) as err:
        users.login(ledger, "Иван", "3333")  # even the right PIN, while locked
    assert err.value.code == "user_locked"
    clock.now += timedelta(minutes=5, seconds=1)
    assert users.login(ledger, "Иван", "3333").name == "Иван"


def test_pins_are_stored_as_argon2_hashes(ledger, staff):
    with ledger.db.read() as conn:
        hashes = conn.execute(select(t.users.c.pin_hash)).scalars().all()
    assert all(h.startswith("$argon2") for h in hashes)
    assert not any(pin in h for h in hashes for pin in ("111111", "2222", "3333", "999999"))


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", "١٢٣٤"])
def test_a_pin_is_4_to_8_digits(ledger, pin):
    with pytest.raises(LoyaltyError) as err:
        users.create_user(ledger, "Admin", Role.ADMINISTRATOR, pin, actor=OPERATOR)
    assert err.value.code == "invalid_pin"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMINISTRATOR])
def test_a_manager_or_administrator_needs_6_digits(ledger, staff, role):
    with pytest.raises(LoyaltyError) as err:
        users.create_user(ledger, f"new {role}", role, "12345", actor=staff["admin"])
    assert err.value.code == "pin_too_short" and "6 to 8 digits" in err.value.message
    assert users.create_user(ledger, f"new {role}", role, "123456", actor=staff["admin"])


@pytest.mark.parametrize("role", [Role.CASHIER, Role.SENIOR_CASHIER])
def test_a_cashier_keeps_4_digits(ledger, staff, role):
    assert users.create_user(ledger, f"new {role}", role, "1234", actor=staff["admin"])


def test_a_short_pin_set_before_the_rule_still_logs_in(ledger, staff):
    """A manager the server distributed with a 4-digit PIN (set before the rule) is not
    locked out: the rule applies when a PIN is set, not at login."""
    from argon2 import PasswordHasher

    with ledger.db.write() as conn:
        users.user_from_server(
            conn, "Старый", "manager", PasswordHasher().hash("4321"), True, ledger.clock()
        )
    assert users.login(ledger, "Старый", "4321").role is Role.MANAGER


def test_the_pin_rule_is_one_function_for_the_till_and_the_server():
    from cashier_app.engine.pins import check_pin

    check_pin("1234", "cashier")
    check_pin(None, "manager", previous_role="manager")  # keeps the PIN they have
    check_pin(None, "cashier", previous_role="manager")
    for pin, role, before in [("1234", "manager", None), (None, "administrator", "cashier"),
                              (None, "manager", None)]:  # fmt: skip
        with pytest.raises(LoyaltyError) as err:
            check_pin(pin, role, previous_role=before)
        assert err.value.code == "pin_too_short"


def test_a_cashier_is_refused_a_managers_action_by_the_service(ledger, staff):
    cashier = staff["cashier"]
    cid = service.register_customer(ledger, "+79001234567", actor=cashier).customer.id
    users.open_shift(ledger, actor=cashier)
    sale = service.record_sale(ledger, LATTE, customer_id=cid, actor=cashier)
    for call in (
        lambda: service.adjust_balance(ledger, cid, Decimal("100"), "gift", actor=cashier),
        lambda: service.record_return(
            ledger, sale.number, [ReturnRequest("latte", Decimal(1))], actor=cashier
        ),
        lambda: service.install_program(ledger, {}, actor=cashier),
        lambda: users.create_user(ledger, "Пётр", Role.CASHIER, "4444", actor=cashier),
    ):
        with pytest.raises(LoyaltyError) as err:
            call()
        assert err.value.code == "not_allowed"


def test_a_senior_cashier_may_take_a_return(ledger, staff):
    users.open_shift(ledger, actor=staff["cashier"])
    sale = service.record_sale(ledger, LATTE, actor=staff["cashier"])
    back = service.record_return(
        ledger, sale.number, [ReturnRequest("latte", Decimal(1))], actor=staff["senior"]
    )
    assert back.refunded == Decimal("250.00")


def test_a_manager_adds_staff_but_not_administrators_or_managers(ledger, staff):
    manager = staff["manager"]
    users.create_user(ledger, "Пётр", Role.CASHIER, "4444", actor=manager)
    for role in (Role.ADMINISTRATOR, Role.MANAGER):
        with pytest.raises(LoyaltyError) as err:
            users.create_user(ledger, f"new {role}", role, "444444", actor=manager)
        assert err.value.code == "not_allowed"
    with pytest.raises(LoyaltyError) as err:
        users.create_user(ledger, "Пётр", Role.CASHIER, "5555", actor=manager)
    assert err.value.code == "duplicate_user"


def test_a_cashier_sells_only_within_an_open_shift(ledger, staff):
    cashier = staff["cashier"]
    with pytest.raises(LoyaltyError) as err:
        service.record_sale(ledger, LATTE, actor=cashier)
    assert err.value.code == "no_open_shift"
    shift = users.open_shift(ledger, actor=cashier)
    with pytest.raises(LoyaltyError) as err:
        users.open_shift(ledger, actor=cashier)
    assert err.value.code == "shift_already_open"
    sale = service.record_sale(ledger, LATTE, actor=cashier)
    with ledger.db.read() as conn:
        row = conn.execute(
            select(t.receipts.c.shift_id, t.receipts.c.cashier_id).where(
                t.receipts.c.number == sale.number
            )
        ).one()
    assert (row.shift_id, row.cashier_id) == (shift.id, cashier.id)
    users.close_shift(ledger, actor=cashier)
    assert users.current_shift(ledger, cashier) is None
    with pytest.raises(LoyaltyError):
        service.record_sale(ledger, LATTE, actor=cashier)
