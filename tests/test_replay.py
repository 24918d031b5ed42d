"""Replaying the recorded events gives exactly the state the till's ledger holds: the
events carry everything (docs/sync.md), so the central server can rebuild every balance."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.program import parse_program
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.replay import (
    RecordedEvent,
    advance,
    last_order,
    replay_customer,
    resume,
    state_from_dict,
    state_to_dict,
)
from cashier_app.engine.returns import ReturnRequest
from cashier_app.storage import schema as t
from tests.shop import samosale_program

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 1, 10, 10, 0, tzinfo=MSK)
PROGRAM_DOC = samosale_program(
    welcome={"points": "150", "expiry_days": 20},
    birthday={"points": "300", "days_before": 3, "expiry_days": 10},
    winback={"first_after_days": 20, "second_after_days": 40, "second_points_percent_of_avg_check": "10",
             "second_expiry_days": 7},
    expiry_days=30, accrual_delay_days=2, expiry_warning_days=5,
)  # fmt: skip
PROGRAM = parse_program(PROGRAM_DOC)

op = st.one_of(
    st.tuples(st.just("sale"), st.decimals(min_value=Decimal("10"), max_value=Decimal("30000"), places=2),
              st.booleans(), st.integers(1, 3)),
    st.tuples(st.just("return"), st.integers(0, 20), st.integers(1, 3)),
    st.tuples(st.just("adjust"), st.integers(-200, 300)),
    st.tuples(st.just("wait"), st.integers(1, 50)),
)  # fmt: skip


def recorded(ledger, customer_id):
    with ledger.db.read() as conn:
        rows = conn.execute(select(t.events).where(t.events.c.customer_id == customer_id)).all()
    return [
        RecordedEvent(
            r.id, r.device_id, r.device_seq, r.kind, r.at, r.program_version, json.loads(r.payload)
        )
        for r in rows
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(op, max_size=14),
    birthday=st.dates(
        min_value=datetime(1970, 1, 1).date(), max_value=datetime(2005, 12, 31).date()
    ),
)
def test_replaying_the_events_rebuilds_the_ledgers_state(ops, birthday):
    folder = Path(tempfile.mkdtemp(prefix="replay-"))
    now = [T0]
    try:
        ledger = service.open_ledger(folder, clock=lambda: now[0])
        service.install_program(ledger, PROGRAM_DOC, at=T0)
        cid = service.register_customer(
            ledger, "+79001234567", birthday=birthday, at=T0
        ).customer.id
        receipts = []
        for item in ops:
            now[0] += timedelta(hours=5)
            try:
                if item[0] == "sale":
                    _, amount, redeem, qty = item
                    sale = service.record_sale(ledger, [LineInput("a", amount, Decimal(qty))], customer_id=cid,
                                               redeem="max" if redeem else Decimal(0), at=now[0])  # fmt: skip
                    receipts.append((sale.number, qty))
                elif item[0] == "return" and receipts:
                    number, qty = receipts[item[1] % len(receipts)]
                    service.record_return(
                        ledger, number, [ReturnRequest("a", Decimal(min(qty, item[2])))], at=now[0]
                    )
                elif item[0] == "adjust" and item[1]:
                    service.adjust_balance(ledger, cid, Decimal(item[1]), "correction", at=now[0])
                elif item[0] == "wait":
                    now[0] += timedelta(days=item[1])
            except LoyaltyError:
                pass  # a refusal writes nothing and records no event
        end = now[0] + timedelta(days=3)
        service.run_automations(ledger, end)
        state = replay_customer(recorded(ledger, cid), lambda version: PROGRAM, until=end)
        with ledger.db.read() as conn:
            lots = {
                r.id: r.remaining
                for r in conn.execute(select(t.lots).where(t.lots.c.customer_id == cid)).all()
                if r.remaining > 0
            }
            acc = conn.execute(select(t.accounts).where(t.accounts.c.customer_id == cid)).one()
        s = state.standing
        assert {lot.id: lot.remaining for lot in s.account.lots if lot.remaining > 0} == lots
        assert s.account.debt == acc.debt
        assert s.tier_basis == acc.tier_basis
        p = s.profile
        assert (p.sales_count, p.sales_net_total, p.winback_stage, p.birthday_year_done) == (
            acc.sales_count,
            acc.sales_net_total,
            acc.winback_stage,
            acc.birthday_year_done,
        )
        assert p.last_purchase_at == acc.last_purchase_at
        assert state.overdrafts == []  # one till alone never overdraws
        # Resuming from a stored half-way state gives the same as replaying everything.
        events = sorted(
            recorded(ledger, cid), key=lambda e: (e.kind != "customer_registered", e.order)
        )
        half = max(1, len(events) // 2)
        first = replay_customer(events[:half], lambda version: PROGRAM)
        stored = json.loads(json.dumps(state_to_dict(first, last_order(events[:half]))))
        back, _ = state_from_dict(stored)
        resumed = resume(events[half:], back, lambda version: PROGRAM)
        advance(resumed, PROGRAM, end)
        r = resumed.standing
        assert {x.id: x.remaining for x in r.account.lots if x.remaining > 0} == lots
        assert (r.account.debt, r.tier_basis, r.profile) == (
            s.account.debt,
            s.tier_basis,
            s.profile,
        )
        ledger.db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
