"""Request bodies are limited per route before anything parses them (413 with a reason),
and a request to an authenticated route without a valid token is refused before its
body is read."""

from __future__ import annotations

import asyncio
import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from cashier_app.sync import worker
from central_server.body_limits import (
    PUSH_BODY_LIMIT,
    SMALL_BODY_LIMIT,
    BodyLimit,
    body_limit,
)
from central_server.ledger import ServerError
from tests.sync.conftest import ADMIN


def _headers_only(url: str, method: str, path: str, length: int, token: str | None):
    """Sends the request line and headers announcing ``length`` bytes, but no body: a
    server that waits for the body before answering times out here."""
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=10)
    conn.putrequest(method, path)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(length))
    if token is not None:
        conn.putheader("Authorization", f"Bearer {token}")
    conn.endheaders()
    response = conn.getresponse()
    answer = response.status, json.loads(response.read())
    conn.close()
    return answer


def _send(url: str, method: str, path: str, body: bytes, token: str | None):
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    answer = response.status, json.loads(response.read())
    conn.close()
    return answer


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("POST", "/v1/events", None),
        ("POST", "/v1/events", "not-a-device-token"),
        ("PUT", "/v1/admin/program", None),
        ("PUT", "/v1/admin/products", "not-the-admin-token-at-all"),
    ],
)
def test_an_unauthenticated_request_is_refused_before_its_body(server, method, path, token):
    status, answer = _headers_only(server.url, method, path, 50_000_000, token)
    assert status == 401
    assert answer["code"] in {"no_token", "bad_token", "not_admin"}


def test_a_push_over_the_limit_is_refused_before_it_is_read(server, till):
    _, token = server.store.enrol(server.store.issue_code(), "big")
    status, answer = _headers_only(server.url, "POST", "/v1/events", 50_000_000, token)
    assert status == 413
    assert answer["code"] == "body_too_large"
    assert str(PUSH_BODY_LIMIT) in answer["message"]
    # a till's ordinary push still goes through
    ledger = till(server, "till-1")
    client = worker.client_for(ledger)
    assert client is not None
    worker.sync_once(ledger, client)
    assert worker.status(ledger).last_error is None


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [("POST", "/v1/enrol", None), ("PUT", "/v1/admin/users", ADMIN)],
)
def test_small_routes_take_small_bodies(server, method, path, token):
    body = json.dumps({"name": "x" * (SMALL_BODY_LIMIT + 1)}).encode()
    status, answer = _send(server.url, method, path, body, token)
    assert status == 413
    assert answer["code"] == "body_too_large"


def test_body_limits_per_route():
    assert body_limit("/v1/events") == 8 * 1024 * 1024
    assert body_limit("/v1/enrol") == body_limit("/v1/admin/users") == 64 * 1024


def _run(middleware: BodyLimit, chunks: list[bytes], headers: list[Any]) -> list[Any]:
    sent: list[Any] = []
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> Any:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/v1/enrol", "headers": headers, "method": "POST"}
    asyncio.run(middleware(scope, receive, send))
    return sent


def test_a_streamed_body_without_a_length_is_counted():
    reached: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append((await receive())["body"])

    async def anyone(path: str, authorization: str | None) -> ServerError | None:
        return None

    limit = BodyLimit(app, anyone)
    sent = _run(limit, [b"x" * 60_000, b"x" * 60_000], [])
    assert not reached
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "body_too_large"
    sent = _run(limit, [b"x" * 30_000, b"y" * 30_000], [])
    assert reached == [b"x" * 30_000 + b"y" * 30_000]
    assert not sent
