"""A new till's first full pull from a central server on PostgreSQL (target: 1,000,000
customers within 45 s, with progress): the snapshot page by page into the staging file,
moved into the ledger at the end, then the feed after the earliest page's cursor. The
server's tables are bulk-loaded with customers, their account snapshots and the change
feed, as a network of that size would have them.

``--break-after K`` then pulls again into a second new till whose download breaks after K
pages, and shows the next sync going on from there (how many pages each attempt fetched).

    python -m bench.pull_bench [--customers 1000000] [--page 10000] [--break-after K]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.central import serve
from cashier_app import service
from cashier_app.engine.protocol import SNAPSHOT_PAGE
from cashier_app.paths import resource
from cashier_app.storage.staged_pull import FILE_NAME
from cashier_app.sync import snapshot, worker
from cashier_app.sync.client import SyncClient, SyncError
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=SNAPSHOT_PAGE)
    parser.add_argument("--break-after", type=int, default=None, metavar="K")
    parser.add_argument(
        "--profile", action="store_true", help="the till's share under cProfile (slower)"
    )
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
    snapshot.PAGE = args.page
    # The server in its own process, as it is on its own machine in a shop network.
    server, base = serve(cluster.get_uri(), 1)
    try:
        _clean_pull(tmp / "till", base, store, args)
        if args.break_after is not None:
            _broken_pull(tmp / "till-broken", base, store, args)
    finally:
        server.terminate()
        server.wait(10)
        engine.dispose()
        cluster.cleanup()
    return 0


def _till(folder: Path, base: str, store: CentralLedger) -> tuple[Any, SyncClient, list[str]]:
    """A new till enrolled with the server; its client records each page it asks for."""
    till = service.open_ledger(folder)
    worker.enrol(till, base, store.issue_code(), folder.name)
    client = worker.client_for(till)
    assert client is not None
    asked: list[str] = []
    fetch = client.snapshot_page

    def page(after: str, limit: int) -> list[bytes]:
        asked.append(after)
        return fetch(after, limit)

    client.snapshot_page = page  # type: ignore[method-assign]
    return till, client, asked


def _clean_pull(folder: Path, base: str, store: CentralLedger, args: argparse.Namespace) -> None:
    till, client, asked = _till(folder, base, store)
    moves: list[float] = []
    move = snapshot._move

    def timed_move(*a: Any) -> int:
        began, written = time.perf_counter(), _written()
        try:
            return move(*a)
        finally:
            moves.append(time.perf_counter() - began)
            moves.append((_written() - written) / 2**20)

    snapshot._move = timed_move  # type: ignore[assignment]
    started, cpu, written = time.perf_counter(), time.process_time(), _written()
    server_cpu = _cpu_of(_server_pid(base))
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    done = worker.sync_once(till, client, pull_progress=_progress(started))
    took = time.perf_counter() - started
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    till_cpu = time.process_time() - cpu
    server_cpu = _cpu_of(_server_pid(base)) - server_cpu
    snapshot._move = move  # type: ignore[assignment]
    _check(till, args.customers)
    ledger = folder / "ledger.sqlite3"
    wal = ledger.with_name(ledger.name + "-wal")
    print(
        f"{'paged first pull of ' + format(args.customers, ',') + ' customers':<48} {took:.1f} s "
        f"({done.pulled:,} customers and changes, {len(asked)} pages of {args.page:,}) "
        f"target ≤ 45 s {'ok' if took <= 45 else 'MISSED'}"
    )
    print(
        f"  download and staging {took - moves[0]:.1f} s, move into the ledger {moves[0]:.1f} s "
        f"({moves[1]:,.0f} MiB written by the till meanwhile)"
    )
    print(
        f"  till CPU {till_cpu:.1f} s, server process CPU {server_cpu:.1f} s; till wrote "
        f"{(_written() - written) / 2**20:,.0f} MiB in all; ledger {ledger.stat().st_size / 2**20:,.0f} MiB, "
        f"WAL {wal.stat().st_size / 2**20 if wal.exists() else 0:,.1f} MiB after the pull"
    )
    till.db.close()


def _broken_pull(folder: Path, base: str, store: CentralLedger, args: argparse.Namespace) -> None:
    """A download broken after ``--break-after`` pages, then the next sync going on."""
    till, client, asked = _till(folder, base, store)
    fetch = client.snapshot_page
    budget = [args.break_after]

    def breaking(after: str, limit: int) -> list[bytes]:
        if budget[0] <= 0:
            raise SyncError("the snapshot download broke: ConnectionError (bench)")
        budget[0] -= 1
        return fetch(after, limit)

    client.snapshot_page = breaking  # type: ignore[method-assign]
    started = time.perf_counter()
    try:
        worker.sync_once(till, client)
        raise AssertionError("the download did not break")
    except SyncError as exc:
        first = time.perf_counter() - started
        print(f"  broken after {args.break_after} pages ({exc}) in {first:.1f} s")
    stored = len(asked)
    budget[0] = 10**9
    started = time.perf_counter()
    done = worker.sync_once(till, client)
    second = time.perf_counter() - started
    _check(till, args.customers)
    print(
        f"{'resumed first pull after ' + str(args.break_after) + ' pages':<48} {second:.1f} s "
        f"(the second attempt fetched {len(asked) - stored} pages, the first {stored}, "
        f"{done.pulled:,} pulled)"
    )
    till.db.close()


def _check(till: Any, customers: int) -> None:
    found = service.find_by_phone(till, f"+7903{customers - 1:07d}")
    assert found is not None and service.get_customer(till, found).balance == 120
    assert not (till.db.path.parent / FILE_NAME).exists()


def _progress(started: float) -> Any:
    last = [started]

    def progress(pulled: int) -> None:
        if time.perf_counter() - last[0] > 5:
            last[0] = time.perf_counter()
            print(f"  {pulled:,} pulled, {time.perf_counter() - started:.0f} s", flush=True)

    return progress


def _written() -> int:
    """Bytes this process has caused to be written to storage (Linux)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def _server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"central_server.cli" in cmd and port.encode() in cmd:
                return int(entry.name)
    return 0


def _cpu_of(pid: int) -> float:
    """A process's CPU seconds, its threads' included (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tsv(text: str) -> str:
    # COPY text format: backslash, tab and newline are escaped
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


if __name__ == "__main__":
    sys.exit(main())
