"""The network misbehaves between a till and the server: a response lost after the server
committed, 500s, a slow link. Every event still reaches the server exactly once."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.storage import schema as t
from cashier_app.sync import outbox, worker
from cashier_app.sync.client import SyncError
from central_server import schema as s
from tests.sync.conftest import free_port


class FaultyProxy:
    """Forwards to the real server on loopback, misbehaving as told."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.mode = "pass"  # pass | drop_response | error_500 | slow
        self.port = free_port()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.mode == "error_500":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if proxy.mode == "slow":
                    time.sleep(0.3)
                if proxy.mode == "hang":
                    time.sleep(1.5)  # longer than the till waits
                if proxy.mode == "cut_request" and self.path.startswith("/v1/events"):
                    self.connection.shutdown(2)  # the body never reaches the server
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type")
                }
                answer = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=30
                )
                if proxy.mode == "drop_response" and self.path.startswith("/v1/events"):
                    self.close_connection = True  # the server committed; the till never hears
                    self.connection.shutdown(2)
                    return
                self.send_response(answer.status_code)
                self.send_header(
                    "Content-Type", answer.headers.get("Content-Type", "application/json")
                )
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                if proxy.mode == "cut_response" and self.path.startswith("/v1/events"):
                    self.wfile.write(
                        answer.content[: len(answer.content) // 2]
                    )  # then the line drops
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = _forward

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def proxied(sqlite_server, till):
    a = till(sqlite_server, "A")
    proxy = FaultyProxy(sqlite_server.url)
    with a.db.write() as conn:
        conn.execute(t.sync_state.update().values(server_url=proxy.url))
    yield a, proxy, sqlite_server
    proxy.close()


def stored(srv) -> int:
    with srv.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.events)).scalar_one()


def test_a_response_lost_after_the_server_committed_is_resent_harmlessly(proxied):
    a, proxy, srv = proxied
    for n in range(3):
        service.register_customer(a, f"+7900123456{n}")
    proxy.mode = "drop_response"
    with pytest.raises(SyncError):
        worker.sync_once(a, worker.client_for(a))
    assert stored(srv) == 3 and outbox.queued_count(a) == 3  # stored there, not yet known here
    proxy.mode = "pass"
    done = worker.sync_once(a, worker.client_for(a))
    assert done.pushed == 3 and outbox.queued_count(a) == 0
    assert stored(srv) == 3  # exactly once


def test_500s_keep_the_outbox_and_the_next_try_delivers(proxied):
    a, proxy, srv = proxied
    service.register_customer(a, "+79001234567")
    proxy.mode = "error_500"
    with pytest.raises(SyncError) as err:
        worker.sync_once(a, worker.client_for(a))
    assert err.value.retry and err.value.status == 500
    assert outbox.queued_count(a) == 1 and stored(srv) == 0
    proxy.mode = "pass"
    worker.sync_once(a, worker.client_for(a))
    assert outbox.queued_count(a) == 0 and stored(srv) == 1


def test_a_slow_link_still_delivers_everything_once(proxied):
    a, proxy, srv = proxied
    for n in range(5):
        service.register_customer(a, f"+7900123450{n}")
    proxy.mode = "slow"
    worker.sync_once(a, worker.client_for(a))
    assert outbox.queued_count(a) == 0 and stored(srv) == 5


def test_the_sync_loop_backs_off_and_recovers(proxied):
    a, proxy, srv = proxied
    service.register_customer(a, "+79001234567")
    proxy.mode = "error_500"
    seen = []
    loop = worker.SyncLoop(a, seen.append, interval=0.2)
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while not any(not st.online for st in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        proxy.mode = "pass"
        loop.wake()  # the network is back: try at once
        while not any(st.online and st.queued == 0 for st in seen) and time.monotonic() < deadline:
            loop.wake()
            time.sleep(0.05)
    finally:
        loop.stop()
    assert any(not st.online for st in seen) and any(st.online and st.queued == 0 for st in seen)
    assert stored(srv) == 1


@pytest.mark.parametrize("mode", ["cut_request", "cut_response", "hang"])
def test_connections_cut_mid_body_or_timing_out_lose_and_double_nothing(proxied, mode):
    from cashier_app.sync.client import SyncClient

    a, proxy, srv = proxied
    for n in range(4):
        service.register_customer(a, f"+7900123457{n}")
    base = worker.client_for(a)
    client = SyncClient(base.base_url, base.token, timeout=(2.0, 0.5))
    proxy.mode = mode
    with pytest.raises(SyncError):
        worker.sync_once(a, client)
    assert outbox.queued_count(a) == 4
    time.sleep(1.6)  # let a hung request finish at the server, as it may in real life
    proxy.mode = "pass"
    worker.sync_once(a, client)
    assert outbox.queued_count(a) == 0 and stored(srv) == 4
