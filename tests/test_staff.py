"""Staff changes by the rules: who may change whom, the last administrator, and the audit
log that keeps every change and login, which the database itself will not let anyone
rewrite."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import audit, staff, users
from cashier_app.service.audit import AuditFilter
from cashier_app.service.users import OPERATOR, Role
from cashier_app.storage import schema as t


@pytest.fixture
def team(ledger):
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    return {
        "admin": admin,
        "manager": users.create_user(ledger, "Мария", Role.MANAGER, "111111", actor=admin),
        "senior": users.create_user(ledger, "Ольга", Role.SENIOR_CASHIER, "2222", actor=admin),
        "cashier": users.create_user(ledger, "Иван", Role.CASHIER, "3333", actor=admin),
    }


def log(ledger, action=None):
    admin = users.Actor(None, "auditor", Role.ADMINISTRATOR)
    return audit.audit_entries(ledger, admin, AuditFilter(action=action))


def role_of(ledger, name):
    return next(u.role for u in users.list_users(ledger, include_inactive=True) if u.name == name)


def refused(code, call, *args, **kw):
    with pytest.raises(LoyaltyError) as err:
        call(*args, **kw)
    assert err.value.code == code, err.value.message


def test_a_manager_makes_a_cashier_a_senior_cashier(ledger, team):
    staff.set_role(ledger, team["manager"], "Иван", Role.SENIOR_CASHIER)
    assert role_of(ledger, "Иван") is Role.SENIOR_CASHIER
    line = log(ledger, "user_role_changed")[0]
    assert (line.user, line.subject) == ("Мария", "Иван")
    assert line.details == {"from": "cashier", "to": "senior_cashier", "new_pin": False}


def test_a_manager_may_not_make_a_manager_or_touch_one(ledger, team):
    refused("not_allowed", staff.set_role, ledger, team["manager"], "Иван", Role.MANAGER)
    refused("not_allowed", staff.set_role, ledger, team["manager"], "Admin", Role.CASHIER)
    refused("not_allowed", staff.reset_pin, ledger, team["manager"], "Admin", "123456")
    refused("not_allowed", staff.deactivate_user, ledger, team["manager"], "Admin")
    assert role_of(ledger, "Иван") is Role.CASHIER


def test_a_promotion_to_manager_needs_a_long_new_pin(ledger, team):
    refused("pin_too_short", staff.set_role, ledger, team["admin"], "Иван", Role.MANAGER)
    staff.set_role(ledger, team["admin"], "Иван", Role.MANAGER, new_pin="246810")
    assert users.login(ledger, "Иван", "246810").role is Role.MANAGER


@pytest.mark.parametrize("who", ["cashier", "senior"])
def test_a_cashier_is_refused_every_staff_change(ledger, team, who):
    actor = team[who]
    refused("not_allowed", staff.list_staff, ledger, actor=actor)
    refused("not_allowed", staff.set_role, ledger, actor, "Иван", Role.CASHIER)
    refused("not_allowed", staff.reset_pin, ledger, actor, "Мария", "121212")
    refused("not_allowed", staff.deactivate_user, ledger, actor, "Мария")
    refused("not_allowed", users.create_user, ledger, "Пётр", Role.CASHIER, "4444", actor=actor)


def test_nobody_demotes_or_deactivates_the_last_administrator(ledger, team):
    admin = team["admin"]
    refused("last_administrator", staff.set_role, ledger, admin, "Admin", Role.MANAGER)
    other = users.create_user(ledger, "Second", Role.ADMINISTRATOR, "888888", actor=admin)
    refused("own_account", staff.deactivate_user, ledger, admin, "Admin")
    staff.deactivate_user(ledger, other, "Admin")
    refused("last_administrator", staff.set_role, ledger, other, "Second", Role.MANAGER)
    refused("own_account", staff.deactivate_user, ledger, other, "Second")
    staff.activate_user(ledger, other, "Admin")
    staff.set_role(ledger, admin, "Second", Role.MANAGER)  # two administrators: one may go
    assert role_of(ledger, "Second") is Role.MANAGER


def test_nobody_raises_their_own_role(ledger, team):
    refused("own_role", staff.set_role, ledger, team["manager"], "Мария", Role.ADMINISTRATOR)
    refused("own_role", staff.set_role, ledger, team["cashier"], "Иван", Role.SENIOR_CASHIER)
    assert role_of(ledger, "Мария") is Role.MANAGER


def test_a_deactivated_user_cannot_log_in_and_comes_back_when_activated(ledger, team):
    staff.deactivate_user(ledger, team["manager"], "Иван")
    refused("unknown_user", users.login, ledger, "Иван", "3333")
    assert [m.active for m in staff.list_staff(ledger, actor=team["manager"]) if m.name == "Иван"] == [False]  # fmt: skip
    assert "Иван" not in [u.name for u in users.list_users(ledger)]
    staff.activate_user(ledger, team["manager"], "Иван")
    assert users.login(ledger, "Иван", "3333").name == "Иван"
    actions = [(x.action, x.subject) for x in log(ledger) if x.action.startswith("user_")]
    assert actions[:2] == [("user_activated", "Иван"), ("user_deactivated", "Иван")]


def test_a_pin_reset_lifts_a_lock_and_anyone_changes_their_own(ledger, team):
    for _ in range(5):
        with pytest.raises(LoyaltyError):
            users.login(ledger, "Иван", "0000")
    refused("user_locked", users.login, ledger, "Иван", "3333")
    staff.reset_pin(ledger, team["manager"], "Иван", "5555")
    assert users.login(ledger, "Иван", "5555").name == "Иван"
    staff.reset_pin(ledger, team["cashier"], "Иван", "7777")  # their own
    assert users.login(ledger, "Иван", "7777").name == "Иван"
    refused("invalid_pin", staff.reset_pin, ledger, team["manager"], "Иван", "12")
    refused("pin_too_short", staff.reset_pin, ledger, team["admin"], "Мария", "1234")
    assert [x.subject for x in log(ledger, "user_pin_reset")] == ["Иван", "Иван"]


def test_an_unknown_user_is_refused_plainly(ledger, team):
    refused("unknown_user", staff.set_role, ledger, team["admin"], "Никто", Role.CASHIER)


def test_logins_and_wrong_pins_are_in_the_audit_log_with_user_and_till(ledger, team):
    users.login(ledger, "Иван", "3333")
    for _ in range(5):
        with pytest.raises(LoyaltyError):
            users.login(ledger, "Ольга", "0000", via="command line")
    lines = log(ledger)
    assert [x.action for x in lines[:6]] == ["user_locked"] + ["wrong_pin"] * 4 + ["login"]
    assert lines[0].details == {"via": "command line", "failed_pins": 5}
    assert lines[5].user == "Иван" and lines[5].till  # the till's name
    assert {x.action for x in log(ledger)} >= {"create_user", "login", "wrong_pin"}


def test_the_audit_log_filters_by_user_and_action_and_refuses_a_cashier(ledger, team):
    users.login(ledger, "Иван", "3333")
    users.login(ledger, "Мария", "111111")
    manager = team["manager"]
    only = audit.audit_entries(ledger, manager, AuditFilter(user="Мария", action="login"))
    assert [(x.user, x.action) for x in only] == [("Мария", "login")]
    names, actions = audit.audit_choices(ledger, manager)
    assert {"Мария", "Иван"} <= set(names) and "login" in actions
    refused("not_allowed", audit.audit_entries, ledger, team["cashier"])
    refused("not_allowed", audit.audit_choices, ledger, team["senior"])


def test_the_database_refuses_to_change_or_delete_an_audit_line(ledger, team):
    users.login(ledger, "Иван", "3333")
    for statement in (
        "UPDATE audit_log SET actor = 'nobody'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(DatabaseError, match="append-only"), ledger.db.write() as conn:
            conn.execute(text(statement))
    with ledger.db.read() as conn:
        actors = set(conn.execute(select(t.audit_log.c.actor)).scalars())
    assert "nobody" not in actors and "Иван" in actors


def test_staff_changes_on_an_enrolled_till_are_refused_here(ledger, team):
    with ledger.db.write() as conn:
        conn.execute(
            t.sync_state.insert().values(
                id=1, server_url="https://central.example", device_id="d", token="x", cursor=0
            )
        )
    refused("staff_via_server", staff.set_role, ledger, team["admin"], "Иван", Role.SENIOR_CASHIER)
    refused("staff_via_server", staff.deactivate_user, ledger, team["admin"], "Иван")
    refused("staff_via_server", staff.reset_pin, ledger, team["admin"], "Иван", "4321")
    refused("staff_via_server", users.create_user, ledger, "Пётр", Role.CASHIER, "4444", actor=team["admin"])  # fmt: skip
    assert role_of(ledger, "Иван") is Role.CASHIER
    assert json.dumps  # the log is untouched by refusals
    assert not log(ledger, "user_role_changed")


def test_a_return_is_in_the_audit_log_with_who_gave_the_money_back(ledger, team):
    from decimal import Decimal

    from cashier_app import service
    from cashier_app.engine.receipt import LineInput
    from cashier_app.engine.returns import ReturnRequest

    latte = [LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")]
    service.record_sale(ledger, latte, number="A-1")
    service.record_return(
        ledger, "A-1", [ReturnRequest("latte", Decimal("1"))], actor=team["senior"]
    )
    line = log(ledger, "return")[0]
    assert (line.user, line.subject, line.details["refunded"]) == ("Ольга", "A-1", "250.00")
