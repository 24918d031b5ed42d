"""Phone numbers in any common format, normalised to E.164 with the store's region."""

from __future__ import annotations

import phonenumbers

from cashier_app.engine.errors import LoyaltyError


def normalise_phone(text: str, region: str) -> str:
    """``8 900 123-45-67``, ``+7 (900) 123 45 67`` and ``9001234567`` all give +79001234567."""
    raw = (text or "").strip()
    if not raw or len(raw) > 40:
        raise LoyaltyError("invalid_phone", f"{raw[:40]!r} is not a phone number")
    if any(ch.isalpha() for ch in raw):
        # phonenumbers reads letters as keypad digits (8-800-FLOWERS gives +78003569377) and
        # drops an extension ("доб. 5", "x12"): a customer's phone has digits only.
        raise LoyaltyError(
            "invalid_phone", f"{raw!r} has letters: a phone number may contain only digits"
        )
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


def quick_candidates(text: str, region: str) -> list[str]:
    """Likely E.164 forms of a typed phone, without the full parser: the lookup at the till
    tries these first and falls back to ``normalise_phone`` only when none is found (a
    registered phone is always stored in its E.164 form, so a hit is exact)."""
    raw = text.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not 7 <= len(digits) <= 15 or any(not (ch.isdigit() or ch in " +-().") for ch in raw):
        return []
    if raw.startswith("+"):
        return ["+" + digits]
    if region in ("RU", "KZ"):
        if len(digits) == 11 and digits[0] in "78":
            return ["+7" + digits[1:]]
        if len(digits) == 10:
            return ["+7" + digits]
    if region == "UA":
        if len(digits) == 10 and digits[0] == "0":
            return ["+38" + digits]
        if len(digits) == 12 and digits.startswith("380"):
            return ["+" + digits]
    return []


def looks_like_phone(text: str) -> bool:
    """Seven digits or more and nothing but digits, spaces and ``+-().``: never a letter."""
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 7 and all(ch.isdigit() or ch in " +-()." for ch in text.strip())


def mask_phone(e164: str) -> str:
    """What a cashier sees: +7 *** ***-45-67."""
    try:
        country = phonenumbers.parse(e164).country_code
    except phonenumbers.NumberParseException:
        return "***"
    return f"+{country} *** ***-{e164[-4:-2]}-{e164[-2:]}"
