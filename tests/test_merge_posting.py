"""The engine's merge posting (engine/postings.py ``merge``) against the truth: the server's
replay of both customers' events under the kept customer, the merged registration left
out (central_server/ledger/replay.py). They agree on the balance, pending points, tier
basis and profile, except that the replay counts one welcome bonus: the posting's balance
is the replay's plus the merged registration's welcome."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.postings import Standing, merge
from cashier_app.engine.program import parse_program
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.replay import RecordedEvent, replay_customer
from cashier_app.engine.returns import ReturnRequest
from cashier_app.storage import schema as t
from tests.shop import samosale_program

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
WELCOME = Decimal("150")

Step = Callable[[Any, str, datetime], None]


def sale(amount: str, redeem: str | Decimal = "0") -> Step:
    def go(ledger: Any, cid: str, at: datetime) -> None:
        lines = [LineInput("a", Decimal(amount), Decimal("2"))]
        chosen = redeem if redeem == "max" else Decimal(redeem)
        service.record_sale(ledger, lines, customer_id=cid, redeem=chosen, at=at)

    return go


def return_last(ledger: Any, cid: str, at: datetime) -> None:
    with ledger.db.read() as conn:
        number = conn.execute(
            select(t.receipts.c.number)
            .where(t.receipts.c.customer_id == cid)
            .order_by(t.receipts.c.at.desc())
        ).scalar()
    if number is not None:
        service.record_return(ledger, number, [ReturnRequest("a", Decimal("1"))], at=at)


def adjust(points: int) -> Step:
    def go(ledger: Any, cid: str, at: datetime) -> None:
        service.adjust_balance(ledger, cid, Decimal(points), "correction", at=at)

    return go


def recorded(ledger: Any, customer_id: str) -> list[RecordedEvent]:
    with ledger.db.read() as conn:
        rows = conn.execute(select(t.events).where(t.events.c.customer_id == customer_id)).all()
    return [
        RecordedEvent(
            r.id, r.device_id, r.device_seq, r.kind, r.at, r.program_version, json.loads(r.payload)
        )
        for r in rows
    ]


def standing_here(ledger: Any, cid: str) -> Standing:
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        return ledger.load_state(conn, program, cid).standing


def merged_and_replayed(
    doc: dict[str, Any], kept_steps: list[Step], merged_steps: list[Step]
) -> tuple[Standing, Standing, datetime]:
    """One till's ledger with the two registrations of one person (the kept one first) and
    their operations, taking turns; the posting of their merge and the server's replay of
    both histories under the kept customer, both as of the same moment."""
    folder = Path(tempfile.mkdtemp(prefix="merge-"))
    now = [T0]
    try:
        ledger = service.open_ledger(folder, clock=lambda: now[0])
        service.install_program(ledger, doc, at=T0)
        kept = service.register_customer(ledger, "+79001110001", at=T0).customer.id
        now[0] += timedelta(minutes=5)
        merged = service.register_customer(ledger, "+79001110002", at=now[0]).customer.id
        for n in range(max(len(kept_steps), len(merged_steps))):
            for cid, steps in ((kept, kept_steps), (merged, merged_steps)):
                if n < len(steps):
                    now[0] += timedelta(hours=3)
                    with contextlib.suppress(LoyaltyError):  # a refusal records nothing
                        steps[n](ledger, cid, now[0])
        end = now[0] + timedelta(hours=1)
        now[0] = end
        service.run_automations(ledger, end)
        posted = merge(standing_here(ledger, kept), standing_here(ledger, merged))
        program = parse_program(doc)
        history = recorded(ledger, kept) + [
            e for e in recorded(ledger, merged) if e.kind != "customer_registered"
        ]  # as the server: a merged-away registration is not replayed
        truth = replay_customer(history, lambda version: program, until=end).standing
        ledger.db.close()
        return posted.standing, truth, end
    finally:
        shutil.rmtree(folder, ignore_errors=True)


EXAMPLES = {
    "two buyers": ([sale("1000.00"), adjust(100)], [sale("2500.00"), sale("300.00")]),
    "a return on each side": (
        [sale("1500.00"), return_last],
        [sale("4000.00"), adjust(50), return_last],
    ),
    "points spent on both sides": (
        [adjust(200), sale("1000.00", "max")],
        [adjust(300), sale("2000.00", "100"), adjust(-50)],
    ),
    "the merged one never bought": ([sale("700.00")], [adjust(40)]),
    "the kept one never bought": ([], [sale("900.00"), return_last]),
}


def _agree(posted: Standing, truth: Standing, at: datetime, welcome: Decimal) -> None:
    assert posted.account.balance(at) - truth.account.balance(at) == welcome
    assert posted.account.pending(at) == truth.account.pending(at)
    assert posted.tier_basis == truth.tier_basis
    assert posted.profile == truth.profile


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_merge_posting_is_the_servers_replay_of_both_histories(name):
    kept_steps, merged_steps = EXAMPLES[name]
    posted, truth, at = merged_and_replayed(samosale_program(), kept_steps, merged_steps)
    _agree(posted, truth, at, Decimal("0"))
    assert posted.account.debt == truth.account.debt


@pytest.mark.parametrize("name", EXAMPLES)
def test_with_a_welcome_bonus_the_server_counts_one_registration(name):
    """Documented in ``merge``: the merged registration's welcome is the difference."""
    kept_steps, merged_steps = EXAMPLES[name]
    doc = samosale_program(welcome={"points": str(WELCOME), "expiry_days": 30})
    posted, truth, at = merged_and_replayed(doc, kept_steps, merged_steps)
    _agree(posted, truth, at, WELCOME)


step = st.one_of(
    st.builds(sale, st.sampled_from(["150.00", "999.99", "2500.00"]),
              st.sampled_from(["0", "max", "20"])),
    st.just(return_last),
    st.builds(adjust, st.sampled_from([-30, 25, 120])),
)  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kept_steps=st.lists(step, max_size=5), merged_steps=st.lists(step, max_size=5))
def test_any_two_histories_merge_as_the_server_replays_them(kept_steps, merged_steps):
    posted, truth, at = merged_and_replayed(samosale_program(), kept_steps, merged_steps)
    _agree(posted, truth, at, Decimal("0"))
