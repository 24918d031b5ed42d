"""The ledger's row form of a lot and of a customer's account projection: the only place
that knows which column holds what, for the service's live writes and for sync's
applying of the server's accounts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from cashier_app.engine.automation import Profile
from cashier_app.engine.lots import Lot, LotKind
from cashier_app.engine.postings import Standing

LOT_ROW_KEYS = (
    "id", "customer_id", "kind", "points", "remaining", "credited_at", "available_at",
    "expires_at", "receipt_id", "origin_lot_id", "settled", "warned", "event_id",
)  # fmt: skip


def lot_row(customer_id: str, lot: Lot, event_id: str | None = None) -> dict[str, Any]:
    """``event_id``: the event that created the lot here (None: it came from the server)."""
    return {
        "id": lot.id,
        "customer_id": customer_id,
        "kind": lot.kind.value,
        "points": lot.points,
        "remaining": lot.remaining,
        "credited_at": lot.credited_at,
        "available_at": lot.available_at,
        "expires_at": lot.expires_at,
        "receipt_id": lot.receipt_id,
        "origin_lot_id": lot.origin_lot,
        "settled": lot.settled,
        "warned": lot.warned,
        "event_id": event_id,
    }


def lot_from_row(row: Row[Any]) -> Lot:
    return Lot(
        id=row.id,
        kind=LotKind(row.kind),
        points=row.points,
        remaining=row.remaining,
        credited_at=row.credited_at,
        available_at=row.available_at,
        expires_at=row.expires_at,
        receipt_id=row.receipt_id,
        origin_lot=row.origin_lot_id,
        settled=row.settled,
        warned=row.warned,
    )


ACCOUNT_VALUE_KEYS = (
    "balance", "pending", "debt", "tier_basis", "last_purchase_at", "sales_count",
    "sales_net_total", "winback_stage", "birthday_year_done", "next_due_at", "updated_at",
)  # fmt: skip


def account_values(
    *,
    balance: Decimal,
    pending: Decimal,
    debt: Decimal,
    tier_basis: Decimal,
    profile: Profile,
    next_due_at: datetime | None,
    updated_at: datetime,
) -> dict[str, Any]:
    """The projection row's values (without the key); ``balance`` and ``pending`` as of
    ``updated_at``."""
    return {
        "balance": balance,
        "pending": pending,
        "debt": debt,
        "tier_basis": tier_basis,
        "last_purchase_at": profile.last_purchase_at,
        "sales_count": profile.sales_count,
        "sales_net_total": profile.sales_net_total,
        "winback_stage": profile.winback_stage,
        "birthday_year_done": profile.birthday_year_done,
        "next_due_at": next_due_at,
        "updated_at": updated_at,
    }


def projection_values(
    standing: Standing, next_due_at: datetime | None, at: datetime
) -> dict[str, Any]:
    """The projection row of a standing the till computed itself, as of ``at``."""
    account = standing.account
    return account_values(
        balance=account.balance(at),
        pending=account.pending(at),
        debt=account.debt,
        tier_basis=standing.tier_basis,
        profile=standing.profile,
        next_due_at=next_due_at,
        updated_at=at,
    )
