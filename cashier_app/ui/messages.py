"""Refusals in the cashier's language: the service's error codes, explained."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QCoreApplication

from cashier_app.engine.errors import LoyaltyError

# English source texts (translated through Qt like every visible string); the service's
# own message, in English, is used for a code not listed here.
MESSAGES = {
    "wrong_pin": "Wrong PIN: {left} tries left.",
    "user_locked": "Too many wrong PINs: try again in a few minutes.",
    "redeem_above_max": "At most {max} points can be paid on this receipt.",
    "invalid_redeem": "Points to pay must be a whole number of points.",
    "invalid_phone": "This is not a valid phone number.",
    "duplicate_phone": "A customer with this phone is already registered.",
    "unknown_referrer": "Nobody has that phone or card.",
    "invalid_birthday": "A birthday cannot be in the future.",
    "not_allowed": "Your role may not do this.",
    "unknown_receipt": "There is no such receipt.",
    "return_exceeds_sale": "That is more than was sold and not yet returned.",
    "no_open_shift": "Open your shift first.",
    "insufficient_points": "The customer does not have that many points.",
    "empty_receipt": "The receipt has no lines.",
    "ledger_busy": "The till is busy with another operation; try again.",
    "ledger_disk_full": "The disk is full: nothing was recorded.",
}


def explain(error: LoyaltyError) -> str:
    template = MESSAGES.get(error.code)
    if template is None:
        return error.message
    text = QCoreApplication.translate("Errors", template)
    value = error.details.get("max_redeem", Decimal(0))
    shown = f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
    return text.format(max=shown, left=error.details.get("tries_left", ""))
