"""A scan works wherever the keyboard focus is: the quantity field (Ctrl+Q), the points
field ("Pay with points"), or a dialog's own field (F3 registration: a card scanned into
its Referrer field belongs to that field, not to the receipt behind the dialog).

Every case is judged from the receipt the till records after F9 (and, for the dialog,
from the customer it registered).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.x11.conftest import Till, poll

pytestmark = pytest.mark.x11

LAYOUTS = ["us", "ru"]
GAPS_MS = [10, 50]
SETUP_GAP_MS = 10  # the scans that prepare a case, by a quick scanner
PRICE = {"latte": Decimal("250.00"), "croissant": Decimal("180.00"), "peonies": Decimal("2000.00")}
BARCODE = {"latte": "4600000000015", "croissant": "4600000000084", "peonies": "4600000000152"}


def code_of(kind: str, card: str) -> str:
    return {"card": card, "qr": f"LOYAL:{card}", "product": BARCODE["croissant"]}[kind]


def two_customers(counter: Till, seed: int) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two demo customers, (card, customer id) each, with at least 100 points to spend."""
    holders = counter.ledger.card_holders(min_balance=Decimal(100))
    assert len(holders) >= 2, "the demo store has too few customers with points"
    a = holders[(2 * seed) % len(holders)]
    b = holders[(2 * seed + 1) % len(holders)]
    return (a.number, a.customer_id), (b.number, b.customer_id)


def the_sale(counter: Till, before: int) -> tuple[object, list[tuple[str, Decimal, Decimal]]]:
    [receipt] = counter.pay_cash(before)
    lines = [(ln.sku, ln.qty, ln.price) for ln in counter.ledger.lines(receipt.id)]
    return receipt, lines


def seed_of(*parts: object) -> int:
    return sum(ord(c) for c in "".join(map(str, parts)))


@pytest.mark.parametrize("gap_ms", GAPS_MS)
@pytest.mark.parametrize("kind", ["card", "qr", "product"])
@pytest.mark.parametrize("till", LAYOUTS, indirect=True)
def test_a_scan_with_the_focus_in_the_quantity_field(counter: Till, kind: str, gap_ms: int):
    """Ctrl+Q puts the focus in the quantity field; a scan there is still a scan: the
    quantity stays 1 for this item and the next."""
    (card_a, a), (card_b, b) = two_customers(counter, seed_of("qty", kind, gap_ms))
    before = counter.ledger.count_receipts()
    counter.scan(card_a, SETUP_GAP_MS)
    counter.scan(BARCODE["latte"], SETUP_GAP_MS)
    counter.key("Ctrl+Q")
    counter.scan(code_of(kind, card_b), gap_ms)
    counter.scan(BARCODE["peonies"], SETUP_GAP_MS)  # the quantity field was left alone
    receipt, lines = the_sale(counter, before)
    where = f"{kind} scanned at {gap_ms} ms/key into the quantity field under {counter.layout}"
    if kind == "product":
        assert receipt.customer_id == a, f"{where}: the customer changed"
        expected = [("latte", 1, PRICE["latte"]), ("croissant", 1, PRICE["croissant"])]
    else:
        assert receipt.customer_id == b, f"{where}: the receipt's customer is not the card's"
        expected = [("latte", 1, PRICE["latte"])]
    expected.append(("peonies", 1, PRICE["peonies"]))
    assert lines == expected, f"{where}: the receipt has {lines}"


