"""A server failure is logged with a request id and its exception types, never with the
phones and names the failing statement carried (SQL parameters are hidden, and the error's
message, which PostgreSQL fills with the duplicate key, is left out)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import insert

from central_server import schema as s
from central_server.problems import log_failure
from tests.sync.conftest import RunningServer

PHONE = "+79161234567"
NAME = "Анна Каренина"


def _insert_twice(server: RunningServer) -> None:
    with server.store.engine.begin() as conn:
        for _ in range(2):
            conn.execute(
                insert(s.customers).values(
                    id=str(uuid.uuid4()),
                    phone=PHONE,
                    data=f'{{"name": "{NAME}"}}',
                    registered_at=datetime.now(UTC),
                )
            )


def test_a_failed_request_logs_no_phone_or_name(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, token = server.store.enrol(server.store.issue_code(), "till")
    monkeypatch.setattr(server.store, "catch_up", lambda *a, **k: _insert_twice(server))
    with caplog.at_level(logging.DEBUG):
        answer = requests.get(
            server.url + "/v1/changes",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    assert answer.status_code == 500
    assert answer.json()["code"] == "server_error"
    request_id = answer.headers["x-request-id"]
    assert request_id in answer.json()["message"]
    logged = "\n".join(
        r.getMessage() + (repr(r.exc_info) if r.exc_info else "") for r in caplog.records
    )
    assert request_id in logged
    assert "IntegrityError" in logged
    assert PHONE not in logged and "79161234567" not in logged
    assert NAME not in logged and "Анна" not in logged


def test_the_engine_hides_sql_parameters(server: RunningServer) -> None:
    with pytest.raises(Exception) as failed:
        _insert_twice(server)
    assert PHONE not in str(failed.value).split("DETAIL")[0]
    assert NAME not in str(failed.value)


def test_a_replay_failure_is_logged_without_the_message(caplog):
    try:
        raise ValueError(f"phone {PHONE}, name {NAME}")
    except ValueError as exc:
        with caplog.at_level(logging.ERROR):
            log_failure(logging.getLogger("t"), "replay failed", exc)
    assert "ValueError" in caplog.text
    assert PHONE not in caplog.text and NAME not in caplog.text
