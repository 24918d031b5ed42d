"""Input the database cannot take is refused with a reason, never a 500, on SQLite and on
PostgreSQL (whose columns hold their declared lengths and no NUL characters), and other
tills go on syncing. A request the API cannot take is answered 4xx with a reason; an event
the event checks refuse is answered as the tills expect (test_hostile_events): the push
answer says "refused" with an ``invalid_event`` reason, and nothing is stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from cashier_app import service
from cashier_app.sync import worker
from tests.sync.conftest import ADMIN, RunningServer

PHONE = "+79161234567"


def _registration(**payload: Any) -> dict[str, Any]:
    cid = str(uuid.uuid4())
    return {
        "id": str(uuid.uuid4()),
        "device_seq": 1,
        "kind": "customer_registered",
        "at": datetime.now(UTC).isoformat(),
        "customer_id": cid,
        "program_version": None,
        "payload": {"customer_id": cid, "phone": PHONE, **payload},
    }


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _push(*events: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "POST", "/v1/events", {"events": list(events)}


def _twice() -> tuple[str, str, dict[str, Any]]:
    first = _registration()
    second = {**_registration(), "id": first["id"], "device_seq": 2}
    return _push(first, second)


def _long_customer_id() -> tuple[str, str, dict[str, Any]]:
    event = _registration()
    event["customer_id"] = "c" * 40
    return _push(event)


def _empty_registration() -> tuple[str, str, dict[str, Any]]:
    event = _registration()
    event["payload"] = {}
    return _push(event)


CASES: dict[str, Callable[[], tuple[str, str, dict[str, Any]]]] = {
    "payload nested 300 deep": lambda: _push(_registration(name=_nested(300))),
    "extra payload nested 300 deep": lambda: _push({**_registration(), "payload": _nested(300)}),
    "one event id twice in a push": _twice,
    "empty registration payload": _empty_registration,
    "empty enrolment": lambda: ("POST", "/v1/enrol", {}),
    "phone over 20 characters": lambda: _push(_registration(phone="+7" + "9" * 25)),
    "NUL in a customer's name": lambda: _push(_registration(name="Ан\x00на")),
    "NUL in a payload key": lambda: _push(_registration(**{"na\x00me": "Анна"})),
    "customer id over 36 characters": _long_customer_id,
    "NUL in a device name": lambda: (
        "POST",
        "/v1/enrol",
        {"code": "ENROL-CODE", "device_name": "Касса\x00"},
    ),
    "user name of 70 characters": lambda: (
        "PUT",
        "/v1/admin/users",
        {"name": "П" * 70, "role": "cashier", "pin": "1234"},
    ),
    "user name of 80 characters": lambda: (
        "PUT",
        "/v1/admin/users",
        {"name": "x" * 80, "role": "cashier", "pin": "1234"},
    ),
    "NUL in a user name": lambda: (
        "PUT",
        "/v1/admin/users",
        {"name": "Мария\x00", "role": "cashier", "pin": "1234"},
    ),
    "NUL in a product": lambda: (
        "PUT",
        "/v1/admin/products",
        {"products": [{"sku": "la\x00tte", "name": "Латте\x00", "price": "250.00"}]},
    ),
    "NUL in a program": lambda: ("PUT", "/v1/admin/program", {"name\x00": "x\x00"}),
}


# events of a valid shape whose content the event checks refuse, one by one
EVENT_CHECKS = {"empty registration payload", "phone over 20 characters"}


def _reason(answer: requests.Response) -> str:
    body = answer.json()
    return str(body.get("message") or body.get("detail") or "")


@pytest.mark.parametrize("case", list(CASES))
def test_what_the_database_cannot_take_is_refused_with_a_reason(
    server: RunningServer, till: Any, case: str
) -> None:
    method, path, body = CASES[case]()
    headers = {"Authorization": f"Bearer {ADMIN}"}
    if path == "/v1/events":
        _, token = server.store.enrol(server.store.issue_code(), "limits")
        headers = {"Authorization": f"Bearer {token}"}
    if body.get("code") == "ENROL-CODE":  # a good code, so the body's own fault shows
        body["code"] = server.store.issue_code()
    answer = requests.request(method, server.url + path, json=body, headers=headers, timeout=30)
    if case in EVENT_CHECKS:
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert results and all(r["status"] == "refused" for r in results), answer.text
        assert all(r["reason"].startswith("invalid_event: ") for r in results), answer.text
    else:
        assert 400 <= answer.status_code < 500, (case, answer.status_code, answer.text)
        assert _reason(answer), answer.text

    # another till registers a customer and syncs as before
    ledger = till(server, "other")
    service.register_customer(ledger, "+79160000001", name="Ольга", birthday=None)
    client = worker.client_for(ledger)
    assert client is not None
    worker.sync_once(ledger, client)
    assert worker.status(ledger).last_error is None
    assert worker.status(ledger).queued == 0


def test_the_cli_refuses_a_user_name_the_feed_cannot_hold(tmp_path, capsys):
    from central_server.cli import main

    db = str(tmp_path / "central.sqlite3")
    assert main(["--db", db, "user", "x" * 65, "--role", "cashier", "--pin", "1234"]) == 2
    assert "invalid_name" in capsys.readouterr().err
    assert main(["--db", db, "user", "x" * 64, "--role", "cashier", "--pin", "1234"]) == 0
