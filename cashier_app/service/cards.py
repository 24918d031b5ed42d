"""Loyalty card numbers: EAN-13 in the in-store range, and what a scanner may send.

A number is ``2`` + the device's 4-digit card prefix + a 7-digit sequence + the EAN check
digit, so tills that issue cards offline never issue the same number.
"""

from __future__ import annotations

import re

QR_SCHEME = "LOYAL:"
_URL = re.compile(r"^https?://[^/\s]+/(?:c|card)/(\d{8,20})/?$", re.IGNORECASE)


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_ean13(number: str) -> bool:
    return len(number) == 13 and number.isdigit() and ean13_check_digit(number[:12]) == number[12]


def card_number(prefix: str, sequence: int) -> str:
    if len(prefix) != 4 or not prefix.isdigit() or not 0 < sequence < 10_000_000:
        raise ValueError("card prefix must be 4 digits and the sequence 1..9999999")
    body = f"2{prefix}{sequence:07d}"
    return body + ean13_check_digit(body)


def card_from_scan(text: str) -> str | None:
    """The card number inside a scan: a bare EAN-13 / Code 128 number, our QR payload
    ``LOYAL:<number>``, or a card URL ``https://<host>/c/<number>``; None if none."""
    raw = text.strip()
    if raw.upper().startswith(QR_SCHEME):
        raw = raw[len(QR_SCHEME) :]
    elif (m := _URL.match(raw)) is not None:
        raw = m.group(1)
    if 8 <= len(raw) <= 20 and raw.isdigit():
        return raw
    return None


def qr_payload(number: str) -> str:
    return f"{QR_SCHEME}{number}"
