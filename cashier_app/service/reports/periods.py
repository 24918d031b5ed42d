"""A report's period in the store's calendar: its buckets (days, ISO weeks, months, or the
whole range) with their labels and the UTC moments they start and end at.

The ledger stores moments in UTC and the store lives in its own time zone, which may change
its offset (daylight saving). A fixed offset added in SQL would put the hour around a change
in the wrong day, so each bucket's UTC boundaries are computed here, from the store's local
midnights, and the queries join the rows to a small table of those boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import CTE, Integer, column, values

from cashier_app.engine.calendar import local_midnight
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import ZERO, round_money
from cashier_app.service.report_model import Period
from cashier_app.storage.types import UtcDateTime

# A report of more buckets than this is not read by anyone, and its boundary table would
# grow past what one statement binds comfortably (three values a bucket).
MAX_BUCKETS = 1000
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    first: date  # the bucket's first and last local day, clipped to the period
    last: date
    start: datetime  # UTC: the local midnight opening ``first``
    end: datetime  # UTC: the local midnight after ``last`` (excluded)


def check_period(period: Period) -> None:
    if not FIRST_DAY <= period.start <= LAST_DAY or not FIRST_DAY <= period.end <= LAST_DAY:
        raise LoyaltyError(
            "invalid_period", f"a report's dates are between {FIRST_DAY} and {LAST_DAY}"
        )
    if period.start > period.end:
        raise LoyaltyError(
            "invalid_period",
            f"the period starts ({period.start}) after it ends ({period.end})",
        )
    if period.by not in (None, "day", "week", "month"):
        raise LoyaltyError("invalid_period", "a period is split by day, week or month")


def utc_midnight(day: date, tz: ZoneInfo) -> datetime:
    return local_midnight(day, tz).astimezone(UTC)


def _bucket_first(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if by == "month":
        return day.replace(day=1)
    return day


def _next_first(first: date, by: str) -> date:
    if by == "week":
        return first + timedelta(days=7)
    if by == "month":
        return (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first + timedelta(days=1)


def _label(first: date, by: str) -> str:
    if by == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{first.year}-{first.month:02d}"
    return first.isoformat()


def whole_label(period: Period) -> str:
    return f"{period.start.isoformat()}..{period.end.isoformat()}"


def buckets(period: Period, tz: ZoneInfo) -> list[Bucket]:
    """The period's buckets in order; a week or month cut by the period's edges covers
    only the period's days and is labelled with them (``2026-11-01..2026-11-01``)."""
    check_period(period)
    if period.by is None:
        start, end = utc_midnight(period.start, tz), utc_midnight(_after(period.end), tz)
        return [Bucket(whole_label(period), period.start, period.end, start, end)]
    out: list[Bucket] = []
    first = _bucket_first(period.start, period.by)
    while first <= period.end:
        following = _next_first(first, period.by)
        lo, hi = max(first, period.start), min(following - timedelta(days=1), period.end)
        whole = lo == first and hi == following - timedelta(days=1)
        out.append(
            Bucket(
                # A week or month the period cuts short is labelled with the days it holds:
                # "2026-W44" over Sunday 1 November alone would read as a whole week.
                _label(first, period.by) if whole else f"{lo.isoformat()}..{hi.isoformat()}",
                lo,
                hi,
                utc_midnight(lo, tz),
                utc_midnight(_after(hi), tz),
            )
        )
        if len(out) > MAX_BUCKETS:
            raise LoyaltyError(
                "invalid_period",
                f"a report has at most {MAX_BUCKETS} rows of periods: split it by a longer step",
            )
        first = following
    return out


def _after(day: date) -> date:
    return day + timedelta(days=1)


def boundaries(parts: Sequence[Bucket]) -> CTE:
    """The buckets as a table (idx, start, end) to join rows to by their moment."""
    table = values(
        column("idx", Integer),
        column("start", UtcDateTime()),
        column("end", UtcDateTime()),
        name="buckets",
    ).data([(i, b.start, b.end) for i, b in enumerate(parts)])
    return table.cte("buckets")


def cents(value: Decimal) -> Decimal:
    """An amount of money or points with its two decimals, as the ledger keeps them (a sum
    over no rows is a bare 0)."""
    return round_money(value)


def average(total: Decimal, count: int) -> Decimal:
    """The average check, rounded as the engine rounds money; nothing sold: zero."""
    return round_money(total / count) if count else round_money(ZERO)
