"""The PIN rule, in one place: the till (service/users.py, the first-start dialog) and the
central server (its staff API and command line) all call ``check_pin``.

A PIN is 4 to 8 ASCII digits; a manager's or an administrator's at least 6, since their
PINs unlock more and the hashes travel to tills (a 4-digit one is found in minutes from
its hash). The rule applies when a PIN is set or a role given: a PIN set before it keeps
working at login, so nobody is locked out by an upgrade.
"""

from __future__ import annotations

import re

from cashier_app.engine.errors import LoyaltyError

MIN_PIN = 4
MIN_PRIVILEGED_PIN = 6
MAX_PIN = 8
PRIVILEGED_ROLES = frozenset({"manager", "administrator"})
_DIGITS = re.compile(r"^[0-9]+$")  # ASCII digits: a keypad PIN, not any Unicode digit


def min_pin_length(role: str) -> int:
    return MIN_PRIVILEGED_PIN if role in PRIVILEGED_ROLES else MIN_PIN


def check_pin(pin: str | None, role: str, *, previous_role: str | None = None) -> None:
    """Refuse a PIN that does not fit ``role``. ``pin`` None means the user keeps their
    PIN (a change of role, name or store only): allowed unless ``role`` is a manager's or
    an administrator's and ``previous_role`` was not (a promotion needs a new, long PIN).
    """
    if pin is None:
        if role in PRIVILEGED_ROLES and previous_role not in PRIVILEGED_ROLES:
            raise LoyaltyError(
                "pin_too_short",
                f"a {role.replace('_', ' ')} needs a PIN of {MIN_PRIVILEGED_PIN} to "
                f"{MAX_PIN} digits: give a new PIN with the new role",
                min_length=MIN_PRIVILEGED_PIN,
            )
        return
    if not (_DIGITS.match(pin) and MIN_PIN <= len(pin) <= MAX_PIN):
        raise LoyaltyError("invalid_pin", f"a PIN is {MIN_PIN} to {MAX_PIN} digits")
    if len(pin) < min_pin_length(role):
        raise LoyaltyError(
            "pin_too_short",
            f"a {role.replace('_', ' ')}'s PIN is {MIN_PRIVILEGED_PIN} to {MAX_PIN} digits",
            min_length=MIN_PRIVILEGED_PIN,
        )
