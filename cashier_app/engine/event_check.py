"""What a well-formed recorded event is: per kind, its fields, their types, ranges and
lengths, and when it may be dated. The central server checks every event a till pushes
with these rules before storing it (one malformed event would otherwise reach every till
through the replay); the limits are those the till applies to what it records (the
service's checks and the ledger's column lengths; tests/sync/test_hostile_events.py holds
the two together).

Pure: the caller passes the moment the event was received; nothing here reads a clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cashier_app.engine.anonymise import ANONYMISED_PHONE, anonymised_phone
from cashier_app.engine.events import EventKind
from cashier_app.engine.money import parse_amount, parse_quantity
from cashier_app.engine.returns import EVENT_GIVEN_BACK, EVENT_TAKEN_BACK

# The till's own limits (service and ledger schema), repeated here because the engine may
# not import them; a test compares the two.
MAX_NAME = 120  # service.customers.MAX_NAME, customers.name
MAX_PHONE = 20  # customers.phone (E.164 has at most 15 digits)
MAX_RECEIPT_NUMBER = 40  # service.sales (1 to 40 characters), receipts.number
MAX_REASON = 500  # service.adjustments
MAX_USER = 80  # service.users, users.name
MAX_SKU = 64  # receipt_lines.sku, catalogue import
MAX_PRODUCT_NAME = 200  # receipt_lines.name, catalogue import
MAX_LABEL = 64  # receipt_lines.category and brand, a group's id
MAX_TIER = 40  # receipts.tier, a tier's name
MAX_LOT_ID = 120  # lots.id
MAX_LINES = 10000  # lines of one receipt: the till sets none; a bound so one event stays small
PAYMENTS = ("cash", "card", "other")  # service.sales.PAYMENTS

# When an event may be dated: not before FLOOR, and not later than the moment the server
# received it plus FUTURE_TOLERANCE (a till's clock a little fast). A moment inside a
# payload (a lot's expiry) may lie further ahead, up to LATEST_AHEAD after the event.
FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(minutes=10)
LATEST_AHEAD = timedelta(days=2 * 36600)  # an accrual delay and an expiry of 100 years each

KINDS = tuple(EventKind)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_CARD = re.compile(r"^[0-9]{8,20}$")
_GROUP = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidEvent(ValueError):
    """An event that breaks the rules: ``field`` names where (``payload.lines[2].qty``)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem

    @property
    def reason(self) -> str:
        return str(self)


# -- field checks: each returns the value as the rules read it, or raises InvalidEvent ----


def _text(
    value: Any, field: str, most: int, *, least: int = 0, pattern: re.Pattern[str] | None = None
) -> str:
    if not isinstance(value, str):
        raise InvalidEvent(field, "expected text")
    if len(value) > most:
        raise InvalidEvent(field, f"at most {most} characters")
    if len(value) < least:
        raise InvalidEvent(field, "must not be empty" if least == 1 else f"at least {least}")
    if _CONTROL.search(value):
        raise InvalidEvent(field, "control characters are not allowed")
    if pattern is not None and not pattern.match(value):
        raise InvalidEvent(field, "not of the expected form")
    return value


def _uuid(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) != 36 or not _UUID.match(value):
        raise InvalidEvent(field, "expected an id of the form 8-4-4-4-12 hex digits (36)")
    return value


def _amount(value: Any, field: str, *, negative: bool = False) -> Decimal:
    """Money or points: a decimal string, finite, at most 12 integer and 2 fractional
    digits (as the till stores them, in hundredths), written as the till writes it: no
    spaces, no minus on a zero."""
    if isinstance(value, str) and value != value.strip():
        raise InvalidEvent(field, "an amount has no spaces around it")
    try:
        amount = parse_amount(value, allow_negative=negative)
    except ValueError as exc:
        raise InvalidEvent(field, str(exc)) from None
    if amount == 0 and str(value).startswith("-"):
        raise InvalidEvent(field, "a zero has no minus")
    return amount


def _quantity(value: Any, field: str) -> Decimal:
    try:
        return parse_quantity(value)
    except ValueError as exc:
        raise InvalidEvent(field, str(exc)) from None


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidEvent(field, "expected true or false")
    return value


