"""Six tills' worth of writers on one ledger, stamped by the real clock: sales with
redemption and accrual, returns and adjustments for the same few customers. Events must
be dated in the order they are committed, and the ledger's own consistency check (the
stored balances and lots against the replay of the events) must find nothing."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.consistency import check_accounts
from cashier_app.storage import schema as t
from tests.shop import samosale_program

REPO = Path(__file__).resolve().parent.parent
WRITERS = 6
SECONDS = 4.0


def writer(folder: Path, seed: int, customers: list[str]) -> dict[str, int]:
    """One writer process: waits for the go, then writes for SECONDS."""
    ledger = service.open_ledger(folder)
    rng = random.Random(seed)
    done = {"sale": 0, "redeemed": 0, "return": 0, "adjustment": 0, "refused": 0}
    receipts: list[str] = []
    print("ready", flush=True)
    sys.stdin.readline()
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        roll = rng.random()
        try:
            if roll < 0.65 or not receipts:
                lines = [
                    LineInput(f"sku{k}", Decimal(rng.randint(100, 9999)) / 100, Decimal(1))
                    for k in range(rng.randint(1, 3))
                ]
                redeem = "max" if rng.random() < 0.4 else Decimal(0)
                sale = service.record_sale(
                    ledger, lines, customer_id=rng.choice(customers), redeem=redeem
                )
                receipts.append(sale.number)
                done["sale"] += 1
                done["redeemed"] += sale.quote.redeemed > 0
            elif roll < 0.85:
                service.record_return(
                    ledger, rng.choice(receipts), [ReturnRequest(None, Decimal(1), 0)]
                )
                done["return"] += 1
            else:
                points = Decimal(rng.choice([-40, -15, 25, 60]))
                service.adjust_balance(ledger, rng.choice(customers), points, "till count")
                done["adjustment"] += 1
        except LoyaltyError:
            done["refused"] += 1  # nothing left to return, too few points, a busy ledger
    ledger.db.close()
    return done


def out_of_order(folder: Path) -> tuple[int, float]:
    """Events dated before an event of the same till with a lower sequence number, and the
    largest such lag in seconds."""
    ledger = service.open_ledger(folder)
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(t.events.c.device_id, t.events.c.at).order_by(
                t.events.c.device_id, t.events.c.device_seq
            )
        ).all()
    ledger.db.close()
    count, lag, latest = 0, 0.0, {}
    for device, at in rows:
        if device in latest and at < latest[device]:
            count += 1
            lag = max(lag, (latest[device] - at).total_seconds())
        latest[device] = max(at, latest.get(device, at))
    return count, lag


def test_the_clock_is_read_once_the_write_lock_is_held(tmp_path):
    committed = threading.Event()
    read_too_early: list[bool] = []

    def clock() -> datetime:
        read_too_early.append(not committed.is_set())
        return datetime.now(UTC)

    ledger = service.open_ledger(tmp_path, clock=clock)
    service.install_program(ledger, samosale_program())
    holding = threading.Event()

    def other_writer() -> None:
        with ledger.db.write():
            holding.set()
            time.sleep(0.3)
            committed.set()  # the lock goes with the commit, just after this

    thread = threading.Thread(target=other_writer)
    thread.start()
    holding.wait()
    read_too_early.clear()
    service.record_sale(ledger, [LineInput("a", Decimal(10), Decimal(1))])
    thread.join()
    ledger.db.close()
    assert read_too_early and not any(read_too_early)


def test_concurrent_writers_keep_the_ledger_consistent(tmp_path):
    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program(accrual_delay_days=0, expiry_days=60))
    customers = []
    for i in range(4):
        cid = service.register_customer(ledger, f"+7900555{i:04d}").customer.id
        service.adjust_balance(ledger, cid, Decimal(500), "opening points")
        customers.append(cid)
    ledger.db.close()

    script = "import json, sys; from tests.test_concurrent_writers import writer; " + (
        "print(json.dumps(writer(__import__('pathlib').Path(sys.argv[1]), int(sys.argv[2]), "
        "sys.argv[3:])))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), str(n), *customers],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        for n in range(WRITERS)
    ]
    totals: dict[str, int] = {}
    try:
        for proc in procs:  # all open and waiting, so they write at the same time
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            for key, value in json.loads(out.strip().splitlines()[-1]).items():
                totals[key] = totals.get(key, 0) + value
    finally:
        for proc in procs:  # one that failed to start must not leave the others waiting
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert totals["sale"] > 50 and totals["redeemed"] and totals["return"]
    assert totals["adjustment"], totals

    count, lag = out_of_order(tmp_path)
    assert count == 0, f"{count} events dated before an earlier-recorded one, by up to {lag:.3f} s"
    ledger = service.open_ledger(tmp_path)
    try:
        report = check_accounts(ledger)
    finally:
        ledger.db.close()
    assert report.customers == len(customers)
    assert report.problems == [], "\n".join(report.problems[:20])
