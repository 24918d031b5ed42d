"""Store-time arithmetic: "N days later" is the same wall-clock time N days later in the
store's time zone, which is what a shop owner reading an expiry date expects (a DST change
does not move a lot's expiry by an hour)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moments given to the engine must carry a time zone")
    return moment


def add_days(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    local = require_aware(moment).astimezone(tz).replace(tzinfo=None)
    return (local + timedelta(days=days)).replace(tzinfo=tz)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return require_aware(moment).astimezone(tz).date()


def birthday_in_year(birthday: date, year: int) -> date:
    """The birthday as celebrated in ``year``: 29 February is the 28th in other years."""
    if birthday.month == 2 and birthday.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, birthday.month, birthday.day)
