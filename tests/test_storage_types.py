"""The bulk loader's converters store exactly what SQLAlchemy stores: a moment written by
a first pull must compare and sort with one written by a sale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.dialects import sqlite

from cashier_app.storage import schema as t
from cashier_app.storage.types import bulk_converter

DIALECT = sqlite.dialect()
MOMENTS = [
    datetime(2026, 1, 1, tzinfo=UTC),  # no microseconds: still written with them
    datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=3))),  # not UTC
    None,
]
AMOUNTS = [Decimal("0"), Decimal("1.5"), Decimal("-120.25"), Decimal("100000000.01"), None]


def sqlalchemy_stores(column, value):
    processor = column.type.dialect_impl(DIALECT).bind_processor(DIALECT)
    return processor(value) if processor else value


@pytest.mark.parametrize(
    "column",
    [t.accounts.c.updated_at, t.lots.c.expires_at, t.customers.c.registered_at],
    ids=lambda c: c.name,
)
def test_moments_are_stored_as_sqlalchemy_stores_them(column):
    for moment in MOMENTS:
        assert bulk_converter(column.type, DIALECT)(moment) == sqlalchemy_stores(column, moment)
        if moment is not None:  # and as the ISO text the server sends
            text = moment.isoformat()
            assert bulk_converter(column.type, DIALECT)(text) == sqlalchemy_stores(column, moment)
            stored = sqlalchemy_stores(column, moment)  # and the stored form itself
            assert bulk_converter(column.type, DIALECT)(stored) == stored
    with pytest.raises(ValueError):
        bulk_converter(column.type, DIALECT)("2026-13-45T10:00:00.000000+00:00")


@pytest.mark.parametrize(
    "column", [t.accounts.c.balance, t.accounts.c.tier_basis, t.lots.c.points], ids=lambda c: c.name
)
def test_amounts_are_stored_as_sqlalchemy_stores_them(column):
    for amount in AMOUNTS:
        assert bulk_converter(column.type, DIALECT)(amount) == sqlalchemy_stores(column, amount)
    with pytest.raises(ValueError):
        bulk_converter(column.type, DIALECT)(Decimal("0.001"))


def test_other_columns_use_sqlalchemys_own_converters():
    convert = bulk_converter(t.lots.c.settled.type, DIALECT)
    assert (convert(True) if convert else True) == sqlalchemy_stores(t.lots.c.settled, True)
