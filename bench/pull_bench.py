"""A new till's first full pull from a central server on PostgreSQL (target: 1,000,000
customers within 60 s, with progress). The server's tables are bulk-loaded with customers,
their account snapshots and the change feed, as a network of that size would have them.

    python -m bench.pull_bench [--customers 1000000] [--page 5000]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.central import serve
from cashier_app import service
from cashier_app.paths import resource
from cashier_app.sync import worker
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=5000)
    args = parser.parse_args()
    import pgserver
    import psycopg

    tmp = Path(tempfile.mkdtemp(prefix="pull-bench-"))
    cluster = pgserver.get_server(str(tmp / "pg"), cleanup_mode="stop")
    engine = make_engine(cluster.get_uri())
    migrate(engine)
    store = CentralLedger(engine)
    store.publish_program(
        json.loads(resource("programs", "samosale_default.json").read_text(encoding="utf-8"))
    )
    t0 = time.perf_counter()
    now = datetime.now(UTC) - timedelta(minutes=1)
    customers, accounts, changes = io.StringIO(), io.StringIO(), io.StringIO()
    cursor = 1  # the program is change 1
    for n in range(args.customers):
        cid = f"00000000-0000-7000-8000-{n:012d}"
        phone = f"+7903{n:07d}"
        data = {
            "name": f"Покупатель {n}",
            "birthday": None,
            "group": "regular",
            "cards": [f"29{n:010d}0"],
            "registered_at": (now - timedelta(days=300)).isoformat(),
        }
        snap = {
            "customer_id": cid,
            "as_of": now.isoformat(),
            "debt": "0",
            "balance": "120",
            "pending": "0",
            "tier_basis": "4000.00",
            "profile": {
                "last_purchase_at": (now - timedelta(days=3)).isoformat(),
                "winback_stage": 0,
                "birthday_year_done": None,
                "sales_count": 4,
                "sales_net_total": "4000.00",
            },
            "lots": [
                {
                    "id": f"accrual:{cid}",
                    "kind": "accrual",
                    "points": "120",
                    "remaining": "120",
                    "credited_at": now.isoformat(),
                    "available_at": now.isoformat(),
                    "expires_at": (now + timedelta(days=60)).isoformat(),
                    "receipt": None,
                    "origin_lot": None,
                    "settled": True,
                    "warned": False,
                }
            ],
        }
        djson = json.dumps(data, ensure_ascii=False)
        sjson = json.dumps(snap)
        customers.write(f"{cid}\t{phone}\t{_tsv(djson)}\t{data['registered_at']}\n")
        accounts.write(f"{cid}\t{_tsv(sjson)}\t{now.isoformat()}\n")
        cursor += 1
        changes.write(
            f"{cursor}\tcustomer\t{cid}\t{_tsv(json.dumps({'id': cid, 'phone': phone, **data}, ensure_ascii=False))}\n"
        )
        cursor += 1
        changes.write(f"{cursor}\taccount\t{cid}\t{_tsv(sjson)}\n")
    with psycopg.connect(cluster.get_uri()) as conn, conn.cursor() as cur:
        for table, buf, cols in (
            ("customers", customers, "(id, phone, data, registered_at)"),
            ("accounts", accounts, "(customer_id, snapshot, updated_at)"),
            ("changes", changes, "(cursor, kind, key, payload)"),
        ):
            buf.seek(0)
            with cur.copy(f"COPY {table} {cols} FROM STDIN") as copy:
                while chunk := buf.read(1 << 20):
                    copy.write(chunk)
        cur.execute("UPDATE cursor_counter SET value = %s", (cursor,))
    print(
        f"server loaded with {args.customers:,} customers in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    # The server in its own process, as it is on its own machine in a shop network.
    server, base = serve(cluster.get_uri(), 1)
    till = service.open_ledger(tmp / "till")
    worker.enrol(till, base, store.issue_code(), "new till")
    client = worker.client_for(till)
    assert client is not None
    worker.PULL_PAGE = args.page
    started = time.perf_counter()
    last = [started]

    def progress(pulled: int) -> None:
        if time.perf_counter() - last[0] > 5:
            last[0] = time.perf_counter()
            print(f"  {pulled:,} changes pulled, {time.perf_counter() - started:.0f} s", flush=True)

    done = worker.sync_once(till, client, pull_progress=progress)
    took = time.perf_counter() - started
    found = service.find_by_phone(till, f"+7903{args.customers - 1:07d}")
    assert found is not None and service.get_customer(till, found).balance == 120
    print(
        f"{'first full pull of ' + format(args.customers, ',') + ' customers':<48} {took:.1f} s "
        f"({done.pulled:,} changes, {done.pulled / took:,.0f}/s) target ≤ 60 s {'ok' if took <= 60 else 'MISSED'}"
    )
    server.terminate()
    server.wait(10)
    till.db.close()
    engine.dispose()
    cluster.cleanup()
    return 0


def _tsv(text: str) -> str:
    # COPY text format: backslash, tab and newline are escaped
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


if __name__ == "__main__":
    sys.exit(main())
