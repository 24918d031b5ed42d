"""Many tills pushing to one central server at once (QUALITY.md: 200 tills, at least
1,000 events/s sustained, p99 request at most 200 ms, nothing lost, nothing doubled).

The server runs as its own process (``central-server serve``) on PostgreSQL (pgserver) or
SQLite; each simulated till is a thread with its own enrolled device, sending batches of
registrations and sales in the shape a real till records them.

    python -m bench.tills_bench [--tills 200] [--batches 10] [--batch-size 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import func, select

from bench.central import bench_server, serve
from central_server import schema as s

ADMIN = "bench-admin"


def till_events(till: int, batches: int, size: int) -> list[list[dict[str, object]]]:
    """A till's outbox: one customer registered, then sales to them, device-seq ordered."""
    customer = str(uuid.uuid4())
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC) + timedelta(seconds=till)
    events: list[dict[str, object]] = []
    seq = 0

    def add(kind: str, at: datetime, payload: dict[str, object]) -> None:
        nonlocal seq
        seq += 1
        events.append(
            {
                "id": str(uuid.uuid4()),
                "device_seq": seq,
                "kind": kind,
                "at": at.isoformat(),
                "customer_id": customer,
                "program_version": 1,
                "payload": payload,
            }
        )

    add(
        "customer_registered",
        start,
        {"customer_id": customer, "phone": f"+7902{till:03d}0000", "name": "", "group": "regular"},
    )
    while len(events) < batches * size:
        at = start + timedelta(minutes=len(events))
        receipt = str(uuid.uuid4())
        add(
            "sale",
            at,
            {
                "receipt_id": receipt,
                "number": f"B{till}-{len(events)}",
                "customer_id": customer,
                "total": "1000.00",
                "discount": "0.00",
                "redeemed": "0",
                "paid": "1000.00",
                "accrued": "30",
                "accrual_lot": {
                    "id": f"accrual:{receipt}",
                    "available_at": at.isoformat(),
                    "expires_at": (at + timedelta(days=60)).isoformat(),
                },
            },
        )
    return [events[i : i + size] for i in range(0, len(events), size)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tills", type=int, default=200)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tills-bench-"))
    central = bench_server(args.db, tmp)
    url, engine, store = central.url, central.engine, central.store
    tokens = [store.enrol(store.issue_code(), f"till {n}")[1] for n in range(args.tills)]
    server, base = serve(url, args.workers)
    work = [till_events(n, args.batches, args.batch_size) for n in range(args.tills)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(args.tills)

    def run(n: int) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {tokens[n]}"}
        barrier.wait()
        for batch in work[n]:
            for _attempt in range(5):
                t0 = time.perf_counter()
                try:
                    r = session.post(
                        base + "/v1/events", json={"events": batch}, headers=headers, timeout=60
                    )
                except requests.RequestException as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                    continue
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code == 200 and all(
                    x["status"] in ("accepted", "duplicate") for x in r.json()["results"]
                ):
                    break
                with lock:
                    errors.append(f"{r.status_code}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(args.tills)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.perf_counter() - t0
    server.terminate()
    server.wait(10)
    sent = sum(len(b) for w in work for b in w)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(s.events)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(s.events.c.id)))).scalar_one()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    rate = stored / took
    print(
        f"{args.tills} tills × {args.batches} batches of {args.batch_size} on {args.db}: {sent} events in {took:.1f} s"
    )
    print(
        f"{'sustained push from many tills':<48} {rate:,.0f} events/s (target ≥ 1,000) {'ok' if rate >= 1000 else 'MISSED'}"
    )
    print(
        f"{'request latency':<48} median {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms (target ≤ 200) "
        f"{'ok' if p99 <= 200 else 'MISSED'}"
    )
    print(
        f"{'lost / duplicated':<48} {sent - distinct} / {stored - distinct} (target 0 / 0); retried requests: {len(errors)}"
    )
    central.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
