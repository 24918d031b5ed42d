"""Rounds of selling and syncing over a line that misbehaves at random: two tills sell to
the same customers while each one's link to the server drops connections, stalls past the
till's timeout, cuts request and response bodies in half, loses answers and answers 500,
on push and on pull; now and then the server process is killed (SIGKILL) with a push in
flight and started again on the same database. After one clean sync of both tills every
event is on the server exactly once, under its own number, and every balance is the same
on the server, on both tills and by the tills' own records added up by hand.

The faults come from a seeded ``random.Random``; the seed is printed, and ``FAULT_SEED=n``
replays the same draws (the threads' timing is the machine's). ``FAULT_ROUNDS=n`` and
``FAULT_KILLS=n`` make a longer soak than the few rounds CI can afford.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.sync import outbox, worker
from cashier_app.sync.client import SyncClient, SyncError
from central_server import schema as s
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger
from tests.shop import samosale_program
from tests.sync.conftest import ADMIN, _pg_database, free_port

PROGRAM = samosale_program(welcome={"points": "100", "expiry_days": 60})
ROUNDS = {"sqlite": 40, "postgresql": 25}
TILL_TIMEOUT = (1.0, 1.0)  # connect, read: short, so a stalled link costs a second, not 30
KILLS = 2  # server restarts cost a second or two each on a busy machine
PUSH, PULL, SNAPSHOT = "push", "pull", "snapshot"

# What the link does to a request, and how often. "stall" holds a request past the till's
# timeout and then delivers it anyway: the server commits what the till gave up on.
FAULTS = {
    "pass": 64,  # about half: a sync needs its push and its pull through to reach the pull
    "drop": 8,
    "delay": 8,
    "stall": 6,
    "cut_request": 8,
    "cut_response": 8,
    "lost_answer": 8,
    "500": 6,
    "500_after_commit": 6,
}


class ServerProcess:
    """``central-server serve`` in a child process on a fixed port, so it can be killed like
    a power cut and started again on the same database, as an operator's service would."""

    def __init__(self, db: str, log: Path) -> None:
        self.db, self.log = db, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "central_server.cli",
                    "--db",
                    self.db,
                    "serve",
                    "--port",
                    str(self.port),
                ],
                env={**os.environ, "CENTRAL_SERVER_ADMIN_TOKEN": ADMIN},
                cwd=Path(__file__).parents[2],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        with self._lock:
            if self.alive:
                assert self.process is not None
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
                self.kills += 1

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a dropped line looks to the other end."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _read_request(conn: socket.socket) -> tuple[bytes, bytes, str, str] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, path, _ = lines[0].decode("latin-1").split(" ", 2)
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name == b"content-length":
            length = int(line.split(b":", 1)[1])
        if name != b"connection":
            kept.append(line)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    # One request per upstream connection, read to its end: the answer's own framing
    # (length or chunks) then needs no parsing here.
    kept.append(b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n", body, method, path


class FaultyLink:
    """A TCP proxy between one till and the server that reads each HTTP request whole and
    then does to it what its dice say. The clock request always passes: a fault there
    would only end the round before the push and the pull this harness is about."""

    def __init__(self, server: ServerProcess, store: CentralLedger, rng: random.Random) -> None:
        self.server, self.store, self.rng = server, store, rng
        self.faulty = True
        self.kill_next_push = False
        self.injected: Counter[tuple[str, str]] = Counter()
        self.kills: Counter[str] = Counter()  # did the killed server commit the push?
        self._busy = 0
        self._idle = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._idle:
                self._busy += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def settle(self, timeout: float = 30) -> None:
        """Wait for requests still under way (a stalled push may yet reach the server)."""
        with self._idle:
            assert self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        self._listener.close()

    def _draw(self, method: str, path: str) -> tuple[str | None, float]:
        if method == "POST" and path.startswith("/v1/events"):
            route = PUSH
        elif method == "GET" and path.startswith("/v1/changes"):
            route = PULL
        elif method == "GET" and path.startswith("/v1/snapshot"):
            route = SNAPSHOT
        else:
            return None, 0.0
        with self._idle:  # the dice are shared by this link's threads: draw in turn
            if not self.faulty:
                return None, 0.0
            if route == PUSH and self.kill_next_push:
                self.kill_next_push = False
                # from a millisecond to a tenth of a second: before, during and after the commit
                kind, pause = "kill", 0.001 * 100 ** self.rng.random()
            else:
                kind = self.rng.choices(list(FAULTS), list(FAULTS.values()))[0]
                pause = {
                    "delay": self.rng.uniform(0.05, 0.5),
                    "stall": self.rng.uniform(1.2, 2.0),
                }.get(kind, 0.0)
            self.injected[route, kind] += 1
        return (None if kind == "pass" else kind), pause

    def _stored(self, ids: list[str]) -> int:
        with self.store.engine.connect() as db:
            return len(db.execute(select(s.events.c.id).where(s.events.c.id.in_(ids))).all())

    def _serve(self, conn: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            conn.settimeout(30)
            request = _read_request(conn)
            if request is None:
                return
            head, body, method, path = request
            fault, pause = self._draw(method, path)
            if fault == "drop":
                return _reset(conn)
            if fault == "500":
                conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
                return conn.close()
            if fault in ("delay", "stall"):
                time.sleep(pause)
            upstream = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
            if fault == "cut_request":
                whole = head + body
                upstream.sendall(whole[: len(head) + len(body) // 2] if body else head[:-20])
                _reset(upstream)
                return _reset(conn)
            if fault == "kill":
                ids = [e["id"] for e in json.loads(body)["events"]]
                before = self._stored(ids)
                upstream.sendall(head + body)
                time.sleep(pause)  # somewhere between reading the body and the commit
                self.server.kill()
                after = self._stored(ids)
                self.kills[
                    "nothing new to commit"
                    if before == len(ids)
                    else "after the commit"
                    if after > before
                    else "before the commit"
                ] += 1
                return _reset(conn)
            upstream.sendall(head + body)
            answer = b""
            while chunk := upstream.recv(65536):
                answer += chunk
            if fault == "lost_answer":
                return conn.close()
            if fault == "500_after_commit":  # a gateway that gave up on a server that did not
                conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
                return conn.close()
            if fault == "cut_response":
                top, _, rest = answer.partition(b"\r\n\r\n")
                conn.sendall(top + b"\r\n\r\n" + rest[: len(rest) // 2])
                return _reset(conn)
            conn.sendall(answer)
        except OSError:
            _reset(conn)  # the server is down or the till gave up: the line just drops
        finally:
            if upstream is not None:
                upstream.close()
            conn.close()
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()


@dataclasses.dataclass
class Till:
    """A till's ledger, its link to the server, and the receipts it could take back."""

    name: str
    ledger: Ledger
    link: FaultyLink
    phone_prefix: str
    new: bool = False  # opens its doors once it has the shop's customers (a snapshot)
    registered: int = 0
    receipts: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    failed_syncs: int = 0

    def client(self, timeout: tuple[float, float] = TILL_TIMEOUT) -> SyncClient:
        base = worker.client_for(self.ledger)
        assert base is not None
        return SyncClient(base.base_url, base.token, timeout=timeout)

    def customers(self) -> list[str]:
        with self.ledger.db.read() as conn:
            return list(conn.execute(select(t.customers.c.id).order_by(t.customers.c.id)).scalars())

    def device_id(self) -> str:
        with self.ledger.db.read() as conn:
            return str(conn.execute(select(t.sync_state.c.device_id)).scalar_one())


def serve_a_customer(till: Till, rng: random.Random) -> None:
    """What a cashier does, between syncs and while one is under way: register someone new,
    sell with and without points, take a line back, adjust a balance. The customers are
    the shop's: registered at either till."""
    known = till.customers()
    if till.new and not known:
        return
    if len(known) < 2 or rng.random() < 0.2:
        till.registered += 1
        service.register_customer(till.ledger, f"{till.phone_prefix}{till.registered:07d}")
        return
    who = rng.choice(known)
    action = rng.choices(["sale", "return", "adjust"], [70, 15, 15])[0]
    if action == "return" and till.receipts:
        number, sku = till.receipts.pop(rng.randrange(len(till.receipts)))
        with contextlib.suppress(LoyaltyError):  # a receipt drawn twice: already returned
            service.record_return(till.ledger, number, [ReturnRequest(sku, Decimal(1))])
    elif action == "adjust":
        points = Decimal(rng.choice([-20, 5, 15, 50]))
        with contextlib.suppress(LoyaltyError):  # a minus below zero is refused locally
            service.adjust_balance(till.ledger, who, points, "goodwill after a complaint")
    else:
        sku = rng.choice(["latte", "croissant", "scarf"])
        lines = [LineInput(sku, Decimal(rng.choice([150, 250, 990, 4200])), Decimal(2))]
        redeem = rng.choice([Decimal(0), Decimal(0), "max", Decimal(10)])
        try:
            sale = service.record_sale(till.ledger, lines, customer_id=who, redeem=redeem)
        except LoyaltyError:  # more points than the balance or the cap allow
            sale = service.record_sale(till.ledger, lines, customer_id=who)
        till.receipts.append((sale.number, sku))


def recorded_balances(tills: list[Till]) -> dict[str, Decimal]:
    """Each customer's balance by the tills' own records, added up without the engine: the
    welcome, accruals less redemptions, what returns took and gave back, adjustments. The
    server's replay must come to the same, whatever order the events arrived in."""
    welcome = Decimal(PROGRAM["bonus_programs"][0]["welcome"]["points"])
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for till in tills:
        with till.ledger.db.read() as conn:
            events = conn.execute(
                select(t.events.c.kind, t.events.c.customer_id, t.events.c.payload)
            ).all()
        for kind, customer, payload in events:
            p = json.loads(payload)
            if kind == "customer_registered":
                balances[customer] += welcome
            elif kind == "sale":
                balances[customer] += Decimal(p["accrued"]) - Decimal(p["redeemed"])
            elif kind == "return":
                balances[customer] += Decimal(p["points_returned"]) - Decimal(p["points_taken"])
            else:
                assert kind == "adjustment", kind
                balances[customer] += Decimal(p["points"])
    return balances


def sync_through_the_link(till: Till, troubles: list[str]) -> None:
    try:
        worker.sync_once(till.ledger, till.client())
    except SyncError as exc:
        till.failed_syncs += 1
        if not exc.retry:  # a refusal: the server took a till's honest event for a bad one
            troubles.append(f"{till.name}: refused: {exc}")
    except Exception as exc:  # a traceback out of a sync is a bug, not a fault
        troubles.append(f"{till.name}: {type(exc).__name__}: {exc}")


def server_database(db: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    url = (
        str(tmp_path / "central.sqlite3")
        if db == "sqlite"
        else _pg_database(request.getfixturevalue("postgres"))
    )
    engine = make_engine(url)
    migrate(engine)
    CentralLedger(engine).publish_program(PROGRAM)
    engine.dispose()
    return url


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_random_faults_on_push_and_pull_lose_and_double_nothing(db, tmp_path, request):
    seed = int(os.environ.get("FAULT_SEED") or random.randrange(2**32))
    rounds = int(os.environ.get("FAULT_ROUNDS") or ROUNDS[db])
    print(f"\nFAULT_SEED={seed} FAULT_ROUNDS={rounds} ({db})")
    rng = random.Random(seed)
    url = server_database(db, tmp_path, request)
    server = ServerProcess(url, tmp_path / "server.log")
    server.start()
    store = CentralLedger(make_engine(url))
    tills: list[Till] = []
    try:
        for n, name in enumerate(["A", "B"], 1):
            ledger = service.open_ledger(tmp_path / name, device_name=name)
            service.install_program(ledger, PROGRAM)
            worker.enrol(ledger, server.url, store.issue_code(), name)
            link = FaultyLink(server, store, random.Random(rng.random()))
            with ledger.db.write() as conn:
                conn.execute(t.sync_state.update().values(server_url=link.url))
            tills.append(Till(name, ledger, link, f"+79{n}1", new=name == "B"))
        kills = int(os.environ.get("FAULT_KILLS") or KILLS)
        # not in the last rounds: a till that misses its push there still has one to come
        early = range(1, max(2, rounds - 3))
        kill_rounds = set(rng.sample(early, min(kills, len(early))))
        troubles: list[str] = []
        started = time.monotonic()
        for round_no in range(rounds):
            for till in tills:
                for _ in range(rng.randint(1, 3)):
                    serve_a_customer(till, rng)
            if round_no in kill_rounds:  # the till's next push, this round or later
                rng.choice(tills).link.kill_next_push = True
            # Both tills at once, as in a shop: their pushes may share one server commit.
            syncing = [
                threading.Thread(target=sync_through_the_link, args=(till, troubles))
                for till in tills
            ]
            for thread in syncing:
                thread.start()
            for till in tills:  # the cashier does not wait for the sync thread
                if rng.random() < 0.5:
                    serve_a_customer(till, rng)
            for thread in syncing:
                thread.join(120)
                assert not thread.is_alive(), f"a sync hung in round {round_no}"
            if not server.alive:
                server.start()
        faulty_seconds = time.monotonic() - started

        for till in tills:  # the network heals; what was stalled arrives or is dropped
            till.link.faulty = False
        for till in tills:
            till.link.settle()
        if not server.alive:
            server.start()
        for till in tills + tills:  # twice: each then has pulled the other's last events
            worker.sync_once(till.ledger, till.client(timeout=(5.0, 30.0)))
        server.stop()

        with store.engine.connect() as conn:
            on_server = conn.execute(
                select(s.events.c.id, s.events.c.device_id, s.events.c.device_seq).add_columns(
                    s.events.c.kind, s.events.c.payload
                )
            ).all()
            snapshots = dict(
                conn.execute(select(s.accounts.c.customer_id, s.accounts.c.snapshot)).all()
            )
        copies = Counter(row.id for row in on_server)
        written = lost = doubled = 0
        for till in tills:
            device = till.device_id()
            with till.ledger.db.read() as conn:
                mine = conn.execute(
                    select(t.events.c.id, t.events.c.kind, t.events.c.payload)
                    .add_columns(t.outbox.c.device_seq)
                    .join(t.outbox, t.outbox.c.event_id == t.events.c.id)
                ).all()
            theirs = {row.id: row for row in on_server if row.device_id == device}
            written += len(mine)
            lost += sum(1 for e in mine if e.id not in theirs)
            # The id is the server's key, so a second copy would have to come under another
            # id: an event on the server for this till that its ledger never wrote.
            doubled += sum(copies[e.id] - 1 for e in mine if e.id in copies)
            doubled += len(theirs.keys() - {e.id for e in mine})
            # the same event under the same number, and no number skipped or used twice
            assert sorted(r.device_seq for r in theirs.values()) == list(range(1, len(theirs) + 1))
            for e in mine:
                if there := theirs.get(e.id):
                    assert (there.device_seq, there.kind) == (e.device_seq, e.kind)
                    assert json.loads(there.payload) == json.loads(e.payload)

        injected = tills[0].link.injected + tills[1].link.injected
        killed = tills[0].link.kills + tills[1].link.kills
        for route in (PUSH, PULL, SNAPSHOT):
            kinds = {kind: n for (r, kind), n in sorted(injected.items()) if r == route}
            print(f"{route}: {sum(kinds.values())} requests, {kinds}")
        print(
            f"rounds {rounds} in {faulty_seconds:.1f}s; failed syncs "
            f"{sum(till.failed_syncs for till in tills)} of {2 * rounds}; "
            f"server killed {server.kills} time(s) {dict(killed)}; "
            f"events {written} written, {len(on_server)} on the server, "
            f"lost {lost}, doubled {doubled}; customers {len(snapshots)}"
        )
        assert troubles == []
        assert "Traceback" not in server.log.read_text(), server.log.read_text()[-3000:]
        assert lost == doubled == 0 and len(on_server) == written
        assert server.kills >= 1
        for till in tills:
            assert outbox.queued_count(till.ledger) == 0
        assert store.quarantined() == []  # every sale was the program's: nothing held back
        customers = sorted(snapshots)
        assert all(till.customers() == customers for till in tills)
        for cid in customers:
            on_tills = [service.get_customer(till.ledger, cid).balance for till in tills]
            assert on_tills == [Decimal(json.loads(snapshots[cid])["balance"])] * 2, cid
        assert {cid: Decimal(json.loads(snap)["balance"]) for cid, snap in snapshots.items()} == (
            recorded_balances(tills)
        )
    finally:
        server.stop()
        for till in tills:
            till.link.close()
            till.ledger.db.close()
        store.engine.dispose()
