"""Staff per store: a till receives the PIN hashes of its own store's staff and of the
network's (every store's) only, by the feed and by the snapshot; a user moved to another
store is deactivated on the first store's tills; a manager's or administrator's PIN is 6
digits at least on the server too (the till's rule, cashier_app/engine/pins.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import users
from cashier_app.storage import schema as t
from cashier_app.sync import snapshot, worker
from central_server.cli import main
from central_server.ledger import ALL_STORES, ServerError
from tests.shop import samosale_program
from tests.sync.conftest import ADMIN

AUTH = {"Authorization": f"Bearer {ADMIN}"}


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def put_user(server, name, role, pin=None, store=None, active=True):
    body = {"name": name, "role": role, "active": active}
    if pin is not None:
        body["pin"] = pin
    if store is not None:
        body["store"] = store
    return requests.put(server.url + "/v1/admin/users", headers=AUTH, json=body, timeout=10)


def shop_till(server, tmp_path: Path, name: str, store: str):
    ledger = service.open_ledger(tmp_path / name, device_name=name)
    service.install_program(ledger, samosale_program(welcome={"points": "100", "expiry_days": 60}))
    worker.enrol(ledger, server.url, server.store.issue_code(store), name)
    return ledger


def till_users(ledger) -> dict[str, tuple[bool, str]]:
    with ledger.db.read() as conn:
        rows = conn.execute(select(t.users.c.name, t.users.c.active, t.users.c.pin_hash))
        return {r.name: (r.active, r.pin_hash) for r in rows}


def what_a_till_receives(server, store: str) -> str:
    """Everything a new till of ``store`` downloads: the whole feed and the snapshot, as
    text (a hash anywhere in it would be found)."""
    _, token = server.store.enrol(server.store.issue_code(store), f"probe {store}")
    auth = {"Authorization": f"Bearer {token}"}
    feed = requests.get(server.url + "/v1/changes?after=0&limit=5000", headers=auth, timeout=10)
    snap = requests.get(server.url + "/v1/snapshot", headers=auth, timeout=10)
    assert feed.status_code == snap.status_code == 200
    return feed.text + "\n" + gzip.decompress(snap.content).decode()


def hashes(server) -> dict[str, str]:
    from central_server import schema as s

    with server.store.engine.connect() as conn:
        return {r.name: r.pin_hash for r in conn.execute(select(s.users))}


@pytest.fixture
def network(server):
    assert put_user(server, "Анна", "cashier", "1111", store="A").status_code == 204
    assert put_user(server, "Борис", "manager", "222222", store="B").status_code == 204
    assert put_user(server, "Вера", "administrator", "333333", store=ALL_STORES).status_code == 204
    return server


def test_a_till_never_receives_another_stores_staff(network, tmp_path, monkeypatch):
    h = hashes(network)
    seen_a, seen_b = what_a_till_receives(network, "A"), what_a_till_receives(network, "B")
    assert h["Анна"] in seen_a and h["Вера"] in seen_a and h["Борис"] not in seen_a
    assert h["Борис"] in seen_b and h["Вера"] in seen_b and h["Анна"] not in seen_b
    assert "Борис" not in seen_a and "Анна" not in seen_b

    a = shop_till(network, tmp_path, "A1", "A")  # by the snapshot
    assert snapshot.wants_snapshot(a)
    sync(a)
    monkeypatch.setattr(snapshot, "wants_snapshot", lambda ledger: False)
    b = shop_till(network, tmp_path, "B1", "B")  # by the feed
    sync(b)
    try:
        assert set(till_users(a)) == {"Анна", "Вера"}
        assert set(till_users(b)) == {"Борис", "Вера"}
        assert users.login(b, "Борис", "222222").role.value == "manager"
        with pytest.raises(LoyaltyError) as err:
            users.login(b, "Анна", "1111")
        assert err.value.code == "unknown_user"
    finally:
        a.db.close()
        b.db.close()


def test_a_user_moved_to_another_store_leaves_the_first_ones_tills(network, tmp_path):
    a = shop_till(network, tmp_path, "A1", "A")
    b = shop_till(network, tmp_path, "B1", "B")
    try:
        sync(a)
        sync(b)
        assert till_users(a)["Анна"][0]
        assert put_user(network, "Анна", "cashier", store="B").status_code == 204  # PIN kept
        assert put_user(network, "Вера", "administrator", store="B").status_code == 204
        sync(a)
        sync(b)
        on_a = till_users(a)
        assert on_a["Анна"] == (False, "") and on_a["Вера"] == (False, "")  # hash gone too
        assert users.login(b, "Анна", "1111").name == "Анна"
        assert users.login(b, "Вера", "333333").name == "Вера"
        with pytest.raises(LoyaltyError) as err:
            users.login(a, "Анна", "1111")
        assert err.value.code == "unknown_user"
        # A till of store A enrolled later gets none of their hashes from the start.
        h = hashes(network)
        seen = what_a_till_receives(network, "A")
        assert h["Анна"] not in seen and h["Вера"] not in seen and h["Борис"] not in seen
        # Back to every store: store A's till has her again.
        assert put_user(network, "Вера", "administrator", store=ALL_STORES).status_code == 204
        sync(a)
        assert users.login(a, "Вера", "333333").name == "Вера"
    finally:
        a.db.close()
        b.db.close()


def test_a_store_name_is_checked(network):
    assert put_user(network, "Глеб", "cashier", "1234", store="").status_code == 422
    with pytest.raises(ServerError) as err:
        network.store.issue_code("bad\nname")
    assert err.value.code == "invalid_store"
    r = requests.post(
        network.url + "/v1/admin/enrol-codes", headers=AUTH, json={"store": "A"}, timeout=10
    )
    assert r.status_code == 200
    device, _ = network.store.enrol(r.json()["code"], "by the API")
    assert device.store == "A"
    r = requests.post(network.url + "/v1/admin/enrol-codes", headers=AUTH, timeout=10)
    assert network.store.enrol(r.json()["code"], "no body")[0].store == "main"


def test_the_server_holds_managers_to_6_digit_pins(network):
    r = put_user(network, "Дина", "manager", "1234", store="A")
    assert r.status_code == 422 and r.json()["code"] == "pin_too_short"
    assert put_user(network, "Дина", "cashier", "1234", store="A").status_code == 204
    r = put_user(network, "Дина", "manager")  # promoted without a new PIN
    assert r.status_code == 422 and r.json()["code"] == "pin_too_short"
    assert put_user(network, "Дина", "manager", "123456").status_code == 204
    assert put_user(network, "Дина", "manager", active=False).status_code == 204  # PIN kept
    r = put_user(network, "Дина", "cashier", "12")
    assert r.status_code == 422 and r.json()["code"] == "invalid_pin"


def test_the_cli_names_the_store(tmp_path, capsys):
    db = str(tmp_path / "central.sqlite3")
    assert main(["--db", db, "migrate"]) == 0
    assert main(["--db", db, "enrol-code", "--store", "Ленина 5"]) == 0
    assert main(["--db", db, "user", "Ия", "--role", "cashier", "--pin", "1234", "--store", "Ленина 5"]) == 0  # fmt: skip
    assert main(["--db", db, "user", "Ия", "--role", "manager", "--pin", "1234"]) == 2
    assert "pin_too_short" in capsys.readouterr().err
    assert main(["--db", db, "user", "Ия", "--role", "manager", "--pin", "123456"]) == 0
    assert main(["--db", db, "user", "Ян", "--role", "administrator", "--pin", "654321", "--store", "*"]) == 0  # fmt: skip
    from central_server import schema as s
    from central_server.db import make_engine

    engine = make_engine(db)
    with engine.connect() as conn:
        stores = dict(conn.execute(select(s.users.c.name, s.users.c.store)).all())
        assert stores == {"Ия": "Ленина 5", "Ян": None}
        assert conn.execute(select(s.enrol_codes.c.store)).scalar_one() == "Ленина 5"
    engine.dispose()


def test_a_store_that_looks_like_another_is_that_store_or_refused():
    import pytest as _pytest

    from central_server.ledger import ServerError
    from central_server.ledger.common import store_name

    assert store_name(" Lenina  5 ") == store_name("Lenina\u00a05") == "Lenina 5"
    for hidden in ("Lenina\u200b5", "Lenina\u202e5", "Lenina\u20285", "Lenina\u00ad5", "a\u0085b"):
        with _pytest.raises(ServerError) as refused:
            store_name(hidden)
        assert refused.value.code == "invalid_store"
