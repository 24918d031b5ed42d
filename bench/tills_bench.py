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

The simulated tills (this process) run on one core and the server side (its processes
and PostgreSQL's) on the others, so the figures measure the server, as with tills on
their own machines; ``--no-pin`` shares every core as before.

    python -m bench.tills_bench [--tills 200] [--rate 1100] [--seconds 30] [--no-pin]
"""

from __future__ import annotations

import argparse
import os
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

from bench.central import bench_server, pin, process_tree, serve, split_cores
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
                    # one line, as every till's sale has at least one (event_check.py)
                    "lines": [
                        {
                            "sku": "latte",
                            "qty": "1",
                            "price": total,
                            "amount": total,
                            "discount": "0.00",
                            "redeemed_money": "0.00",
                            "accrual_base": total,
                        }
                    ],
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


def pin_apart(server_side: list[int]) -> None:
    """This process (the simulated tills, and every thread it starts later) onto one
    core, ``server_side``'s process trees onto the others; says what went where."""
    cores = split_cores()
    if cores is None:
        print(
            "pinning: one core only (or no CPU affinity here): the tills share it with the server"
        )
        return
    tills_core, server_cores = cores
    pin([os.getpid()], tills_core)
    names = ["central server", "PostgreSQL"]
    placed = []
    for name, root in zip(names, server_side, strict=False):
        pids = pin(process_tree(root), server_cores)
        placed.append(f"{name} ({len(pids)} processes from pid {root})")
    print(
        f"pinning: the simulated tills (pid {os.getpid()}) on core {_cores(tills_core)}; "
        f"{' and '.join(placed)} on core {_cores(server_cores)}"
    )


def _cores(cores: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cores))


def cpu_seconds(roots: list[int]) -> float:
    """CPU time (user and system) used so far by these processes and their descendants
    alive now; a descendant that ended took its time with it (PostgreSQL's backends here
    live as long as their connection pools)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in roots:
        for pid in process_tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def by_window(timeline: list[tuple[float, float]], width: float) -> str:
    """Each window's p99 latency and its number of requests, to see when the slow ones
    were sent (the start, a steady state, the end)."""
    windows: dict[int, list[float]] = {}
    for at, ms in timeline:
        windows.setdefault(int(at // width), []).append(ms)
    parts = []
    for n in sorted(windows):
        ms = sorted(windows[n])
        parts.append(f"{ms[max(0, int(len(ms) * 0.99) - 1)]:.0f}")
    return " ".join(parts) + " ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tills", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1100, help="events/s offered, all tills")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between pushes")
    parser.add_argument("--burst", type=int, default=0, help="instead: N events per till at once")
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the tills on one core, the server and PostgreSQL on the others (default: on)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tills-bench-"))
    central = bench_server(args.db, tmp)
    url, engine, store = central.url, central.engine, central.store
    tokens = [store.enrol(store.issue_code(), f"till {n}")[1] for n in range(args.tills)]
    server, base = serve(url, args.workers)
    server_side = [server.pid] + ([central.cluster.get_pid()] if central.cluster else [])
    if args.pin:
        pin_apart(server_side)
    cpu_before = [cpu_seconds([root]) for root in server_side]
    tills = [SimulatedTill(n) for n in range(args.tills)]
    latencies: list[float] = []
    errors: list[str] = []
    timeline: list[tuple[float, float]] = []  # (when sent, seconds into the run; ms)
    refusals: list[str] = []  # a refused event is never sent again: the bench is wrong
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
            timeline.append((t0 - started[0], latencies[-1]))
        if r.status_code != 200:
            with lock:
                errors.append(str(r.status_code))
            return
        results = r.json()["results"]
        stored = [x for x in results if x["status"] in ("accepted", "duplicate")]
        till.sent += len(stored)
        if len(stored) < len(results):
            with lock:
                refusals.extend(x["reason"] for x in results if x["status"] == "refused")

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
    server_cpu = [
        cpu_seconds([root]) - before for root, before in zip(server_side, cpu_before, strict=True)
    ]
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
            results = r.json()["results"] if r.status_code == 200 else []
            taken = sum(1 for x in results if x["status"] != "refused")
            if not taken:  # refused or failed: what is left of this till is lost
                refusals.extend(x["reason"] for x in results if x["status"] == "refused")
                errors.append(str(r.status_code))
                break
            till.sent += taken
    # The server stops first: its replayer, stopped mid-transaction, would otherwise hold
    # customers this catch-up skips. What is left is what the replay had not done yet.
    server.terminate()
    server.wait(10)
    with engine.connect() as conn:
        waiting = conn.execute(
            select(func.count(func.distinct(s.dirty_marks.c.customer_id)))
        ).scalar_one()
    t0 = time.perf_counter()
    store.catch_up()
    replay_left = time.perf_counter() - t0
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
    print(f"{'p99 by 5 s of the run (when sent)':<48} {by_window(timeline, 5)}")
    if refusals:
        print(
            f"{'events refused (a fault of the bench)':<48} {len(refusals)}, first: {refusals[0]}"
        )
    print(
        f"{'replay left after the last push':<48} {replay_left:.1f} s ({waiting} customers waiting); {accounts} customers' balances"
    )
    shares = ", ".join(
        f"{name} {cpu / took:.0%}"
        for name, cpu in zip(("server processes", "PostgreSQL"), server_cpu, strict=False)
    )
    print(
        f"{'server side CPU during the run, of one core':<48} {sum(server_cpu) / took:.0%}: {shares}"
    )
    central.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
