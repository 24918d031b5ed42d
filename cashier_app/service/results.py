"""What service operations return: plain immutable values for the UI, the CLI and sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from cashier_app.engine.automation import AutoEvent
from cashier_app.engine.receipt import ReceiptQuote


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: str
    phone: str
    name: str
    birthday: date | None
    group_id: str
    group_name: str
    loyalty: str
    cards: tuple[str, ...]
    balance: Decimal
    pending: Decimal
    tier: str | None
    tier_basis: Decimal
    next_tier: str | None
    to_next_tier: Decimal
    discount_percent: Decimal
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class Registration:
    customer: CustomerView
    card: str
    event_id: str
    welcome_points: Decimal
    automatic: tuple[AutoEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class SaleResult:
    receipt_id: str
    number: str
    event_id: str
    quote: ReceiptQuote
    customer: CustomerView | None
    accrual_available_at: datetime | None
    automatic: tuple[AutoEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class ReturnResult:
    return_id: str
    receipt_number: str
    event_id: str
    refunded: Decimal
    points_taken_back: Decimal
    points_given_back: Decimal
    customer: CustomerView | None
    automatic: tuple[AutoEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    event_id: str
    points: Decimal
    customer: CustomerView
    automatic: tuple[AutoEvent, ...] = ()
