"""Part of a phone finds the same customers however many of its digits are typed (our
tester: 9050000 found 3, 90500000 found 0, 9050000001 found 1): any run of four digits or
more, wherever it is in the phone, and a phone begun with the trunk prefix (8 905 ...)."""

from __future__ import annotations

from datetime import datetime

import pytest

from cashier_app import service
from cashier_app.service import customer_base as base
from cashier_app.service.customer_base import CustomerFilter, Sort
from tests.conftest import MSK

PHONES = ("+79050000001", "+79050000002", "+79050000003", "+79150000001")


@pytest.fixture
def phones(shop):
    for i, phone in enumerate(PHONES):
        service.register_customer(
            shop.ledger, phone, name=f"Номер {i}", at=datetime(2026, 3, 1, 12, tzinfo=MSK)
        )
    return shop


def found(shop, text: str) -> set[str]:
    f = CustomerFilter(search=text)
    rows = base.window(shop.ledger, shop.manager, f, Sort("phone"), 0, 200)
    assert base.count(shop.ledger, shop.manager, f) == len(rows)
    return {r.phone for r in rows if r.phone in PHONES}


THREE = set(PHONES[:3])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("9050", THREE),  # four digits: the shortest part that searches
        ("90500", THREE),
        ("905000", THREE),
        ("9050000", THREE),
        ("90500000", THREE),  # eight digits (also an EAN-8 shape): still a part of a phone
        ("905000000", THREE),
        ("9050000001", {PHONES[0]}),  # the whole national number
        ("79050000001", {PHONES[0]}),
        ("+7 905 000-00-01", {PHONES[0]}),
        ("8 905 000-00-01", {PHONES[0]}),  # the trunk prefix as people write it
        ("8 905 000", THREE),
        ("0001", {PHONES[0], PHONES[3]}),  # the last digits
        ("00001", {PHONES[0], PHONES[3]}),
        ("000000", THREE | {PHONES[3]}),  # the middle
        ("0500000", THREE),
        ("905", set()),  # three digits are too few to mean a phone
        ("9060000", set()),
    ],
)
def test_any_run_of_four_digits_or_more_finds_the_phones_holding_it(phones, text, expected):
    assert found(phones, text) == expected
