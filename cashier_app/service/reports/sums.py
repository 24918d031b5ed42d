"""SQL pieces the reports share: sums that come back as Decimal, and the reading of the
program and its time zone inside a report's read transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, type_coerce

from cashier_app.storage.types import Money, Points


def money_sum(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    """SUM of hundredths read back as Decimal money (0.00 over no rows). The type is
    spelt out: arithmetic on the stored integers would otherwise come back as a bare
    integer of hundredths, a hundred times the amount."""
    return type_coerce(func.coalesce(func.sum(expr), 0), Money())


def points_sum(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    return type_coerce(func.coalesce(func.sum(expr), 0), Points())


def as_money(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    """An expression over money columns, compared and bound as money (hundredths)."""
    return type_coerce(expr, Money())
