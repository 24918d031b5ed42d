"""Registration and identification through the service layer, and the rule
that a refused operation writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.service.cards import card_from_scan, card_number, is_valid_ean13, qr_payload
from cashier_app.service.phones import mask_phone
from cashier_app.storage import schema as t


def counts(ledger) -> dict[str, int]:
    with ledger.db.read() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (
                ("events", t.events), ("outbox", t.outbox), ("customers", t.customers),
                ("cards", t.cards), ("lots", t.lots), ("receipts", t.receipts),
                ("movements", t.lot_movements), ("messages", t.customer_messages),
            )
        }  # fmt: skip


@pytest.mark.parametrize(
    "typed", ["8 900 123-45-67", "+7 (900) 123 45 67", "9001234567", "89001234567", "+79001234567"]
)
def test_a_phone_in_any_common_format_finds_the_customer(ledger, typed):
    reg = service.register_customer(ledger, "+7 900 123 45 67", name="Анна")
    assert reg.customer.phone == "+79001234567"
    assert service.find_by_phone(ledger, typed) == reg.customer.id


@pytest.mark.parametrize("bad", ["", "12345", "abc", "+7 900 123", "8" * 41, "+999 123 456 789"])
def test_a_wrong_phone_is_refused_and_nothing_is_written(ledger, bad):
    before = counts(ledger)
    with pytest.raises(LoyaltyError) as err:
        service.register_customer(ledger, bad)
    assert err.value.code == "invalid_phone"
    assert counts(ledger) == before


def test_the_same_phone_twice_is_refused_whatever_its_format(ledger):
    service.register_customer(ledger, "+79001234567")
    before = counts(ledger)
    with pytest.raises(LoyaltyError) as err:
        service.register_customer(ledger, "8 (900) 123-45-67")
    assert err.value.code == "duplicate_phone"
    assert counts(ledger) == before


def test_registration_writes_event_outbox_card_and_welcome_in_one_go(make_ledger):
    from tests.shop import samosale_program

    ledger = make_ledger(samosale_program(welcome={"points": "200", "expiry_days": 30}))
    reg = service.register_customer(
        ledger, "+79001234567", name=" Анна   Смирнова ", birthday=date(1990, 1, 20), consent=True
    )
    assert reg.customer.name == "Анна Смирнова"
    assert reg.customer.balance == Decimal("200")
    assert is_valid_ean13(reg.card)
    c = counts(ledger)
    assert c["events"] == c["outbox"] == 1
    assert (c["customers"], c["cards"], c["lots"], c["messages"]) == (1, 1, 1, 1)


def test_card_numbers_are_ean13_with_the_device_prefix_and_unique(ledger):
    cards = {service.register_customer(ledger, f"+7900123456{i}").card for i in range(5)}
    assert len(cards) == 5
    with ledger.db.read() as conn:
        prefix = ledger.device_row(conn).card_prefix
    assert all(c.startswith("2" + prefix) and is_valid_ean13(c) for c in cards)


def test_a_pre_printed_card_can_be_given_and_must_be_valid_and_free(ledger):
    number = card_number("0042", 7)
    service.register_customer(ledger, "+79001234567", card=number)
    with pytest.raises(LoyaltyError, match="already belongs"):
        service.register_customer(ledger, "+79001234568", card=number)
    with pytest.raises(LoyaltyError) as err:
        service.register_customer(
            ledger, "+79001234568", card=number[:-1] + str((int(number[-1]) + 1) % 10)
        )
    assert err.value.code == "invalid_card"


def test_a_scanned_card_barcode_or_qr_finds_the_customer(ledger):
    reg = service.register_customer(ledger, "+79001234567")
    for scan in (
        reg.card,
        qr_payload(reg.card),
        f"loyal:{reg.card}",
        f"https://shop.example/c/{reg.card}",
        f" {reg.card}\n",
    ):
        assert service.find_by_card(ledger, scan) == reg.customer.id
        assert service.identify(ledger, scan) == reg.customer.id
    assert service.find_by_card(ledger, "2000000000008") is None


@pytest.mark.parametrize("garbage", ["", "LOYAL:", "ДЩНФД", "12", "LOYAL:abc", "https://x/c/"])
def test_a_broken_scan_is_refused_calmly(ledger, garbage):
    assert card_from_scan(garbage) is None
    with pytest.raises(LoyaltyError) as err:
        service.find_by_card(ledger, garbage)
    assert err.value.code == "invalid_card"


def test_search_by_last_four_digits_and_by_any_word_of_the_name(ledger):
    a = service.register_customer(ledger, "+79001234567", name="Анна Смирнова").customer.id
    b = service.register_customer(ledger, "+79111234567", name="Борис Анненков").customer.id
    service.register_customer(ledger, "+79220000000", name="Ольга Петрова")
    assert {v.id for v in service.search_customers(ledger, "4567")} == {a, b}
    assert {v.id for v in service.search_customers(ledger, "анн")} == {a, b}
    assert [v.id for v in service.search_customers(ledger, "СМИРН")] == [a]
    assert [v.id for v in service.search_customers(ledger, "анна смир")] == [a]
    assert service.search_customers(ledger, "zzz") == []
    assert service.search_customers(ledger, '"*)(') == []


def test_the_cashier_sees_a_masked_phone():
    assert mask_phone("+79001234567") == "+7 *** ***-45-67"
    assert mask_phone("+380671234567") == "+380 *** ***-45-67"


def test_birthday_in_the_future_and_unknown_group_are_refused(ledger):
    with pytest.raises(LoyaltyError, match="future"):
        service.register_customer(ledger, "+79001234567", birthday=date(2030, 1, 1))
    with pytest.raises(LoyaltyError) as err:
        service.register_customer(ledger, "+79001234567", group="martians")
    assert err.value.code == "unknown_group"


def test_referrer_by_phone_or_card_must_exist(ledger):
    ref = service.register_customer(ledger, "+79001234567")
    service.register_customer(ledger, "+79001234568", referrer="8 900 123 45 67")
    service.register_customer(ledger, "+79001234569", referrer=ref.card)
    with pytest.raises(LoyaltyError) as err:
        service.register_customer(ledger, "+79001234560", referrer="+79990000000")
    assert err.value.code == "unknown_referrer"


def test_a_refused_sale_writes_nothing_and_the_next_one_does(ledger):
    reg = service.register_customer(ledger, "+79001234567")
    before = counts(ledger)
    lines = [LineInput("a", Decimal("100.00"), Decimal("1"))]
    for kwargs, code in (
        ({"redeem": Decimal("1")}, "redeem_above_max"),
        ({"customer_id": "nobody"}, "unknown_customer"),
        ({"payment": "barter"}, "invalid_payment"),
    ):
        with pytest.raises(LoyaltyError) as err:
            service.record_sale(ledger, lines, **{"customer_id": reg.customer.id, **kwargs})
        assert err.value.code == code
        assert counts(ledger) == before
    with pytest.raises(LoyaltyError) as err:
        service.record_sale(ledger, [], customer_id=reg.customer.id)
    assert err.value.code == "empty_receipt"
    sale = service.record_sale(ledger, lines, customer_id=reg.customer.id)
    assert counts(ledger)["events"] == before["events"] + 1
    with pytest.raises(LoyaltyError) as err:
        service.record_sale(ledger, lines, number=sale.number)
    assert err.value.code == "duplicate_receipt"


def test_events_are_immutable_and_have_gapless_device_sequence(ledger):
    for i in range(3):
        service.register_customer(ledger, f"+7900123456{i}")
    with ledger.db.read() as conn:
        seqs = (
            conn.execute(select(t.events.c.device_seq).order_by(t.events.c.device_seq))
            .scalars()
            .all()
        )
    assert seqs == [1, 2, 3]
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="immutable"), ledger.db.write() as conn:
        conn.execute(t.events.update().values(kind="tampered"))
    with pytest.raises(IntegrityError, match="immutable"), ledger.db.write() as conn:
        conn.execute(t.events.delete())


def test_quote_reads_only(ledger):
    reg = service.register_customer(ledger, "+79001234567")
    before = counts(ledger)
    quote = service.quote_sale(
        ledger, [LineInput("a", Decimal("1000.00"), Decimal("1"))], customer_id=reg.customer.id
    )
    assert quote.accrued == Decimal("30")
    assert counts(ledger) == before
