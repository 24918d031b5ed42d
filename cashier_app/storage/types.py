"""Column types: Decimal stored as an exact integer of minor units, moments stored in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, TypeDecorator


class Scaled(TypeDecorator[Decimal]):
    """A Decimal kept as an integer count of 10**-scale units: exact, sortable, summable.

    Money and points use scale 2 (kopecks, hundredths of a point), quantities scale 3.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._quantum = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        if not isinstance(value, Decimal):
            raise TypeError(f"expected Decimal, got {type(value).__name__}")  # never a float
        scaled = value * self._factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} fractional digits")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(self._quantum)


def Money() -> Scaled:
    return Scaled(2)


def Points() -> Scaled:
    return Scaled(2)


def Quantity() -> Scaled:
    return Scaled(3)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC text, which sorts."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("moments stored in the ledger must carry a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        moment: datetime = value
        return moment.replace(tzinfo=UTC)


def bulk_converter(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy would store for a value of this column type, for bulk loads that
    hand rows to the driver directly (a first pull of a million customers). Moments get a
    shorter path than the general one; tests/test_storage_types.py checks that it stores
    exactly what SQLAlchemy stores."""
    if isinstance(column_type, UtcDateTime) and dialect.name == "sqlite":
        return _stored_moment
    processor: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor


def _stored_moment(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # ISO 8601 text, as the server sends it
        parsed = datetime.fromisoformat(value)  # validates it, whatever the shape
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            return value  # the stored form itself (naive UTC), as a first-pull snapshot has it
        if len(value) == 32 and value[10] == "T" and value[19] == "." and value[26:] == "+00:00":
            return f"{value[:10]} {value[11:26]}"  # UTC with microseconds: already the text
        value = parsed
    if value.tzinfo is None:
        raise ValueError("moments stored in the ledger must carry a time zone")
    # SQLAlchemy's SQLite DATETIME text: "YYYY-MM-DD HH:MM:SS.ffffff", naive UTC
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds")
