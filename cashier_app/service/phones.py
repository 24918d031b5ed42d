"""Phone numbers in any common format, normalised to E.164 with the store's region (F-01)."""

from __future__ import annotations

import phonenumbers

from cashier_app.engine.errors import LoyaltyError


def normalise_phone(text: str, region: str) -> str:
    """``8 900 123-45-67``, ``+7 (900) 123 45 67`` and ``9001234567`` all give +79001234567."""
    raw = (text or "").strip()
    if not raw or len(raw) > 40:
        raise LoyaltyError("invalid_phone", f"{raw[:40]!r} is not a phone number")
    candidates = [raw]
    digits = "".join(ch for ch in raw if ch.isdigit())
    # Russian habit: a leading 8 instead of +7 (phonenumbers knows it as the trunk prefix,
    # but a bare "8900..." with no spaces also reaches here).
    if region == "RU" and len(digits) == 11 and digits.startswith("8") and not raw.startswith("+"):
        candidates.append("+7" + digits[1:])
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise LoyaltyError("invalid_phone", f"{raw!r} is not a valid phone number")


def looks_like_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 7 and all(ch.isdigit() or ch in " +-()." for ch in text.strip())


def mask_phone(e164: str) -> str:
    """What a cashier sees: +7 *** ***-45-67."""
    try:
        country = phonenumbers.parse(e164).country_code
    except phonenumbers.NumberParseException:
        return "***"
    return f"+{country} *** ***-{e164[-4:-2]}-{e164[-2:]}"
