"""A phone with letters is refused: phonenumbers would read them as keypad digits
(``8 912 ABC 67 89`` → +79122226789) or drop them as an extension."""

from __future__ import annotations

import pytest

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.phones import looks_like_phone, normalise_phone
from tests.test_service_customers import counts

LETTERED = [
    "8 912 ABC 67 89",
    "8-800-FLOWERS",
    "+7 900 123 45 67 доб. 5",
    "8 900 123-45-67 x12",
    "+7 900 CALL NOW",
]


@pytest.mark.parametrize("typed", LETTERED)
def test_registration_with_letters_in_the_phone_is_refused_and_writes_nothing(ledger, typed):
    before = counts(ledger)
    with pytest.raises(LoyaltyError) as err:
        service.register_customer(ledger, typed, name="Анна")
    assert err.value.code == "invalid_phone"
    assert "letters" in err.value.message
    assert counts(ledger) == before


@pytest.mark.parametrize("typed", LETTERED)
def test_a_phone_with_letters_is_not_a_phone_anywhere(typed):
    with pytest.raises(LoyaltyError) as err:
        normalise_phone(typed, "RU")
    assert err.value.code == "invalid_phone"
    assert not looks_like_phone(typed)


def test_a_lookup_by_a_lettered_phone_is_refused_not_matched(ledger):
    reg = service.register_customer(ledger, "+7 912 222 67 89")
    assert service.find_by_phone(ledger, "8 912 222 67 89") == reg.customer.id
    with pytest.raises(LoyaltyError) as err:
        service.find_by_phone(ledger, "8 912 ABC 67 89")
    assert err.value.code == "invalid_phone"


def test_digits_in_the_usual_formats_still_register(ledger):
    reg = service.register_customer(ledger, "8 (912) 222-67-89")
    assert reg.customer.phone == "+79122226789"
    assert looks_like_phone("8 (912) 222-67-89")
