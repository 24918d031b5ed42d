"""A seeded store network in a real ledger file: customers with cards and projections,
and ledger events (registrations and sales, with receipts, lines and lots), written with
bulk inserts into the migrated schema (indexes dropped during the load and rebuilt after,
as a restore would).

One "hot" customer gets ``hot_events`` sales, for the balance-of-a-busy-customer figure.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cashier_app import service
from cashier_app.paths import resource
from cashier_app.service.cards import card_number

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=365)
CHUNK = 50_000


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def uid(kind: int, n: int) -> str:
    h = f"{kind:04x}{n:028x}"
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def phone_of(n: int) -> str:
    return f"+7900{n:07d}"


def card_of(n: int) -> str:
    return card_number(f"{n // 9_999_999:04d}", n % 9_999_999 + 1)


@dataclass
class Built:
    path: Path
    customers: int
    events: int
    hot_customer: str
    seconds: float


def build(
    folder: Path, customers: int, events: int, hot_events: int = 10_000, seed: int = 1
) -> Built:
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    ledger = service.open_ledger(folder, device_name="Bench till")
    program = json.loads(resource("programs", "samosale_default.json").read_text(encoding="utf-8"))
    service.install_program(ledger, program)
    ledger.db.close()
    path = folder / "ledger.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # a one-off load; the app itself always uses WAL+FULL
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    db.execute("PRAGMA foreign_keys=OFF")
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    db.execute("DROP TRIGGER customer_names_ai")
    db.execute("BEGIN")
    rng = random.Random(seed)
    # The history is this till's own (its outbox already acknowledged by the server):
    # one gapless device sequence, as the ledger requires.
    device_id = db.execute("SELECT device_id FROM device").fetchone()[0]
    seq = [0]

    def event_row(
        eid: str, kind: str, at: datetime, cid: str, payload: dict[str, object]
    ) -> tuple[object, ...]:
        seq[0] += 1
        return (eid, device_id, seq[0], kind, ts(at), ts(at), cid, None, 1, json.dumps(payload))

    sales = max(0, events - customers)
    hot = min(hot_events, sales)
    # Sales per ordinary customer; the hot customer (number 0) gets ``hot`` of them.
    per = (sales - hot) / max(1, customers - 1)
    span = (NOW - START).total_seconds()

    events_rows: list[tuple[object, ...]] = []
    outbox_rows: list[tuple[object, ...]] = []
    n_sale = 0
    n_event = 0
    cust_rows, card_rows, acc_rows = [], [], []
    receipt_rows, line_rows, lot_rows = [], [], []

    def flush(final: bool = False) -> None:
        for sql, rows in (
            (
                "INSERT INTO events (id, device_id, device_seq, kind, at, recorded_at, customer_id, actor,"
                " program_version, payload) VALUES (?,?,?,?,?,?,?,?,?,?)",
                events_rows,
            ),
            (
                "INSERT INTO outbox (event_id, device_seq, sent_at, attempts) VALUES (?,?,?,0)",
                outbox_rows,
            ),
            (
                "INSERT INTO customers (id, phone, phone_last4, name, birthday, group_id, registered_at,"
                " consent_at, referrer_id, event_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                cust_rows,
            ),
            (
                "INSERT INTO cards (number, customer_id, issued_at, active) VALUES (?,?,?,1)",
                card_rows,
            ),
            (
                "INSERT INTO accounts (customer_id, balance, pending, debt, tier_basis, last_purchase_at,"
                " sales_count, sales_net_total, winback_stage, birthday_year_done, next_due_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                acc_rows,
            ),
            (
                "INSERT INTO receipts (id, number, customer_id, at, event_id, program_version, total, discount,"
                " discount_percent, redeemed, redeemed_money, paid, accrual_base, accrued, accrual_lot_id, tier,"
                " basis_amount, points_taken_back, points_given_back, refunded, payment,"
                " first_purchase_at)"
                " VALUES (?,?,?,?,?,1,?,0,0,0,0,?,?,?,?,?,?,0,0,0,'cash',?)",
                receipt_rows,
            ),
            (
                "INSERT INTO receipt_lines (receipt_id, line_no, sku, category, price, qty, no_loyalty, amount,"
                " discount, redeemed_money, accrual_base, discount_eligible, bonus_eligible, returned_qty)"
                " VALUES (?,0,?,?,?,1000,0,?,0,0,?,0,1,0)",
                line_rows,
            ),
            (
                "INSERT INTO lots (id, customer_id, kind, points, remaining, credited_at, available_at,"
                " expires_at, receipt_id, origin_lot_id, settled, warned, event_id)"
                " VALUES (?,?,'accrual',?,?,?,?,?,?,NULL,1,0,?)",
                lot_rows,
            ),
        ):
            if rows and (final or len(rows) >= CHUNK):
                db.executemany(sql, rows)
                rows.clear()

    for c in range(customers):
        cid = uid(2, c)
        registered = START + timedelta(seconds=rng.random() * span * 0.3)
        eid = uid(3, n_event)
        n_event += 1
        ev = event_row(
            eid, "customer_registered", registered, cid, {"customer_id": cid, "phone": phone_of(c)}
        )
        events_rows.append(ev)
        outbox_rows.append((eid, seq[0], ts(registered)))
        bday = f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        cust_rows.append(
            (
                cid,
                phone_of(c),
                phone_of(c)[-4:],
                f"Покупатель {c}",
                bday,
                "regular",
                ts(registered),
                ts(registered),
                None,
                eid,
            )
        )
        card_rows.append((card_of(c), cid, ts(registered)))
        count = hot if c == 0 else int(per) + (1 if rng.random() < per - int(per) else 0)
        count = sales - n_sale if c == customers - 1 else min(count, sales - n_sale)
        basis = 0
        balance = 0
        last = None
        next_due = None
        times = sorted(
            registered + timedelta(seconds=rng.random() * (NOW - registered).total_seconds())
            for _ in range(count)
        )
        for k, at in enumerate(times):
            rid = uid(4, n_sale)
            eid = uid(3, n_event)
            n_event += 1
            n_sale += 1
            amount = rng.randint(100, 500_000)  # kopecks
            accrued = amount * 3 // 100 // 100 * 100  # whole points, stored in hundredths
            events_rows.append(
                event_row(eid, "sale", at, cid, {"receipt_id": rid, "total": amount / 100})
            )
            outbox_rows.append((eid, seq[0], ts(at)))
            receipt_rows.append(
                (
                    rid,
                    f"B{n_sale:09d}",
                    cid,
                    ts(at),
                    eid,
                    amount,
                    amount,
                    amount,
                    accrued,
                    f"accrual:{rid}" if accrued else None,
                    "Start",
                    amount,
                    ts(times[0]),
                )
            )
            # total, paid, accrual_base, accrued, accrual_lot_id, tier, basis_amount,
            # first_purchase_at
            line_rows.append((rid, "sku", "goods", amount, amount, amount))
            if accrued:
                expires = at + timedelta(days=60)
                open_lot = expires > NOW and k >= count - 3
                remaining = accrued if open_lot else 0
                balance += remaining
                if open_lot and (next_due is None or expires < next_due):
                    next_due = expires
                lot_rows.append(
                    (
                        f"accrual:{rid}",
                        cid,
                        accrued,
                        remaining,
                        ts(at),
                        ts(at),
                        ts(expires),
                        rid,
                        eid,
                    )
                )
            basis += amount
            last = at
        acc_rows.append(
            (
                cid,
                balance,
                0,
                0,
                basis,
                ts(last) if last else None,
                count,
                basis,
                0,
                None,
                ts(next_due) if next_due else None,
                ts(NOW),
            )
        )
        flush()
    flush(final=True)
    db.execute("UPDATE device SET next_seq = ?", (seq[0] + 1,))
    db.execute("COMMIT")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("INSERT INTO customer_names(customer_names) VALUES ('rebuild')")
    db.execute(
        "CREATE TRIGGER customer_names_ai AFTER INSERT ON customers BEGIN "
        "INSERT INTO customer_names(rowid, name) VALUES (new.rowid, new.name); END"
    )
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return Built(path, customers, n_event, uid(2, 0), time.perf_counter() - started)
