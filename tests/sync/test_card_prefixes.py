"""Card prefixes (2 + prefix + 7-digit sequence, EAN-13): 9,999 of them. When every one is
held, an enrolment is refused 409 with a reason (never a 500) and its code stays usable;
a revoked till's prefix, freed by an administrator once its cards are accounted for, goes
to the next till. And migration s0011 puts what was there into the store "main"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import insert, select

from central_server import schema as s
from central_server.cli import main
from central_server.db import migrate
from central_server.ledger import CARD_PREFIXES, CentralLedger, ServerError, store_name
from tests.sync.conftest import ADMIN, server_database_at

AUTH = {"Authorization": f"Bearer {ADMIN}"}


def fill_prefixes(store: CentralLedger, leave: int) -> None:
    """Devices holding every prefix but the last ``leave`` (rows written directly: 9,999
    enrolments would only be slower)."""
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        held = set(conn.execute(select(s.devices.c.card_prefix)).scalars())
        free = [p for p in CARD_PREFIXES if p not in held]
        rows = [
            {"id": f"filler-{p}", "name": "filler", "token_hash": f"{p:0>64}", "card_prefix": p,
             "enrolled_at": now, "last_seq": 0}
            for p in free[: len(free) - leave]
        ]  # fmt: skip
        conn.execute(insert(s.devices), rows)


def enrol(server, code: str) -> requests.Response:
    return requests.post(
        server.url + "/v1/enrol", json={"code": code, "device_name": "till"}, timeout=10
    )


def test_the_10000th_enrolment_is_refused_with_a_reason_then_takes_a_freed_prefix(server):
    store = server.store
    fill_prefixes(store, leave=1)
    last = enrol(server, store.issue_code())
    assert last.status_code == 200 and last.json()["card_prefix"] == "9999"
    code = store.issue_code()
    refused = enrol(server, code)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "no_card_prefix"
    assert "release-prefix" in refused.json()["message"]

    r = requests.post(server.url + "/v1/admin/devices/filler-0042/release-prefix", headers=AUTH,
                      timeout=10)  # fmt: skip
    assert r.status_code == 409 and r.json()["code"] == "device_not_revoked"  # still in use
    store.revoke("filler-0042")
    assert enrol(server, code).status_code == 409  # revoked, but its cards not accounted for
    r = requests.post(server.url + "/v1/admin/devices/filler-0042/release-prefix", headers=AUTH,
                      timeout=10)  # fmt: skip
    assert r.status_code == 200 and r.json() == {"card_prefix": "0042"}
    again = enrol(server, code)  # the refused code was not used up
    assert again.status_code == 200 and again.json()["card_prefix"] == "0042"
    assert enrol(server, store.issue_code()).status_code == 409


def test_a_never_used_prefix_goes_before_a_freed_one(sqlite_server):
    store = sqlite_server.store
    first, _ = store.enrol(store.issue_code(), "old")
    store.revoke(first.id)
    assert store.release_prefix(first.id) == first.card_prefix == "0001"
    assert store.release_prefix(first.id) == "0001"  # freed already: the same answer
    assert store.enrol(store.issue_code(), "new")[0].card_prefix == "0002"


def test_the_cli_frees_a_prefix(tmp_path, capsys):
    db = str(tmp_path / "central.sqlite3")
    assert main(["--db", db, "migrate"]) == 0
    assert main(["--db", db, "release-prefix", "nobody"]) == 2
    assert "unknown_device" in capsys.readouterr().err


def test_the_migration_puts_what_was_there_into_the_store_main(tmp_path, request):
    for db in ("sqlite", "postgresql"):
        folder = tmp_path / db
        folder.mkdir()
        engine = server_database_at(db, folder, request, "s0010")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO devices (id, name, token_hash, card_prefix, enrolled_at, last_seq) "
                "VALUES ('d1', 'till', 'x', '0001', '2026-01-01', 0)"
            )
            conn.exec_driver_sql(
                "INSERT INTO users (name, role, pin_hash, active, updated_at) "
                "VALUES ('Анна', 'cashier', '$argon2id$x', true, '2026-01-01')"
            )
            conn.exec_driver_sql(
                "INSERT INTO changes (cursor, kind, key, payload) VALUES "
                "(1, 'user', 'Анна', '{}'), (2, 'product', 'latte', '{}')"
            )
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(select(s.devices.c.store)).scalar_one() == "main"
            assert conn.execute(select(s.users.c.store)).scalar_one() == "main"
            stores = dict(conn.execute(select(s.changes.c.kind, s.changes.c.store)).all())
            assert stores == {"user": "main", "product": None}
        store = CentralLedger(engine)
        assert store.enrol(store.issue_code(), "after")[0].card_prefix == "0002"
        engine.dispose()


def test_every_store_is_no_stores_name():
    with pytest.raises(ServerError) as err:
        store_name("*")
    assert (err.value.status, err.value.code) == (422, "invalid_store")
