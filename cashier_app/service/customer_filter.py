"""What a manager asks of the customer base: the filter (search, last purchase, birthday,
group, tier, balance, registration, consent), the sort, and the rows that come back."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal, get_args

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import check_moment

SortColumn = Literal[
    "name", "phone", "cards", "group", "tier", "balance", "last_purchase", "registered",
    "birthday", "consent",
]  # fmt: skip
SORT_COLUMNS: tuple[str, ...] = get_args(SortColumn)
MAX_WINDOW = 1000  # rows in one window: a screen asks for ~200, the export streams
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Sort:
    column: SortColumn = "registered"
    descending: bool = False

    @staticmethod
    def parse(text: str) -> Sort:
        """``balance`` or ``balance:desc`` (the command line's ``--sort``)."""
        name, _, direction = text.strip().partition(":")
        if name not in SORT_COLUMNS or direction not in ("", "asc", "desc"):
            raise LoyaltyError(
                "invalid_sort",
                f"sort by one of {', '.join(SORT_COLUMNS)}, optionally with :asc or :desc",
            )
        return Sort(name, direction == "desc")  # type: ignore[arg-type]  # checked above


def month_day(text: str) -> tuple[int, int]:
    """``MM-DD`` as (month, day); 02-29 is a day too (a leap-year birthday)."""
    m = _MONTH_DAY.match(text.strip())
    if m is not None:
        month, day = int(m.group(1)), int(m.group(2))
        try:
            date(2000, month, day)  # a leap year: 02-29 exists
        except ValueError:
            pass
        else:
            return month, day
    raise LoyaltyError("invalid_month_day", f"{text!r} is not a day of the year like 03-08")


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """Which customers to list; every field left empty lists everyone. Dates are the
    store's days (its program's time zone)."""

    search: str = ""  # name words, phone (whole, last 4 digits, or a part), card number
    not_seen_days: int | None = None  # no purchase for this many days (nor ever since)
    birthday_from: tuple[int, int] | None = None  # (month, day); a range may wrap the year
    birthday_to: tuple[int, int] | None = None
    group_ids: tuple[str, ...] = ()
    tier: str | None = None  # a tier's title as the program names it
    min_balance: Decimal | None = None
    max_balance: Decimal | None = None
    registered_from: date | None = None
    registered_to: date | None = None  # inclusive
    consent: bool | None = None

    def check(self) -> None:
        if self.not_seen_days is not None and not 0 <= self.not_seen_days <= 36600:
            raise LoyaltyError("invalid_filter", "days without a purchase: 0 to 36,600")
        if (self.birthday_from is None) != (self.birthday_to is None):
            raise LoyaltyError(
                "invalid_filter", "a birthday range needs both its first and last day"
            )
        for value in (self.min_balance, self.max_balance):
            if value is not None and not isinstance(value, Decimal):
                raise TypeError("balances are Decimal")  # never a float
            if value is not None and not value.is_finite():
                raise LoyaltyError("invalid_filter", "a balance is a number")
        if (
            self.min_balance is not None
            and self.max_balance is not None
            and self.min_balance > self.max_balance
        ):
            raise LoyaltyError("invalid_filter", "the lowest balance is above the highest")
        if (
            self.registered_from
            and self.registered_to
            and self.registered_from > self.registered_to
        ):
            raise LoyaltyError("invalid_filter", "registered from a day after the last one")
        for day in (self.registered_from, self.registered_to):
            check_moment(datetime.combine(day, time()) if day else None)
        if len(self.search) > 200:
            raise LoyaltyError("invalid_filter", "search for at most 200 characters")

    def described(self) -> dict[str, Any]:
        """What was asked, for the audit log: only the fields given."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value in (None, "", ()):
                continue
            if key.startswith("birthday_"):
                value = f"{value[0]:02d}-{value[1]:02d}"
            out[key] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True, slots=True)
class CustomerRow:
    id: str
    name: str
    phone: str  # masked unless the user may see whole numbers
    cards: tuple[str, ...]
    group_id: str
    group: str  # the group's name in the program in force
    tier: str | None
    balance: Decimal
    last_purchase_at: datetime | None
    registered_at: datetime
    birthday: date | None
    consent: bool
    anonymised: bool = False


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """One movement of a customer's points: credited, spent, expired, taken back."""

    at: datetime
    kind: str
    points: Decimal
    lot_kind: str | None
    operation: str | None  # the event that moved them (sale, return, adjustment...)
