"""Refusals in the cashier's language: the service's error codes, explained."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import QCoreApplication

from cashier_app.engine.errors import LoyaltyError

# English source texts (translated through Qt like every visible string); the service's
# own message, in English, is used for a code not listed here. Every code the service
# raises has an entry (tests/test_error_codes.py holds this table to docs/errors.md).
#
# A message that counts something holds its plural forms separated by PLURAL_SEPARATOR,
# with %n for the number: English gives two forms (one, other), Russian and Ukrainian three
# (one, few, many) — see plural(). PLURAL_COUNT names the error detail that holds the number.
MESSAGES = {
    "wrong_pin": "Wrong PIN: %n try left.|Wrong PIN: %n tries left.",
    "user_locked": "Too many wrong PINs: try again in a few minutes.",
    "invalid_pin": "A PIN is 4 to 8 digits.",
    "pin_too_short": "A manager's or administrator's PIN is 6 to 8 digits.",
    "unknown_user": "There is no such user.",
    "duplicate_user": "There is already a user with this name.",
    "first_user_admin": "The first user must be an administrator.",
    "not_allowed": "Your role may not do this.",
    "last_administrator": "This is the last active administrator: make someone else an administrator first.",
    "own_role": "Nobody raises their own role.",
    "own_account": "Nobody deactivates themselves.",
    "staff_via_server": "This till is enrolled: its staff are changed at the central server.",
    "pin_required": "Confirm the change with your own PIN.",
    "server_unreachable": "Staff changes need the central server: it is not reachable. Nothing was changed.",
    "refused_by_server": "The central server refused the change.",
    "shift_already_open": "Your shift is already open.",
    "no_open_shift": "Open your shift first.",
    "no_program": "No loyalty program is installed yet.",
    "invalid_program": "The loyalty program document is invalid.",
    "stale_program": "This program version is not newer than the installed one.",
    "group_in_use": "The new program drops a customer group that still has customers.",
    "card_is_product": "That is a product's barcode, not a loyalty card.",
    "invalid_phone": "This is not a valid phone number.",
    "duplicate_phone": "A customer with this phone is already registered.",
    "invalid_name": "The name is empty or too long.",
    "invalid_birthday": "A birthday cannot be in the future.",
    "unknown_group": "There is no such customer group.",
    "already_anonymised": "This customer's personal data was already erased.",
    "export_failed": "The file could not be written (the folder is gone, read-only or full); nothing was left half-written.",
    "invalid_export_path": "Choose another file: this one is a folder, in a folder that does not exist, or the till's ledger or another database.",
    "invalid_filter": "A filter of the customer list is not valid: check the numbers and days.",
    "invalid_format": "Choose CSV or XLSX.",
    "invalid_month_day": "A birthday day is written as MM-DD, for example 03-15.",
    "invalid_period": "The period is not valid: the first day must not be after the last, within the years 2000 to 2100.",
    "invalid_sort": "The list cannot be sorted by that column.",
    "invalid_window": "Ask for 1 to 1000 rows at a time.",
    "unknown_shift": "There is no such shift.",
    "unknown_referrer": "Nobody has that phone or card.",
    "invalid_card": "This is not a valid card number.",
    "duplicate_card": "This card already belongs to a customer.",
    "unknown_customer": "There is no such customer.",
    "duplicate_customer": "This customer name is already used in the scenario.",
    "empty_receipt": "The receipt has no lines.",
    "invalid_payment": "Payment must be cash, card or other.",
    "invalid_receipt_number": "A receipt number has 1 to 40 characters.",
    "duplicate_receipt": "A receipt with this number is already recorded.",
    "redeem_above_max": "At most {max} points can be paid on this receipt.",
    "invalid_redeem": "Points to pay must be a whole number of points.",
    "insufficient_points": "The customer does not have that many points.",
    "unknown_receipt": "There is no such receipt.",
    "unknown_refused_event": "There is no such refused operation on this till.",
    "unknown_line": "The receipt has no such line.",
    "return_exceeds_sale": "That is more than was sold and not yet returned.",
    "return_before_sale": "A return cannot be dated before its sale.",
    "invalid_quantity": "A returned quantity must be above zero.",
    "amount_too_large": "A price, quantity or total is too large for the till: a price is at most 99,999,999.99, a quantity at most 99,999.999.",
    "invalid_moment": "The date must be between the years 2000 and 2100.",
    "empty_return": "Choose at least one line to return.",
    "invalid_points": "The adjustment must be a non-zero number of whole points.",
    "reason_required": "Say why the balance changes (at most 500 characters).",
    "no_bonus_program": "This customer's group does not collect points.",
    "unreadable_file": "The file cannot be read.",
    "catalogue_too_large": "The file is too large for a catalogue: at most 200,000 products and 64 columns. Split it into smaller files.",
    "customer_file_too_large": "The file is too large: at most 200,000 customers and 64 columns. Split it into smaller files.",
    "empty_customer_file": "The file has no rows.",
    "phone_column_missing": "Choose the column that holds the phone.",
    "ledger_busy": "The till is busy with another operation; try again.",
    "ledger_disk_full": "The disk is full: nothing was recorded.",
    "ledger_damaged": "The ledger file is damaged and was not used: restore the last good copy, or export what can still be read (cashier-app salvage).",
    "ledger_missing": "The ledger file is missing or empty, though this folder held one: no new till is made in its place. Restore the last good copy, or run cashier-app init to start a new till.",
    "no_ledger": "There is no ledger in this folder: create one with cashier-app init, or check the data folder.",
    "ledger_too_new": "The ledger was written by a newer version of the program: run that version, or restore the last good copy.",
    "ledger_read_only": "The ledger can only be read (read-only file, folder or disk): nothing was recorded.",
    "ledger_unavailable": "The ledger cannot be opened: the data folder is a file, or this user may not use it.",
    "backup_folder_unavailable": "The backup folder cannot be written (missing, read-only, or a removed stick): no backup was made. Plug the stick back in or choose another folder.",
    "backup_failed": "The copy did not pass its check and was removed: try again or choose another folder.",
    "backup_unusable": "This backup cannot be used (damaged or not a ledger): choose another.",
    "backup_too_new": "This backup was made by a newer version of the program: restore it with that version.",
    "backup_other_till": "This backup is of another till: restore a backup of this till.",
    "restore_would_lose": "Operations recorded since the backup cannot be read: the restore was refused. Export what can be read (cashier-app salvage), or accept the loss.",
    "ledger_in_use": "The ledger is in use by the till's window or a command: close them, then restore.",
    "invalid_setting": "This setting is out of range.",
}

PLURAL_SEPARATOR = "|"
PLURAL_COUNT = {"wrong_pin": "tries_left"}


def plural(n: int, forms: Sequence[str]) -> str:
    """The form of ``forms`` that fits ``n``, with %n replaced by it.

    Two forms are English's (one, other); three are Russian's and Ukrainian's (one, few,
    many: 1 попытка, 2 попытки, 5 попыток, 11 попыток, 21 попытка). A single form is used
    for every number.
    """
    if len(forms) >= 3:
        tail, tens = n % 10, n % 100
        if tail == 1 and tens != 11:
            index = 0
        elif 2 <= tail <= 4 and not 12 <= tens <= 14:
            index = 1
        else:
            index = 2
    else:
        index = 0 if n == 1 else len(forms) - 1
    return forms[index].replace("%n", str(n))


def explain(error: LoyaltyError) -> str:
    template = MESSAGES.get(error.code)
    if template is None:
        return error.message
    text = QCoreApplication.translate("Errors", template)
    if PLURAL_SEPARATOR in template:
        count = error.details.get(PLURAL_COUNT.get(error.code, ""))
        if not isinstance(count, int):
            return error.message
        return plural(count, text.split(PLURAL_SEPARATOR))
    value = error.details.get("max_redeem", Decimal(0))
    shown = f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
    return text.format(max=shown)
