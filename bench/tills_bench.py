"""Many tills pushing to one central server at once (target: 200 tills, at least
1,000 events/s sustained, p99 request at most 200 ms, nothing lost, nothing doubled).

The server runs as its own process(es) (``central-server serve``) on PostgreSQL (pgserver)
or SQLite. Each simulated till is a thread with its own enrolled device and its own
customers. It records sales on a schedule that does not wait for the server (open loop:
``--rate`` events per second shared by all tills) and, like the till's sync loop, pushes
everything recorded since its last push once every ``--interval`` seconds, at a phase of
its own. A till whose push is slow simply sends a bigger batch next time, so a server that
cannot keep up shows it as latency and as a backlog at the end, not as a lower offered
rate. ``--burst`` instead sends every till's whole outbox at once, to find the ceiling.

    python -m bench.tills_bench [--tills 200] [--rate 1100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import requests
from sqlalchemy import func, select

from bench.central import bench_server, serve
from central_server import schema as s

CUSTOMERS_PER_TILL = 20


class SimulatedTill:
    """One till's outbox: its customers' registrations first, then sales to them."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.rng = random.Random(number)
        self.customers: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.sent = 0  # events the server has stored

    def record(self, count: int) -> None:
        for _ in range(count):
            now = datetime.now(UTC)
            if len(self.customers) < CUSTOMERS_PER_TILL:
                customer = str(uuid.uuid4())
                phone = f"+7902{self.number:03d}{len(self.customers):04d}"
                self.customers.append(customer)
                self._add(
                    "customer_registered",
                    now,
                    customer,
                    {"customer_id": customer, "phone": phone, "name": "", "group": "regular"},
                )
                continue
            customer = self.rng.choice(self.customers)
            receipt = str(uuid.uuid4())
            total = f"{self.rng.randint(100, 5000)}.00"
            accrued = str(int(float(total) * 0.03))
            self._add(
                "sale",
                now,
                customer,
                {
                    "receipt_id": receipt,
                    "number": f"B{self.number}-{len(self.events)}",
                    "customer_id": customer,
                    "total": total,
                    "discount": "0.00",
                    "redeemed": "0",
                    "paid": total,
                    "accrued": accrued,
                    "accrual_lot": {
                        "id": f"accrual:{receipt}",
                        "available_at": now.isoformat(),
                        "expires_at": (now + timedelta(days=60)).isoformat(),
                    },
                },
            )

    def _add(self, kind: str, at: datetime, customer: str, payload: dict[str, Any]) -> None:
        self.events.append(
            {
                "id": str(uuid.uuid4()),
                "device_seq": len(self.events) + 1,
                "kind": kind,
                "at": at.isoformat(),
                "customer_id": customer,
                "program_version": 1,
                "payload": payload,
            }
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tills", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1100, help="events/s offered, all tills")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between pushes")
    parser.add_argument("--burst", type=int, default=0, help="instead: N events per till at once")
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tills-bench-"))
    central = bench_server(args.db, tmp)
    url, engine, store = central.url, central.engine, central.store
    tokens = [store.enrol(store.issue_code(), f"till {n}")[1] for n in range(args.tills)]
    server, base = serve(url, args.workers)
    tills = [SimulatedTill(n) for n in range(args.tills)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_tick = args.rate / args.tills * args.interval
    barrier = threading.Barrier(args.tills + 1)
    started = [0.0]

    def push(till: SimulatedTill, session: requests.Session, headers: dict[str, str]) -> None:
        batch = till.events[till.sent : till.sent + 5000]
        body = orjson.dumps({"events": batch})
        t0 = time.perf_counter()
        try:
            r = session.post(base + "/v1/events", data=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            with lock:
                errors.append(type(exc).__name__)
            return
        with lock:
            latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            with lock:
                errors.append(str(r.status_code))
            return
        stored = [x for x in r.json()["results"] if x["status"] in ("accepted", "duplicate")]
        till.sent += len(stored)

    def run(till: SimulatedTill) -> None:
        session = requests.Session()
        headers = {
            "Authorization": f"Bearer {tokens[till.number]}",
            "Content-Type": "application/json",
        }
        if args.burst:
            till.record(args.burst)
        barrier.wait()
        if args.burst:
            while till.sent < len(till.events):
                push(till, session, headers)
            return
        phase = till.rng.random() * args.interval
        owed = 0.0
        tick = 0
        while True:
            due = started[0] + phase + tick * args.interval
            if due > started[0] + args.seconds:
                break
            time.sleep(max(0.0, due - time.perf_counter()))
            # the sales of every interval that has passed, even if a push ran late
            while started[0] + phase + tick * args.interval <= time.perf_counter():
                owed += per_tick
                tick += 1
            till.record(int(owed))
            owed -= int(owed)
            if till.sent < len(till.events):
                push(till, session, headers)

    threads = [threading.Thread(target=run, args=(t,)) for t in tills]
    for th in threads:
        th.start()
    barrier.wait()
    started[0] = time.perf_counter()
    for th in threads:
        th.join()
    took = time.perf_counter() - started[0]
    offered = sum(len(t.events) for t in tills)
    backlog = sum(len(t.events) - t.sent for t in tills)
    # Whatever is left is sent now, so "lost" counts only what the server dropped.
    drain = requests.Session()
    for till in tills:
        headers = {
            "Authorization": f"Bearer {tokens[till.number]}",
            "Content-Type": "application/json",
        }
        while till.sent < len(till.events):
            body = orjson.dumps({"events": till.events[till.sent : till.sent + 5000]})
            r = drain.post(base + "/v1/events", data=body, headers=headers, timeout=120)
            till.sent += sum(1 for x in r.json()["results"] if x["status"] != "refused")
    t0 = time.perf_counter()
    store.catch_up()
    replay_left = time.perf_counter() - t0
    server.terminate()
    server.wait(10)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(s.events)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(s.events.c.id)))).scalar_one()
        accounts = conn.execute(select(func.count()).select_from(s.accounts)).scalar_one()
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    rate = (offered - backlog) / took
    mode = (
        f"burst of {args.burst} per till"
        if args.burst
        else f"{args.rate:,.0f} events/s offered, a push every {args.interval:g} s"
    )
    print(
        f"{args.tills} tills on {args.db}, {args.workers} server processes, {mode}: {offered} events in {took:.1f} s"
    )
    print(
        f"{'sustained push from many tills':<48} {rate:,.0f} events/s stored (target ≥ 1,000) {'ok' if rate >= 1000 else 'MISSED'}; backlog at the end {backlog}"
    )
    print(
        f"{'push request latency':<48} median {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms "
        f"over {len(latencies)} requests (target ≤ 200) {'ok' if p99 <= 200 else 'MISSED'}"
    )
    print(
        f"{'lost / duplicated':<48} {offered - distinct} / {stored - distinct} (target 0 / 0); failed requests: {len(errors)}"
    )
    print(
        f"{'replay left after the last push':<48} {replay_left:.1f} s; {accounts} customers' balances"
    )
    central.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
