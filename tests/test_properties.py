"""Money invariants, stated as properties (hypothesis)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashier_app import service
from cashier_app.engine.money import HUNDRED, floor_points
from cashier_app.engine.program import parse_program
from cashier_app.engine.receipt import LineInput, Shopper, quote_receipt
from cashier_app.engine.returns import ReturnRequest
from tests.shop import samosale_program

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 1, 10, 10, 0, tzinfo=MSK)

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("20"), places=3)
categories = st.sampled_from(["coffee", "tobacco", "clothes", "shoes", None])
lines_st = st.lists(
    st.builds(LineInput, sku=st.sampled_from(["a", "b", "c"]), price=prices, qty=quantities,
              category=categories, no_loyalty=st.booleans()),
    min_size=1, max_size=12,
)  # fmt: skip


def program(max_redeem: str = "30"):
    doc = samosale_program(max_redeem_percent=max_redeem)
    return parse_program(doc)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_st,
    available=st.decimals(min_value=Decimal("-500"), max_value=Decimal("100000"), places=0),
    basis=st.decimals(min_value=0, max_value=Decimal("100000"), places=2),
    group=st.sampled_from(["regular", "vip", "staff", "sms"]),
    cap=st.sampled_from(["0", "10", "30", "100"]),
)
def test_redemption_never_exceeds_the_cap_or_the_balance_and_everything_adds_up(
    lines, available, basis, group, cap
):
    p = program(cap)
    shopper = Shopper(p.group(group), basis, basis, available)
    q = quote_receipt(p, lines, shopper, "max")
    eligible = sum((ln.after_discount for ln in q.lines if ln.bonus_eligible), Decimal(0))
    assert q.redeemed <= floor_points(eligible * Decimal(cap) / HUNDRED, "unit")
    assert q.redeemed <= max(available, Decimal(0))
    assert q.discount == sum(ln.discount for ln in q.lines)
    assert q.redeemed_money == sum(ln.redeemed_money for ln in q.lines)
    assert q.paid + q.discount + q.redeemed_money == q.total
    assert all(ln.redeemed_money == 0 for ln in q.lines if not ln.bonus_eligible)
    assert all(ln.discount == 0 for ln in q.lines if ln.no_loyalty)
    assert q.paid >= 0 and q.accrued >= 0


class Shop:
    """A fresh real ledger per hypothesis example (copied from a migrated template)."""

    template: Path | None = None

    def __init__(self) -> None:
        if Shop.template is None:
            folder = Path(tempfile.mkdtemp(prefix="prop-template-"))
            ledger = service.open_ledger(folder)
            service.install_program(
                ledger, samosale_program(welcome={"points": "300", "expiry_days": 90})
            )
            ledger.db.close()
            Shop.template = folder / "ledger.sqlite3"
        self.dir = Path(tempfile.mkdtemp(prefix="prop-"))
        shutil.copy(Shop.template, self.dir / "ledger.sqlite3")
        self.now = T0
        self.ledger = service.open_ledger(self.dir, clock=lambda: self.now)

    def close(self) -> None:
        self.ledger.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st, redeem_max=st.booleans(), history=st.lists(prices, max_size=3))
def test_a_sale_then_its_full_return_restores_balance_and_tier_basis(lines, redeem_max, history):
    shop = Shop()
    try:
        cid = service.register_customer(shop.ledger, "+79001234567", at=T0).customer.id
        for i, amount in enumerate(history):
            service.record_sale(shop.ledger, [LineInput("h", amount, Decimal(1))], customer_id=cid,
                                at=T0 + timedelta(minutes=i + 1))  # fmt: skip
        at = T0 + timedelta(hours=1)
        before = service.get_customer(shop.ledger, cid, at=at)
        sale = service.record_sale(
            shop.ledger, lines, customer_id=cid, redeem="max" if redeem_max else Decimal(0), at=at
        )
        items = [ReturnRequest(None, ln.qty, i) for i, ln in enumerate(sale.quote.lines)]
        back = service.record_return(shop.ledger, sale.number, items, at=at + timedelta(minutes=5))
        after = service.get_customer(shop.ledger, cid, at=at + timedelta(minutes=5))
        assert after.balance == before.balance
        assert after.tier_basis == before.tier_basis
        assert back.refunded == sale.quote.paid
        assert back.points_taken_back == sale.quote.accrued
        assert back.points_given_back == sale.quote.redeemed
    finally:
        shop.close()


ops = st.lists(
    st.tuples(st.sampled_from(["anna", "boris"]), prices, st.booleans()), min_size=1, max_size=8
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops, data=st.data())
def test_results_are_identical_whatever_the_order_of_independent_customers(ops, data):
    """Each customer's own operations keep their order; how the two customers' operations
    interleave must not change anybody's numbers."""
    order = data.draw(st.permutations(range(len(ops))))
    per_customer = {name: [op for op in ops if op[0] == name] for name in ("anna", "boris")}
    queues = {name: list(q) for name, q in per_customer.items()}
    interleaved = []
    for i in order:  # a random interleaving that keeps each customer's own order
        name = ops[i][0]
        interleaved.append(queues[name].pop(0))

    def play(sequence):
        shop = Shop()
        try:
            ids = {
                "anna": service.register_customer(shop.ledger, "+79001234567", at=T0).customer.id,
                "boris": service.register_customer(shop.ledger, "+79001234568", at=T0).customer.id,
            }
            counters = {"anna": 0, "boris": 0}
            for name, amount, redeem in sequence:
                counters[name] += 1
                at = T0 + timedelta(days=counters[name])  # a customer's own timeline
                shop.now = at
                service.record_sale(shop.ledger, [LineInput("x", amount, Decimal(1))], customer_id=ids[name],
                                    redeem="max" if redeem else Decimal(0), at=at)  # fmt: skip
            end = T0 + timedelta(days=10)
            return {n: (v.balance, v.tier_basis, v.tier) for n, cid in ids.items()
                    for v in [service.get_customer(shop.ledger, cid, at=end)]}  # fmt: skip
        finally:
            shop.close()

    assert play(interleaved) == play(
        [op for name in ("anna", "boris") for op in per_customer[name]]
    )


@settings(max_examples=40, deadline=None)
@given(
    qty=st.integers(min_value=2, max_value=9),
    price=prices,
    cuts=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=8),
)
def test_partial_returns_in_any_split_add_up_to_the_whole(qty, price, cuts):
    from cashier_app.engine.returns import SoldLine, SoldReceipt, quote_return

    amount = (price * qty).quantize(Decimal("0.01"))
    accrued = floor_points(amount * 3 / HUNDRED, "unit")
    line = SoldLine("a", Decimal(qty), amount, Decimal(0), Decimal(0), amount)
    returned, taken, refunded = Decimal(0), Decimal(0), Decimal(0)
    parts = []
    left = qty
    for c in cuts:
        if left == 0:
            break
        n = min(c, left)
        parts.append(n)
        left -= n
    if left:
        parts.append(left)
    for n in parts:
        sold = SoldReceipt((SoldLine("a", line.qty, amount, Decimal(0), Decimal(0), amount, returned),),
                           accrued=accrued, redeemed=Decimal(0), points_taken_back=taken)  # fmt: skip
        q = quote_return(sold, [ReturnRequest("a", Decimal(n))], "unit")
        returned += n
        taken += q.points_taken_back
        refunded += q.refunded
    assert taken == accrued
    assert refunded == amount
