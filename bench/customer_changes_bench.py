"""A manager's customer changes at scale: erasing one customer's personal data (which
compacts the name search's index, the part that grows with the customer base) and moving
customers to another group, one and a thousand in one transaction, on bench/generate.py's
ledger of N customers with one event each.

    python -m bench.customer_changes_bench                         # a quick run
    nice python -m bench.customer_changes_bench --customers 1000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.generate import build
from cashier_app import service
from cashier_app.service.customer_changes import anonymise_customer, move_to_group
from cashier_app.service.users import OPERATOR
from cashier_app.storage import schema as t


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.customer_changes_bench")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ledger"
        started = time.perf_counter()
        build(folder, args.customers, args.customers, hot_events=100)
        print(f"{args.customers:,} customers built in {time.perf_counter() - started:.0f} s")
        ledger = service.open_ledger(folder)
        with ledger.db.read() as conn:
            ids = list(conn.execute(select(t.customers.c.id).limit(1100 + args.runs)).scalars())
        erase = []
        for cid in ids[: args.runs]:
            started = time.perf_counter()
            anonymise_customer(ledger, OPERATOR, cid)
            erase.append(time.perf_counter() - started)
        print(
            f"anonymise one customer: median {statistics.median(erase):.3f} s, "
            f"slowest {max(erase):.3f} s"
        )
        started = time.perf_counter()
        move_to_group(ledger, OPERATOR, ids[args.runs : args.runs + 1], "staff")
        print(f"move one customer to another group: {time.perf_counter() - started:.3f} s")
        started = time.perf_counter()
        moved = move_to_group(ledger, OPERATOR, ids[args.runs + 100 :], "staff")
        print(f"move {moved} customers in one transaction: {time.perf_counter() - started:.2f} s")
        ledger.db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
