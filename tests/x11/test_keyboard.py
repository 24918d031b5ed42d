"""The checkout by keyboard alone, under the layout the cashier has active: a whole sale
(card, products, F6 max points, F9 cash, Enter, the next customer), Ctrl+Q quantities,
Ctrl+Del, Enter after payment, and a product found by its Russian name.

A single layout each time, as on a cashier's machine: under a lone Russian layout the key
labelled Q makes Й, so Ctrl+Q arrives as Ctrl+Й and has to work all the same.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from tests.x11.conftest import ROOT, Till, expected_quote, poll

pytestmark = pytest.mark.x11

LAYOUTS = ["us", "ru", "ua"]
SCAN_MS = 10


def catalogue() -> dict[str, dict[str, str]]:
    with (ROOT / "resources" / "demo_catalogue.csv").open(encoding="utf-8") as f:
        return {row["sku"]: row for row in csv.DictReader(f)}


CATALOGUE = catalogue()


def barcode(sku: str) -> str:
    return CATALOGUE[sku]["barcode"]


def price(sku: str) -> Decimal:
    return Decimal(CATALOGUE[sku]["price"])


def lines_of(counter: Till, receipt_id: str) -> list[tuple[str, Decimal, Decimal]]:
    return [(ln.sku, ln.qty, ln.price) for ln in counter.ledger.lines(receipt_id)]


def customers_with_points(counter: Till, seed: int) -> tuple[tuple[str, str], tuple[str, str]]:
    holders = counter.ledger.card_holders(min_balance=Decimal(100))
    a = holders[(5 * seed) % len(holders)]
    b = holders[(5 * seed + 2) % len(holders)]
    return (a.number, a.customer_id), (b.number, b.customer_id)


@pytest.mark.parametrize("till", LAYOUTS, indirect=True)
def test_a_whole_sale_by_keyboard(counter: Till, tmp_path: Path):
    """Card, two products, F6 (max points), F9 (cash), Enter (next receipt), the next
    customer's card and product, F9: two receipts, each with its own customer."""
    seed = LAYOUTS.index(counter.layout)
    (card_a, a), (card_b, b) = customers_with_points(counter, seed)
    before = counter.ledger.count_receipts()
    counter.scan(card_a, SCAN_MS)
    counter.scan(barcode("latte"), SCAN_MS)
    counter.scan(barcode("croissant"), SCAN_MS)
    expected = expected_quote(counter.ledger, tmp_path, ["latte", "croissant"], a, "max")
    counter.key("F6", pause=0.4)
    [first] = counter.pay_cash(before)
    counter.key("Return", pause=0.3)
    counter.scan(card_b, SCAN_MS)
    counter.scan(barcode("tea"), SCAN_MS)
    [first_again, second] = counter.pay_cash(before, expect=2)
    assert first_again.id == first.id
    layout = counter.layout
    assert first.customer_id == a, f"under {layout}: receipt 1 is not the first card's customer's"
    assert lines_of(counter, first.id) == [
        ("latte", 1, price("latte")),
        ("croissant", 1, price("croissant")),
    ]
    assert expected.redeemed > 0, "the demo customer should have points to pay with"
    assert first.redeemed == expected.redeemed, (
        f"under {layout}: F6 then F9 paid {first.redeemed} points, the most allowed is "
        f"{expected.redeemed}"
    )
    assert first.paid == expected.paid
    assert first.payment == "cash"
    assert second.customer_id == b, (
        f"under {layout}: the second customer's card did not make a receipt of theirs "
        f"(customer {second.customer_id})"
    )
    assert lines_of(counter, second.id) == [("tea", 1, price("tea"))]
    assert second.redeemed == 0


@pytest.mark.parametrize("typed", ["3", "0.350", "0,350"])
@pytest.mark.parametrize("till", LAYOUTS, indirect=True)
def test_ctrl_q_then_a_typed_quantity(counter: Till, typed: str):
    """Ctrl+Q, the quantity typed by a person (under ru and ua the "." and "," are on the
    key right of Ю), then the product scanned: that is the line's quantity (3, not 13)."""
    sku = "croissant" if typed == "3" else "cheese"
    qty = Decimal(typed.replace(",", "."))
    before = counter.ledger.count_receipts()
    counter.key("Ctrl+Q")
    counter.type(typed)
    counter.scan(barcode(sku), SCAN_MS)
    [receipt] = counter.pay_cash(before)
    got = counter.ledger.lines(receipt.id)
    assert [(ln.sku, ln.qty) for ln in got] == [(sku, qty)], (
        f"Ctrl+Q, {typed!r} typed under {counter.layout}, {sku} scanned: the receipt has "
        f"{[(ln.sku, ln.qty) for ln in got]}"
    )
    assert got[0].amount == (qty * price(sku)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("till", LAYOUTS, indirect=True)
def test_ctrl_del_takes_the_customer_off_the_receipt(counter: Till):
    (card_a, _), _ = customers_with_points(counter, 11 + LAYOUTS.index(counter.layout))
    before = counter.ledger.count_receipts()
    counter.scan(card_a, SCAN_MS)
    counter.scan(barcode("latte"), SCAN_MS)
    counter.key("Ctrl+Delete", pause=0.3)
    [receipt] = counter.pay_cash(before)
    assert receipt.customer_id is None, f"Ctrl+Del under {counter.layout} kept the customer"
    assert lines_of(counter, receipt.id) == [("latte", 1, price("latte"))]


@pytest.mark.parametrize("till", LAYOUTS, indirect=True)
def test_enter_after_payment_starts_a_new_receipt(counter: Till):
    """After F9, Enter opens the next receipt with the focus in the code entry: a barcode
    typed there by hand (slowly, so not a scan) and Enter add the product."""
    before = counter.ledger.count_receipts()
    counter.scan(barcode("latte"), SCAN_MS)
    counter.pay_cash(before)
    counter.key("Return", pause=0.3)
    counter.type(barcode("water"), enter=True)
    [_, receipt] = counter.pay_cash(before, expect=2)
    assert lines_of(counter, receipt.id) == [("water", 1, price("water"))], (
        f"under {counter.layout}: Enter after payment did not open a receipt that took the "
        "typed barcode"
    )


@pytest.mark.parametrize("till", ["ru", "ua"], indirect=True)
def test_a_product_picked_by_name_costs_its_catalogue_price(counter: Till):
    """ "латте" typed by a person under ЙЦУКЕН (the keys K, F, N, N, T), Enter, Enter in the
    pick list if one opens, F9: the line costs what the catalogue says."""
    before = counter.ledger.count_receipts()
    counter.type("латте", enter=True)
    pick = poll(counter.dialogs, timeout=2.0)
    if pick:
        counter.activate(pick[-1].wid)
        counter.key("Return", pause=0.3)
        counter.wait_window("dialog", timeout=5, absent=True)
        counter.activate(counter.wait_window("normal").wid)
    [receipt] = counter.pay_cash(before)
    got = counter.ledger.lines(receipt.id)
    assert [(ln.sku, ln.qty, ln.price, ln.amount) for ln in got] == [
        ("latte", 1, price("latte"), price("latte"))
    ], (
        f"“латте” picked by name under {counter.layout}: the receipt has "
        f"{[(ln.sku, ln.qty, ln.price, ln.amount) for ln in got]}"
    )
    assert receipt.total == price("latte")
