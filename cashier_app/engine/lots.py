"""Points over time: lots, spending order, debt (docs/program.md).

An ``Account`` holds a customer's open lots (those with points left) and any debt. Every
operation returns a new Account plus the ``Movement`` rows that explain it, so the ledger
can store the history and a replay can reproduce it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from cashier_app.engine.calendar import add_days
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import ZERO


class LotKind(StrEnum):
    ACCRUAL = "accrual"
    WELCOME = "welcome"
    BIRTHDAY = "birthday"
    WINBACK = "winback"
    MANUAL = "manual"
    REFUND = "refund"  # redeemed points given back by a return


class MovementKind(StrEnum):
    CREDIT = "credit"  # a lot's points became spendable (or were added, if spendable at once)
    REPAY = "repay"  # part of a credit went to pay the customer's debt
    SPEND = "spend"  # redemption or a manual minus
    TAKE_BACK = "take_back"  # accrued points taken back by a return
    DEBT = "debt"  # a debit larger than the spendable balance
    EXPIRE = "expire"


@dataclass(frozen=True, slots=True)
class Lot:
    id: str
    kind: LotKind
    points: Decimal
    remaining: Decimal
    credited_at: datetime
    available_at: datetime
    expires_at: datetime | None
    receipt_id: str | None = None  # the sale that credited it (an accrual, a refund)
    origin_lot: str | None = None  # for a refund lot: the lot the redemption came from
    settled: bool = False  # became spendable (and paid debt first), or is still pending
    warned: bool = False  # the expiry warning was recorded

    def spendable_at(self, at: datetime) -> bool:
        return (
            self.remaining > ZERO
            and self.available_at <= at
            and (self.expires_at is None or at < self.expires_at)
        )

    def pending_at(self, at: datetime) -> bool:
        return self.remaining > ZERO and self.available_at > at


@dataclass(frozen=True, slots=True)
class Movement:
    kind: MovementKind
    points: Decimal
    at: datetime
    lot: str | None


@dataclass(frozen=True, slots=True)
class Account:
    lots: tuple[Lot, ...] = ()
    debt: Decimal = ZERO

    def lot(self, lot_id: str) -> Lot | None:
        return next((lot for lot in self.lots if lot.id == lot_id), None)

    def spendable(self, at: datetime) -> list[Lot]:
        """Open spendable lots in spending order: soonest-expiring first, then the oldest
        credit, never-expiring last."""
        return sorted(
            (lot for lot in self.lots if lot.spendable_at(at)),
            key=lambda lot: (
                lot.expires_at is None,
                lot.expires_at or lot.credited_at,
                lot.credited_at,
                lot.id,
            ),
        )

    def balance(self, at: datetime) -> Decimal:
        """Spendable points less debt; negative only after returns or reconciliation."""
        return sum((lot.remaining for lot in self.spendable(at)), ZERO) - self.debt

    def pending(self, at: datetime) -> Decimal:
        return sum((lot.remaining for lot in self.lots if lot.pending_at(at)), ZERO)

    def with_lots(self, lots: Iterable[Lot]) -> Account:
        changed = {lot.id: lot for lot in lots}
        kept = [changed.pop(lot.id, lot) for lot in self.lots]
        return replace(self, lots=(*kept, *changed.values()))


def credit(account: Account, lot: Lot, at: datetime) -> tuple[Account, list[Movement]]:
    """Add a new lot. If it is spendable now it pays the debt first; a pending lot does so
    when it becomes available (``settle``)."""
    account = replace(account, lots=(*account.lots, replace(lot, settled=False)))
    if lot.available_at <= at:
        return settle(account, lot.id, at)
    return account, []


def settle(account: Account, lot_id: str, at: datetime) -> tuple[Account, list[Movement]]:
    """The lot's points become spendable: later credits pay the debt first."""
    lot = account.lot(lot_id)
    if lot is None or lot.settled:
        return account, []
    moves = [Movement(MovementKind.CREDIT, lot.remaining, at, lot.id)]
    repay = min(account.debt, lot.remaining)
    debt = account.debt
    if repay > ZERO:
        moves.append(Movement(MovementKind.REPAY, repay, at, lot.id))
        debt -= repay
    new_lot = replace(lot, remaining=lot.remaining - repay, settled=True)
    return replace(account.with_lots([new_lot]), debt=debt), moves


