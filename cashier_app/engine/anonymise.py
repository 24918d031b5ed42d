"""A customer's personal data erased on their request (docs/security.md): what stands in
for the phone, and what is left of their registration event. The same rule on every till
and on the central server, so each erases the same fields and keeps the same ones.

Pure: values in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# The phone column is unique and required: an anonymised customer holds a text no one can
# type as a phone (letters, no "+"), made from the customer's id, so every till and the
# server write the same one and no two customers share it.
ANONYMISED_PREFIX = "anon-"
ANONYMISED_PHONE = re.compile(r"^anon-[0-9a-f]{15}$")

# 2000 is a leap year, so a birthday on 29 February keeps its day.
_BIRTHDAY_YEAR = "2000"


def anonymised_phone(customer_id: str) -> str:
    """``anon-`` and the last 15 hex digits of the id: 20 characters, the phone column's
    width; the last digits of a UUIDv7 are its random part."""
    digits = customer_id.replace("-", "").lower()
    return ANONYMISED_PREFIX + digits[-15:]


def is_anonymised_phone(phone: str | None) -> bool:
    return phone is not None and phone.startswith(ANONYMISED_PREFIX)


def anonymised_birthday(birthday: str | None) -> str | None:
    """Only the day and month stay, in the year 2000: the birthday bonuses the customer
    already had are replayed from them (engine/automation.py reads no year), and without
    the year they do not point to a person."""
    if not birthday:
        return None
    return f"{_BIRTHDAY_YEAR}-{str(birthday)[5:10]}"


def redacted_registration(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A customer_registered payload without the person: the phone is the placeholder, the
    name empty, the consent and the referrer gone; the customer id, group and card number
    stay, since the replay and the card's uniqueness read them."""
    customer_id = str(payload["customer_id"])
    redacted: dict[str, Any] = {
        "customer_id": customer_id,
        "phone": anonymised_phone(customer_id),
        "name": "",
        "birthday": anonymised_birthday(payload.get("birthday")),
    }
    for key in ("group", "card"):
        if payload.get(key) is not None:
            redacted[key] = payload[key]
    return redacted
