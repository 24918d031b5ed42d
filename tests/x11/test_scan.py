"""Scans in the main code entry under every keyboard layout a till runs with, at the speeds
real scanners send keys (1 ms for a fast one, 50 ms for a slow cordless one).

Each case scans, pays cash (F9) and reads the receipt the till recorded: the customer of a
card or QR scan, the product line of a barcode scan.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.x11.conftest import Till

pytestmark = pytest.mark.x11

LAYOUTS = ["us", "ru", "ua"]
GAPS_MS = [1, 10, 30, 50]
LATTE = ("latte", "4600000000015")
TEA = ("tea", "4600000000060")


def qr(card: str) -> str:
    return f"LOYAL:{card}"


def a_card_holder(counter: Till, index: int) -> tuple[str, str]:
    """(card number, customer id) of a demo customer; a different one for each case."""
    holders = counter.ledger.card_holders()
    row = holders[index % len(holders)]
    return row.number, row.customer_id


@pytest.mark.parametrize("gap_ms", GAPS_MS)
@pytest.mark.parametrize("kind", ["card", "qr", "product"])
@pytest.mark.parametrize("till", LAYOUTS, indirect=True)
def test_a_scan_in_the_code_entry_lands_on_the_receipt(counter: Till, kind: str, gap_ms: int):
    layout = counter.layout
    card, customer_id = a_card_holder(
        counter, 7 * LAYOUTS.index(layout) + GAPS_MS.index(gap_ms) + 3
    )
    before = counter.ledger.count_receipts()
    if kind == "product":
        counter.scan(LATTE[1], gap_ms)
    else:
        counter.scan(card if kind == "card" else qr(card), gap_ms)
        counter.scan(TEA[1], 10)  # something to pay for, by a quick scanner
    [receipt] = counter.pay_cash(before)
    lines = counter.ledger.lines(receipt.id)
    got = [(ln.sku, ln.qty, ln.price) for ln in lines]
    if kind == "product":
        assert got == [(LATTE[0], Decimal(1), Decimal("250.00"))], (
            f"{LATTE[1]} scanned at {gap_ms} ms/key under {layout}: the receipt has {got}"
        )
        assert receipt.customer_id is None
    else:
        assert receipt.customer_id == customer_id, (
            f"{kind} {card} scanned at {gap_ms} ms/key under {layout}: the receipt's customer "
            f"is {receipt.customer_id}, not the card's {customer_id}"
        )
        assert got == [(TEA[0], Decimal(1), Decimal("160.00"))], got
    assert receipt.total == sum((ln.amount for ln in lines), Decimal(0))