def debit(
    account: Account,
    points: Decimal,
    at: datetime,
    *,
    kind: MovementKind = MovementKind.SPEND,
    first_from: str | None = None,
    allow_debt: bool = False,
) -> tuple[Account, list[Movement]]:
    """Take points: from ``first_from`` (pending or not) first, then in spending order;
    what is left becomes debt only when ``allow_debt`` (a return), else it is refused."""
    if points < ZERO:
        raise ValueError("debit of a negative amount")
    left = points
    moves: list[Movement] = []
    changed: list[Lot] = []
    order = account.spendable(at)
    preferred = account.lot(first_from) if first_from else None
    if preferred is not None and preferred.remaining > ZERO:
        order = [preferred, *(lot for lot in order if lot.id != preferred.id)]
    for lot in order:
        if left <= ZERO:
            break
        take = min(lot.remaining, left)
        changed.append(replace(lot, remaining=lot.remaining - take))
        moves.append(Movement(kind, take, at, lot.id))
        left -= take
    debt = account.debt
    if left > ZERO:
        if not allow_debt:
            raise LoyaltyError(
                "insufficient_points",
                f"the customer has only {points - left} points available, not {points}",
            )
        moves.append(Movement(MovementKind.DEBT, left, at, None))
        debt += left
    return replace(account.with_lots(changed), debt=debt), moves


def expire(account: Account, lot_id: str, at: datetime) -> tuple[Account, list[Movement]]:
    """Write off what is left of a lot at its ``expires_at``."""
    lot = account.lot(lot_id)
    if lot is None or lot.remaining <= ZERO:
        return account, []
    gone = replace(lot, remaining=ZERO)
    return account.with_lots([gone]), [Movement(MovementKind.EXPIRE, lot.remaining, at, lot.id)]


def bonus_lot(
    lot_id: str, kind: LotKind, points: Decimal, at: datetime, expiry_days: int | None, tz: ZoneInfo
) -> Lot:
    """A credit spendable at once (a welcome, birthday, win-back or manual plus), expiring
    ``expiry_days`` later in the store's calendar (None: never)."""
    expires = add_days(at, expiry_days, tz) if expiry_days is not None else None
    return Lot(lot_id, kind, points, points, at, at, expires)


def lot_to_json(lot: Lot) -> dict[str, Any]:
    """A lot as plain JSON values (amounts as decimal text, moments as ISO 8601): the one
    form the replay's saved state, the server's feed and snapshot and the till's apply
    share."""
    return {
        "id": lot.id,
        "kind": lot.kind.value,
        "points": str(lot.points),
        "remaining": str(lot.remaining),
        "credited_at": lot.credited_at.isoformat(),
        "available_at": lot.available_at.isoformat(),
        "expires_at": lot.expires_at.isoformat() if lot.expires_at else None,
        "receipt": lot.receipt_id,
        "origin_lot": lot.origin_lot,
        "settled": lot.settled,
        "warned": lot.warned,
    }


def lot_from_json(x: Mapping[str, Any], since: datetime | None = None) -> Lot:
    """``lot_to_json`` read back. Amounts must be decimal text: a number could be
    hundredths (how the snapshot and the ledger hold them), a hundred times too much read
    as points. ``since`` stands in for a missing credit or availability moment."""

    def amount(value: Any) -> Decimal:
        if not isinstance(value, str):
            raise TypeError(f"a lot's points are not decimal text: {value!r}")
        return Decimal(value)

    def moment(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    credited = moment(x.get("credited_at")) or since
    available = moment(x.get("available_at")) or since
    if credited is None or available is None:
        raise ValueError(f"lot {x.get('id')!r} has no credit or availability moment")
    return Lot(
        str(x["id"]),
        LotKind(x["kind"]),
        amount(x["points"]),
        amount(x["remaining"]),
        credited,
        available,
        moment(x.get("expires_at")),
        x.get("receipt"),
        x.get("origin_lot"),
        bool(x.get("settled")),
        bool(x.get("warned")),
    )