def _int(value: Any, field: str, least: int, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidEvent(field, "expected a whole number")
    if not least <= value <= most:
        raise InvalidEvent(field, f"must be between {least} and {most}")
    return value


def _moment(
    value: Any, field: str, earliest: datetime, latest: datetime, too_late: str = ""
) -> datetime:
    """An ISO 8601 moment with its UTC offset, within [earliest, latest]."""
    if isinstance(value, str):
        if len(value) > 40:
            raise InvalidEvent(field, "expected an ISO 8601 moment")
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidEvent(field, "expected an ISO 8601 moment") from None
    if not isinstance(value, datetime):
        raise InvalidEvent(field, "expected an ISO 8601 moment")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidEvent(field, "a moment must carry its UTC offset")
    if value < earliest:
        raise InvalidEvent(field, f"earlier than {earliest.isoformat()}")
    if value > latest:
        raise InvalidEvent(field, too_late or f"later than {latest.isoformat()}")
    return value


def _optional(check: Callable[..., Any]) -> Callable[..., Any]:
    def maybe(value: Any, field: str, *args: Any, **kwargs: Any) -> Any:
        return None if value is None else check(value, field, *args, **kwargs)

    return maybe


_opt_text = _optional(_text)
_opt_uuid = _optional(_uuid)
_opt_moment = _optional(_moment)


def _fields(
    payload: Mapping[str, Any], field: str, required: tuple[str, ...], optional: tuple[str, ...]
) -> None:
    for key in payload:
        if key not in required and key not in optional:
            raise InvalidEvent(f"{field}.{str(key)[:40]}", "not a field of this event")
    for key in required:
        if key not in payload or payload[key] is None:
            raise InvalidEvent(f"{field}.{key}", "required")


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidEvent(field, "expected an object")
    return value


def _list(value: Any, field: str, most: int) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidEvent(field, "expected a list")
    if len(value) > most:
        raise InvalidEvent(field, f"at most {most} entries")
    return list(value)


# -- the event kinds ------------------------------------------------------------------------


def _registration(p: Mapping[str, Any], at: datetime) -> None:
    _fields(
        p,
        "payload",
        ("customer_id", "phone"),
        ("name", "birthday", "group", "consent_at", "referrer_id", "card", "imported"),
    )
    _uuid(p["customer_id"], "payload.customer_id")
    phone = _text(p["phone"], "payload.phone", MAX_PHONE)
    # A till that anonymised a customer before pushing their registration sends it erased
    # (engine/anonymise.py): the placeholder is the one made from this customer's id.
    if ANONYMISED_PHONE.match(phone):
        if phone != anonymised_phone(p["customer_id"]):
            raise InvalidEvent("payload.phone", "not this customer's anonymised placeholder")
    elif not _PHONE.match(phone):
        raise InvalidEvent("payload.phone", "not of the expected form")
    _opt_text(p.get("name"), "payload.name", MAX_NAME)
    birthday = p.get("birthday")
    if birthday is not None:
        if not isinstance(birthday, str) or not _DATE.match(birthday):
            raise InvalidEvent("payload.birthday", "expected a date as YYYY-MM-DD")
        try:
            day = date.fromisoformat(birthday)
        except ValueError:
            raise InvalidEvent("payload.birthday", "not a date of the calendar") from None
        if day > (at + timedelta(days=1)).date():  # the till refuses one after its day
            raise InvalidEvent("payload.birthday", "a birthday in the future")
    _opt_text(p.get("group"), "payload.group", MAX_LABEL, pattern=_GROUP)
    _opt_moment(p.get("consent_at"), "payload.consent_at", FLOOR, at + FUTURE_TOLERANCE)
    _opt_uuid(p.get("referrer_id"), "payload.referrer_id")
    _opt_text(p.get("card"), "payload.card", 20, pattern=_CARD)
    if p.get("imported") is not None:
        _bool(p["imported"], "payload.imported")


_SALE_AMOUNTS = ("total", "discount", "redeemed", "paid", "accrued")
_LINE_AMOUNTS = ("price", "amount", "discount", "redeemed_money", "accrual_base")
_LINE_FLAGS = ("no_loyalty", "discount_eligible", "bonus_eligible")


def _sale(p: Mapping[str, Any], at: datetime) -> None:
    # What every till writes on every sale is required: a sale without its amounts or
    # lines is not one a till recorded.
    _fields(
        p,
        "payload",
        ("receipt_id", "number", "lines", *_SALE_AMOUNTS),
        ("customer_id", "payment", "discount_percent", "tier", "accrual_lot"),
    )
    _uuid(p["receipt_id"], "payload.receipt_id")
    _opt_text(p.get("number"), "payload.number", MAX_RECEIPT_NUMBER, least=1)
    _opt_uuid(p.get("customer_id"), "payload.customer_id")
    if p.get("payment") is not None and p["payment"] not in PAYMENTS:
        raise InvalidEvent("payload.payment", f"one of {', '.join(PAYMENTS)}")
    for key in _SALE_AMOUNTS:
        if p.get(key) is not None:
            _amount(p[key], f"payload.{key}")
    percent = p.get("discount_percent")
    if percent is not None and _amount(percent, "payload.discount_percent") > 100:
        raise InvalidEvent("payload.discount_percent", "a percent is at most 100")
    _opt_text(p.get("tier"), "payload.tier", MAX_TIER)
    lines = _list(p["lines"], "payload.lines", MAX_LINES)
    if not lines:
        raise InvalidEvent("payload.lines", "a sale has at least one line")
    for n, line in enumerate(lines, 1):
        where = f"payload.lines[{n}]"
        line = _object(line, where)
        _fields(
            line,
            where,
            ("sku", "qty", "amount"),
            ("category", "brand", "name", *_LINE_AMOUNTS, *_LINE_FLAGS),
        )
        _text(line["sku"], f"{where}.sku", MAX_SKU, least=1)
        _opt_text(line.get("name"), f"{where}.name", MAX_PRODUCT_NAME)
        _opt_text(line.get("category"), f"{where}.category", MAX_LABEL)
        _opt_text(line.get("brand"), f"{where}.brand", MAX_LABEL)
        _quantity(line["qty"], f"{where}.qty")
        for key in _LINE_AMOUNTS:
            if line.get(key) is not None:
                _amount(line[key], f"{where}.{key}")
        for key in _LINE_FLAGS:
            if line.get(key) is not None:
                _bool(line[key], f"{where}.{key}")
    lot = p.get("accrual_lot")
    if lot is not None:
        lot = _object(lot, "payload.accrual_lot")
        _fields(lot, "payload.accrual_lot", ("id", "available_at"), ("expires_at",))
        if lot["id"] != f"accrual:{p['receipt_id']}":  # as the till names it: unique
            raise InvalidEvent("payload.accrual_lot.id", "expected accrual: and the receipt id")
        available = _moment(
            lot["available_at"], "payload.accrual_lot.available_at", at, at + LATEST_AHEAD
        )
        _opt_moment(
            lot.get("expires_at"), "payload.accrual_lot.expires_at", available, at + LATEST_AHEAD
        )


def _return(p: Mapping[str, Any], at: datetime) -> None:
    amounts = ("refunded", EVENT_TAKEN_BACK, EVENT_GIVEN_BACK, "basis_decrease")
    _fields(p, "payload", ("receipt_id", "lines", *amounts), ("return_id", "number"))
    _uuid(p["receipt_id"], "payload.receipt_id")
    _opt_uuid(p.get("return_id"), "payload.return_id")
    _opt_text(p.get("number"), "payload.number", MAX_RECEIPT_NUMBER, least=1)
    for key in amounts:
        if p.get(key) is not None:
            _amount(p[key], f"payload.{key}")
    lines = _list(p["lines"], "payload.lines", MAX_LINES)
    if not lines:
        raise InvalidEvent("payload.lines", "a return has at least one line")
    for n, line in enumerate(lines, 1):
        where = f"payload.lines[{n}]"
        line = _object(line, where)
        _fields(line, where, ("line", "qty"), ("refund",))
        _int(line["line"], f"{where}.line", 0, MAX_LINES)
        _quantity(line["qty"], f"{where}.qty")
        if line.get("refund") is not None:
            _amount(line["refund"], f"{where}.refund")


def _adjustment(p: Mapping[str, Any], at: datetime) -> None:
    # "opening": a customer import's opening balance (reports show it apart from managers').
    _fields(p, "payload", ("customer_id", "points", "reason"), ("opening",))
    _uuid(p["customer_id"], "payload.customer_id")
    if _amount(p["points"], "payload.points", negative=True) == 0:
        raise InvalidEvent("payload.points", "an adjustment is not zero")
    _text(p["reason"], "payload.reason", MAX_REASON, least=1)
    if "opening" in p and p["opening"] is not True:
        raise InvalidEvent("payload.opening", "an opening balance is marked true or not at all")


def _shift(p: Mapping[str, Any], at: datetime) -> None:
    _fields(p, "payload", ("shift_id", "user"), ())
    _uuid(p["shift_id"], "payload.shift_id")
    _text(p["user"], "payload.user", MAX_USER, least=1)


def _group_change(p: Mapping[str, Any], at: datetime) -> None:
    _fields(p, "payload", ("customer_id", "group"), ("previous_group",))
    _uuid(p["customer_id"], "payload.customer_id")
    _text(p["group"], "payload.group", MAX_LABEL, pattern=_GROUP)
    _opt_text(p.get("previous_group"), "payload.previous_group", MAX_LABEL, pattern=_GROUP)


def _anonymised(p: Mapping[str, Any], at: datetime) -> None:
    _fields(p, "payload", ("customer_id",), ())
    _uuid(p["customer_id"], "payload.customer_id")


_PAYLOADS: dict[str, Callable[[Mapping[str, Any], datetime], None]] = {
    EventKind.CUSTOMER_REGISTERED: _registration,
    EventKind.SALE: _sale,
    EventKind.RETURN: _return,
    EventKind.ADJUSTMENT: _adjustment,
    EventKind.SHIFT_OPENED: _shift,
    EventKind.SHIFT_CLOSED: _shift,
    EventKind.CUSTOMER_GROUP_CHANGED: _group_change,
    EventKind.CUSTOMER_ANONYMISED: _anonymised,
}


# Kinds whose payload names the customer the event belongs to (a sale may have none).
_CUSTOMERS_OWN = (
    EventKind.CUSTOMER_REGISTERED,
    EventKind.SALE,
    EventKind.ADJUSTMENT,
    EventKind.CUSTOMER_GROUP_CHANGED,
    EventKind.CUSTOMER_ANONYMISED,
)


def check_event(event: Mapping[str, Any], received_at: datetime) -> None:
    """Raise InvalidEvent unless ``event`` (as a till sends it: ``id``, ``device_seq``,
    ``kind``, ``at``, ``customer_id``, ``program_version``, ``payload``) is well formed
    and dated between FLOOR and ``received_at`` plus FUTURE_TOLERANCE."""
    _uuid(event.get("id"), "id")
    _int(event.get("device_seq"), "device_seq", 1, 2**62)
    kind = event.get("kind")
    if kind not in _PAYLOADS:
        raise InvalidEvent("kind", f"one of {', '.join(KINDS)}")
    at = _moment(
        event.get("at"),
        "at",
        FLOOR,
        received_at + FUTURE_TOLERANCE,
        # the manager reads this in the till's list of refused operations
        f"dated in the future: later than the server's time {received_at.isoformat('T', 'seconds')}"
        f" plus {int(FUTURE_TOLERANCE.total_seconds()) // 60} minutes; is the till's clock ahead?",
    )
    customer = _opt_uuid(event.get("customer_id"), "customer_id")
    version = event.get("program_version")
    if version is not None:
        _int(version, "program_version", 1, 2**31 - 1)
    payload = _object(event.get("payload"), "payload")
    _PAYLOADS[kind](payload, at)
    if kind in _CUSTOMERS_OWN and kind != EventKind.SALE and customer is None:
        raise InvalidEvent("customer_id", "required for this kind")
    owned = kind in _CUSTOMERS_OWN
    if owned and payload.get("customer_id") != customer:
        raise InvalidEvent("payload.customer_id", "differs from the event's customer_id")
