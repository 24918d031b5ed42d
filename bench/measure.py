"""Timing the application's own calls on a generated ledger, beside raw sqlite3 baselines
measured in the same run, and beside their targets (docs/benchmarks.md)."""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bench.generate import NOW, Built, card_of, phone_of
from cashier_app import service
from cashier_app.engine.receipt import LineInput, Shopper, quote_receipt
from cashier_app.ui.app import freeze_startup_heap

PHONE_FORMATS = ("8 900 {a}-{b}-{c}", "+7 (900) {a} {b} {c}", "900{a}{b}{c}")


@dataclass
class Figure:
    name: str
    median_ms: float
    p99_ms: float
    target_ms: float | None
    baseline_ms: float | None = None
    note: str = ""

    @property
    def ok(self) -> bool | None:
        return None if self.target_ms is None else self.p99_ms <= self.target_ms


def timed(fn: Callable[[int], object], runs: int, warmup: int = 20) -> tuple[float, float]:
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(runs):
        t0 = time.perf_counter_ns()
        fn(i)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def fifty_lines(rng: random.Random) -> list[LineInput]:
    cats = ["coffee", "bakery", "tobacco", "flowers", "clothes"]
    return [
        LineInput(
            f"sku{i}",
            Decimal(rng.randint(100, 500_000)) / 100,
            Decimal(rng.randint(1, 3000)) / 1000 if i % 7 == 0 else Decimal(rng.randint(1, 4)),
            category=rng.choice(cats),
            no_loyalty=(i % 13 == 0),
        )
        for i in range(50)
    ]


def measure(built: Built, runs: int = 2000, seed: int = 2) -> list[Figure]:
    rng = random.Random(seed)
    ledger = service.open_ledger(built.path.parent, clock=lambda: NOW)
    freeze_startup_heap()  # as the window does once the checkout is up
    raw = sqlite3.connect(built.path)
    n = built.customers
    picks = [rng.randrange(n) for _ in range(runs + 100)]
    figures: list[Figure] = []

    def typed_phone(i: int) -> str:
        e164 = phone_of(picks[i])
        d = e164[-7:]
        return PHONE_FORMATS[i % 3].format(a=d[:3], b=d[3:5], c=d[5:])

    base = timed(
        lambda i: raw.execute(
            "SELECT id FROM customers WHERE phone = ?", (phone_of(picks[i]),)
        ).fetchone(),
        runs,
    )
    med, p99 = timed(lambda i: service.find_by_phone(ledger, typed_phone(i)), runs)
    figures.append(Figure("find customer by phone (any format)", med, p99, 0.5, base[1]))
    base = timed(
        lambda i: raw.execute(
            "SELECT customer_id FROM cards WHERE number = ?", (card_of(picks[i]),)
        ).fetchone(),
        runs,
    )
    med, p99 = timed(lambda i: service.find_by_card(ledger, card_of(picks[i])), runs)
    figures.append(Figure("find customer by card scan", med, p99, 0.5, base[1]))

    with ledger.db.read() as conn:
        program = ledger.program(conn)
    receipts = [fifty_lines(rng) for _ in range(50)]
    shopper = Shopper(
        program.group("vip") or program.default_group,
        Decimal("12000"),
        Decimal("12000"),
        Decimal("5000"),
    )
    med, p99 = timed(lambda i: quote_receipt(program, receipts[i % 50], shopper, "max"), runs)
    figures.append(Figure("compute a 50-line receipt (engine)", med, p99, 2.0))
    hot = built.hot_customer
    med, p99 = timed(
        lambda i: service.quote_sale(ledger, receipts[i % 50], customer_id=hot, redeem="max"),
        min(runs, 500),
    )
    figures.append(
        Figure("quote a 50-line receipt (service, with reads)", med, p99, None, note="hot customer")
    )

    with ledger.db.read() as conn:
        open_lots = conn.exec_driver_sql(
            "SELECT count(*) FROM lots WHERE customer_id = ? AND remaining > 0", (hot,)
        ).scalar()
        hot_events = conn.exec_driver_sql(
            "SELECT count(*) FROM events WHERE customer_id = ?", (hot,)
        ).scalar()
    med, p99 = timed(lambda i: service.get_customer(ledger, hot), runs)
    figures.append(
        Figure(
            "balance, tier and lots of a customer",
            med,
            p99,
            2.0,
            note=f"{hot_events} events, {open_lots} open lots",
        )
    )

    # Durable commit baseline: one row, WAL + synchronous=FULL, like the app.
    dur = sqlite3.connect(built.path.parent / "baseline.sqlite3", isolation_level=None)
    dur.execute("PRAGMA journal_mode=WAL")
    dur.execute("PRAGMA synchronous=FULL")
    dur.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")

    def raw_commit(i: int) -> None:
        dur.execute("BEGIN IMMEDIATE")
        dur.execute("INSERT INTO t (v) VALUES (?)", ("x" * 200,))
        dur.execute("COMMIT")

    sale_runs = min(runs, 1000)
    base = timed(raw_commit, sale_runs)
    small = [
        LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee"),
        LineInput("croissant", Decimal("180.00"), Decimal("1"), category="bakery"),
    ]
    buyers = [f"{picks[i]}" for i in range(sale_runs + 100)]
    ids = {}
    with ledger.db.read() as conn:
        for b in set(buyers):
            ids[b] = conn.exec_driver_sql(
                "SELECT id FROM customers WHERE phone = ?", (phone_of(int(b)),)
            ).scalar()

    def sale(i: int) -> None:
        service.record_sale(
            ledger, small, customer_id=ids[buyers[i]], redeem="max" if i % 3 == 0 else Decimal(0)
        )

    med, p99 = timed(sale, sale_runs)
    figures.append(Figure("commit a sale durably (WAL, synchronous=FULL)", med, p99, 3.0, base[1]))
    raw.close()
    dur.close()
    ledger.db.close()
    return figures
