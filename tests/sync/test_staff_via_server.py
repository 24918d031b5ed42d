"""On an enrolled till, staff changes go through the central server, which checks the
acting user's PIN and role against its own staff list for the till's store; the server's
answer is applied on the till at once and reaches the store's other tills by the feed.
Offline, or refused, nothing changes anywhere."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select, update

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import audit, staff, users
from cashier_app.service.audit import AuditFilter
from cashier_app.service.users import Role
from cashier_app.storage import schema as t
from cashier_app.sync import staff as staff_changes
from cashier_app.sync import worker
from central_server import schema as s
from central_server.ledger import ALL_STORES
from tests.shop import samosale_program
from tests.sync.conftest import ADMIN

AUTH = {"Authorization": f"Bearer {ADMIN}"}


def put_user(server, name, role, pin, store):
    body = {"name": name, "role": role, "pin": pin, "store": store}
    answer = requests.put(server.url + "/v1/admin/users", headers=AUTH, json=body, timeout=10)
    assert answer.status_code == 204, answer.text


def shop_till(server, tmp_path, name: str, store: str):
    ledger = service.open_ledger(tmp_path / name, device_name=name)
    service.install_program(ledger, samosale_program())
    worker.enrol(ledger, server.url, server.store.issue_code(store), name)
    worker.sync_once(ledger, worker.client_for(ledger))
    return ledger


def on_server(server) -> dict[str, tuple[str, bool, str | None]]:
    with server.store.engine.connect() as conn:
        return {r.name: (r.role, r.active, r.store) for r in conn.execute(select(s.users))}


def on_till(ledger) -> dict[str, tuple[str, bool]]:
    with ledger.db.read() as conn:
        return {r.name: (r.role, r.active) for r in conn.execute(select(t.users))}


@pytest.fixture
def shop(sqlite_server, tmp_path):
    put_user(sqlite_server, "Мария", "manager", "111111", "A")
    put_user(sqlite_server, "Иван", "cashier", "3333", "A")
    put_user(sqlite_server, "Вера", "administrator", "999999", ALL_STORES)
    put_user(sqlite_server, "Борис", "cashier", "4444", "B")
    ledger = shop_till(sqlite_server, tmp_path, "till-a1", "A")
    yield sqlite_server, ledger
    ledger.db.close()


def refused(code, call, *args, **kw):
    with pytest.raises(LoyaltyError) as err:
        call(*args, **kw)
    assert err.value.code == code, err.value.message
    return err.value


def test_a_manager_promotes_a_cashier_through_the_server_and_the_other_till_follows(shop, tmp_path):
    server, ledger = shop
    maria = users.login(ledger, "Мария", "111111")
    staff_changes.set_role(ledger, maria, "Иван", Role.SENIOR_CASHIER, actor_pin="111111")
    assert on_server(server)["Иван"] == ("senior_cashier", True, "A")
    assert on_till(ledger)["Иван"] == ("senior_cashier", True)
    line = audit.audit_entries(ledger, maria, AuditFilter(action="user_role_changed"))[0]
    assert (line.user, line.subject, line.details["via"]) == ("Мария", "Иван", "central server")
    other = shop_till(server, tmp_path, "till-a2", "A")
    try:
        assert on_till(other)["Иван"] == ("senior_cashier", True)
    finally:
        other.db.close()


def test_a_new_cashier_added_at_a_till_belongs_to_its_store(shop):
    server, ledger = shop
    maria = users.login(ledger, "Мария", "111111")
    staff_changes.add_user(ledger, maria, "Пётр", Role.CASHIER, "5555", actor_pin="111111")
    assert on_server(server)["Пётр"] == ("cashier", True, "A")
    assert users.login(ledger, "Пётр", "5555").role is Role.CASHIER


def test_pin_reset_and_deactivation_through_the_server(shop):
    server, ledger = shop
    vera = users.login(ledger, "Вера", "999999")
    staff_changes.reset_pin(ledger, vera, "Иван", "7777", actor_pin="999999")
    assert users.login(ledger, "Иван", "7777").name == "Иван"
    staff_changes.set_active(ledger, vera, "Иван", False, actor_pin="999999")
    assert on_server(server)["Иван"][1] is False and on_till(ledger)["Иван"][1] is False


def test_the_server_refuses_a_wrong_pin_and_nothing_changes(shop):
    server, ledger = shop
    maria = users.login(ledger, "Мария", "111111")
    error = refused(
        "refused_by_server",
        staff_changes.set_role, ledger, maria, "Иван", Role.SENIOR_CASHIER, actor_pin="000000",
    )  # fmt: skip
    assert "PIN" in error.message
    assert on_server(server)["Иван"][0] == "cashier" and on_till(ledger)["Иван"][0] == "cashier"


def test_the_server_checks_the_role_in_its_own_staff_list(shop):
    server, ledger = shop
    # The till believes Иван is a manager (its ledger was tampered with): the server
    # knows him as a cashier and refuses.
    with ledger.db.write() as conn:
        conn.execute(update(t.users).where(t.users.c.name == "Иван").values(role="manager"))
    ivan = users.login(ledger, "Иван", "3333")
    refused("refused_by_server", staff_changes.set_active, ledger, ivan, "Мария", False,
            actor_pin="3333")  # fmt: skip
    assert on_server(server)["Мария"][1] is True


def test_the_till_refuses_before_asking_and_other_stores_staff_are_out_of_reach(shop):
    _, ledger = shop
    maria = users.login(ledger, "Мария", "111111")
    refused("not_allowed", staff_changes.set_role, ledger, maria, "Иван", Role.MANAGER,
            new_pin="123456", actor_pin="111111")  # fmt: skip
    error = refused("refused_by_server", staff_changes.reset_pin, ledger, maria, "Борис", "1212",
                    actor_pin="111111")  # fmt: skip
    assert "not on this store's staff" in error.message
    refused("pin_required", staff_changes.set_active, ledger, maria, "Иван", False, actor_pin=None)
    refused("staff_via_server", staff.set_active, ledger, maria, "Иван", False)  # not directly


def test_the_last_administrator_stays_on_the_server_too(shop):
    server, ledger = shop
    vera = users.login(ledger, "Вера", "999999")
    put_user(server, "Маргарита", "manager", "222222", "A")
    worker.sync_once(ledger, worker.client_for(ledger))
    refused("own_account", staff.set_active, ledger, vera, "Вера", False)
    error = refused("refused_by_server", staff_changes.set_role, ledger, vera, "Вера",
                    Role.MANAGER, actor_pin="999999")  # fmt: skip
    assert "last active administrator" in error.message
    assert on_server(server)["Вера"][0] == "administrator"


def test_offline_a_staff_change_is_refused_and_nothing_changes(shop):
    server, ledger = shop
    maria = users.login(ledger, "Мария", "111111")
    with ledger.db.write() as conn:  # the server is not reachable at this address
        conn.execute(update(t.sync_state).values(server_url="http://127.0.0.1:9"))
    error = refused("server_unreachable", staff_changes.set_role, ledger, maria, "Иван",
                    Role.SENIOR_CASHIER, actor_pin="111111")  # fmt: skip
    assert error.message == "staff changes need the central server: it is not reachable"
    assert on_till(ledger)["Иван"][0] == "cashier" and on_server(server)["Иван"][0] == "cashier"


def test_the_command_line_adds_and_changes_staff_through_the_server(shop, capsys, monkeypatch):
    from tests.conftest import run_cli

    server, ledger = shop
    folder = ledger.db.path.parent
    monkeypatch.setenv("CASHIER_APP_PIN", "111111")
    monkeypatch.setenv("CASHIER_APP_NEW_PIN", "6666")
    code, _, err = run_cli(folder, capsys, "--as", "Мария", "user-add", "Пётр", "--role", "cashier")
    assert code == 0, err
    monkeypatch.delenv("CASHIER_APP_NEW_PIN")
    code, _, err = run_cli(folder, capsys, "--as", "Мария", "user-role", "Пётр", "senior_cashier")
    assert code == 0, err
    assert on_server(server)["Пётр"] == ("senior_cashier", True, "A")
    assert on_till(ledger)["Пётр"] == ("senior_cashier", True)
