"""Push throughput from one till to a central server on loopback (target: at least
5,000 events/s), on PostgreSQL (pgserver) or SQLite.

    python -m bench.sync_bench [--events 5000] [--db postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.central import bench_server, serve
from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.sync import outbox, worker


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    central = bench_server(args.db, tmp)
    store, doc = central.store, central.program
    server, base = serve(central.url, args.workers)
    till = service.open_ledger(tmp / "till")
    service.install_program(till, doc)
    rng = random.Random(5)
    customers = [
        service.register_customer(till, f"+7901{n:07d}").customer.id
        for n in range(max(1, args.events // 10))
    ]
    while outbox.queued_count(till) < args.events:
        price = Decimal(rng.randint(100, 500000)) / 100
        service.record_sale(
            till, [LineInput("x", price, Decimal(1))], customer_id=rng.choice(customers)
        )
    queued = outbox.queued_count(till)
    worker.enrol(till, base, store.issue_code(), "bench till")
    client = worker.client_for(till)
    assert client is not None
    t0 = time.perf_counter()
    pushed = 0
    while batch := outbox.next_batch(till, worker.PUSH_BATCH):
        answer = client.push(batch)
        outbox.mark_sent(
            till, [r.id for r in answer.results if r.status != "refused"], till.clock()
        )
        pushed += len(batch)
    took = time.perf_counter() - t0
    rate = pushed / took
    print(
        f"{'push from one till (' + args.db + ')':<48} {pushed} events in {took:.2f} s = {rate:,.0f} events/s "
        f"(target 5,000/s) {'ok' if rate >= 5000 else 'MISSED'}; queued before {queued}"
    )
    t0 = time.perf_counter()
    done = worker.sync_once(till, client)
    print(
        f"{'pull of what that push changed':<48} {done.pulled} changes in {time.perf_counter() - t0:.2f} s"
    )
    server.terminate()
    server.wait(10)
    till.db.close()
    central.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