@pytest.mark.parametrize("gap_ms", GAPS_MS)
@pytest.mark.parametrize("kind", ["qr", "product"])  # a plain card: as in the quantity field
@pytest.mark.parametrize("till", LAYOUTS, indirect=True)
def test_a_scan_with_the_focus_in_the_points_field(counter: Till, kind: str, gap_ms: int):
    """The cashier is typing points to pay with (5) when a scan comes: a product joins the
    receipt and the 5 stays (the "0" typed next makes it 50); a card changes the customer,
    who pays with no points until the cashier says so."""
    (card_a, a), (card_b, b) = two_customers(counter, seed_of("points", kind, gap_ms))
    before = counter.ledger.count_receipts()
    counter.scan(card_a, SETUP_GAP_MS)
    counter.scan(BARCODE["latte"], SETUP_GAP_MS)
    counter.scan(BARCODE["peonies"], SETUP_GAP_MS)
    # From the code entry back to "Pay with points": F10 Card, F9 Cash, F6 Max, the field.
    counter.key("Shift+Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab")
    counter.key("End", "BackSpace", "BackSpace", "BackSpace", "BackSpace")
    counter.type("5")
    counter.scan(code_of(kind, card_b), gap_ms)
    if kind == "product":
        counter.type("0")
    receipt, lines = the_sale(counter, before)
    where = f"{kind} scanned at {gap_ms} ms/key into the points field under {counter.layout}"
    if kind == "product":
        assert receipt.customer_id == a, f"{where}: the customer changed"
        assert lines == [
            ("latte", 1, PRICE["latte"]),
            ("peonies", 1, PRICE["peonies"]),
            ("croissant", 1, PRICE["croissant"]),
        ], f"{where}: the receipt has {lines}"
        assert receipt.redeemed == 50, f"{where}: {receipt.redeemed} points paid, 50 typed"
    else:
        assert receipt.customer_id == b, f"{where}: the receipt's customer is not the card's"
        assert lines == [("latte", 1, PRICE["latte"]), ("peonies", 1, PRICE["peonies"])], lines
        assert receipt.redeemed == 0, f"{where}: {receipt.redeemed} points paid, none asked"


def a_new_phone(counter: Till, seed: int) -> str:
    for n in range(seed, seed + 1000):
        phone = f"+791688{n % 100000:05d}"
        if counter.ledger.customer_by_phone(phone) is None:
            return phone
    raise AssertionError("no free phone number")


@pytest.mark.parametrize(
    ("till", "kind", "gap_ms"),
    [("us", "card", 10), ("us", "card", 50), ("ru", "qr", 10), ("ru", "qr", 50)],
    indirect=["till"],
)
def test_a_card_scanned_into_the_registration_referrer_field(counter: Till, kind: str, gap_ms: int):
    """F3 over an open receipt; phone typed; Tab to Referrer (phone, name, birthday known,
    consent, referrer); the referrer's card scanned there; Enter registers, Enter closes.
    The new customer is referred by the card's owner, and the receipt behind is the new
    customer's with its line unchanged."""
    (card_a, _a), (card_r, referrer) = two_customers(counter, seed_of("ref", kind, gap_ms))
    phone = a_new_phone(counter, seed_of("phone", kind, gap_ms, counter.layout) * 7)
    before = counter.ledger.count_receipts()
    counter.scan(card_a, SETUP_GAP_MS)
    counter.scan(BARCODE["latte"], SETUP_GAP_MS)
    counter.key("F3")
    dialog = counter.wait_window("dialog", timeout=10)
    counter.activate(dialog.wid)
    counter.type(phone)
    counter.key("Tab", "Tab", "Tab", "Tab")
    counter.scan(code_of(kind, card_r), gap_ms)
    counter.key("Return", pause=0.2)
    customer = poll(lambda: counter.ledger.customer_by_phone(phone), timeout=8)
    where = f"{kind} scanned at {gap_ms} ms/key into Referrer under {counter.layout}"
    assert customer is not None, f"{where}: nobody was registered with {phone}"
    counter.key("Return", pause=0.3)  # Done: the dialog closes
    counter.wait_window("dialog", timeout=5, absent=True)
    assert customer.referrer_id == referrer, (
        f"{where}: the new customer's referrer is {customer.referrer_id}, not {referrer}"
    )
    main = counter.wait_window("normal")
    counter.activate(main.wid)
    receipt, lines = the_sale(counter, before)
    assert receipt.customer_id == customer.id, (
        f"{where}: the receipt behind the dialog is {receipt.customer_id}'s, "
        f"not the new customer {customer.id}'s"
    )
    assert lines == [("latte", 1, PRICE["latte"])], f"{where}: the receipt has {lines}"
