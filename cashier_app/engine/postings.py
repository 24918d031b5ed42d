"""What each kind of event does to a customer's standing: their lots, profile and tier
basis. The one owner of these rules: the service records a live operation through them
and ``replay`` folds the same functions over a customer's history, so a till's balance
and the server's replay cannot drift apart.

Each function takes the standing before the event and gives the standing after it and
the lot movements that explain the change. The time rules between events (availability,
expiry, birthdays, win-back) are ``automation.run_until``'s; the arithmetic of a receipt
or a return is ``receipt`` and ``returns``'; what is posted here is what they decided.

Pure: moments and the program come in as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cashier_app.engine.automation import Profile
from cashier_app.engine.lots import (
    Account,
    Lot,
    LotKind,
    Movement,
    MovementKind,
    bonus_lot,
    credit,
    debit,
    lot_from_json,
    lot_to_json,
)
from cashier_app.engine.money import ZERO
from cashier_app.engine.program import BonusProgram
from cashier_app.engine.returns import Spend, refund_lots


@dataclass(frozen=True, slots=True)
class Standing:
    """The part of a customer's state that events change: the one shape of it, held by
    the replay (``replay.CustomerReplay``), by a till's service (``CustomerState``) and,
    as JSON, by the server (``standing_to_json``)."""

    account: Account
    profile: Profile
    tier_basis: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Posted:
    standing: Standing
    moves: tuple[Movement, ...] = ()
    credited: tuple[Lot, ...] = ()  # lots this event created (a return's refunds)

    @property
    def spent(self) -> list[Spend]:
        """The lots a redemption spent, for a later return to give points back to."""
        return [
            Spend(m.lot, m.points, _expiry(self.standing.account, m.lot))
            for m in self.moves
            if m.kind is MovementKind.SPEND and m.lot
        ]

    @property
    def overdrawn(self) -> list[Movement]:
        """The part of a debit the balance did not cover (replay only allows it)."""
        return [m for m in self.moves if m.kind is MovementKind.DEBT]


def registration(
    standing: Standing, bonus: BonusProgram | None, event_id: str, at: datetime, tz: ZoneInfo
) -> Posted:
    """A new customer: the welcome bonus, if their group's program gives one."""
    if bonus is None or bonus.welcome is None:
        return Posted(standing)
    w = bonus.welcome
    lot = bonus_lot(f"welcome:{event_id}", LotKind.WELCOME, w.points, at, w.expiry_days, tz)
    account, moves = credit(standing.account, lot, at)
    return Posted(replace(standing, account=account), tuple(moves), (lot,))


def sale(
    standing: Standing,
    *,
    redeemed: Decimal,
    accrual_lot: Lot | None,
    after_discount: Decimal,
    at: datetime,
    allow_debt: bool = False,
) -> Posted:
    """A receipt with a customer: the points it redeemed spent (soonest-expiring first),
    its accrual credited, and a purchase on the profile (a new quiet period for win-back,
    the average check) and in the tier basis. ``allow_debt``: a replay, where two offline
    tills may have spent the same points; a live sale was quoted within the balance."""
    account = standing.account
    moves: list[Movement] = []
    if redeemed > ZERO:
        account, spent = debit(account, redeemed, at, allow_debt=allow_debt)
        moves += spent
    if accrual_lot is not None:
        account, credited = credit(account, accrual_lot, at)
        moves += credited
    p = standing.profile
    profile = replace(
        p,
        last_purchase_at=at,
        winback_stage=0,  # a purchase starts a new quiet period
        sales_count=p.sales_count + 1,
        sales_net_total=p.sales_net_total + after_discount,
    )
    after = Standing(account, profile, standing.tier_basis + after_discount)
    return Posted(after, tuple(moves), (accrual_lot,) if accrual_lot else ())


def return_of(
    standing: Standing,
    *,
    receipt_id: str,
    accrual_lot_id: str | None,
    points_taken_back: Decimal,
    points_given_back: Decimal,
    spends: Sequence[Spend],
    basis_decrease: Decimal,
    refund_id: str,
    at: datetime,
) -> Posted:
    """Lines of a receipt brought back: its accrual taken back (from its own lot first; if
    spent already the balance goes negative), the redeemed points given back as lots with
    their original expiry, and the purchase taken off the tier basis and average check."""
    account = standing.account
    moves: list[Movement] = []
    if points_taken_back > ZERO:
        account, taken = debit(
            account,
            points_taken_back,
            at,
            kind=MovementKind.TAKE_BACK,
            first_from=accrual_lot_id,
            allow_debt=True,
        )
        moves += taken
    refunds: list[Lot] = []
    if points_given_back > ZERO:
        for lot in refund_lots(spends, points_given_back, at, f"refund:{refund_id}"):
            lot = replace(lot, receipt_id=receipt_id)
            account, credited = credit(account, lot, at)
            moves += credited
            refunds.append(lot)
    p = standing.profile
    profile = replace(p, sales_net_total=p.sales_net_total - basis_decrease)
    after = Standing(account, profile, standing.tier_basis - basis_decrease)
    return Posted(after, tuple(moves), tuple(refunds))


def adjustment(
    standing: Standing,
    bonus: BonusProgram | None,
    *,
    event_id: str,
    points: Decimal,
    at: datetime,
    tz: ZoneInfo,
    allow_debt: bool = False,
) -> Posted:
    """A manager's plus (a lot with the program's usual expiry) or minus (spent like a
    redemption; a live minus is checked against the balance first)."""
    if points > ZERO:
        expiry = bonus.expiry_days if bonus else None
        lot = bonus_lot(f"manual:{event_id}", LotKind.MANUAL, points, at, expiry, tz)
        account, moves = credit(standing.account, lot, at)
        return Posted(replace(standing, account=account), tuple(moves), (lot,))
    account, moves = debit(standing.account, -points, at, allow_debt=allow_debt)
    return Posted(replace(standing, account=account), tuple(moves))


def merge(kept: Standing, merged: Standing) -> Posted:
    """The same person registered at two tills, merged into the registration the server
    keeps (central_server/ledger/registrations.py): both customers' lots (each with its
    own expiry and pending time), their debts, purchases and tier bases added up. Of the
    profile: the kept registration's customer and birthday, the earliest registration,
    the latest purchase and the win-back stage of the quiet period it began (an earlier
    purchase's quiet period ended with it), the later birthday year handled (a year's
    bonus is given once). Nothing is spent or credited, so there are no movements.

    What a till shows until the server's replay of both histories under one customer
    arrives. That replay is the truth, and it differs from this sum in what a customer
    gets once: the merged registration's welcome bonus (the server counts one
    registration, so the replay's balance is this one less the merged welcome's points)
    and an automatic bonus (birthday, win-back) both customers were given apart. It also
    spends each redemption from the lots of both, so which lots are left, and so what
    expires later, can differ; the balance, pending points, tier basis and profile
    otherwise agree (tests/test_merge_posting.py)."""
    a, b = kept.profile, merged.profile
    purchases = [p for p in (a, b) if p.last_purchase_at is not None]
    latest = max(purchases, key=lambda p: p.last_purchase_at or p.registered_at, default=a)
    years = [y for y in (a.birthday_year_done, b.birthday_year_done) if y is not None]
    profile = replace(
        a,
        registered_at=min(a.registered_at, b.registered_at),
        last_purchase_at=latest.last_purchase_at,
        winback_stage=latest.winback_stage,
        birthday_year_done=max(years, default=None),
        sales_count=a.sales_count + b.sales_count,
        sales_net_total=a.sales_net_total + b.sales_net_total,
    )
    account = Account(
        (*kept.account.lots, *merged.account.lots), kept.account.debt + merged.account.debt
    )
    return Posted(Standing(account, profile, kept.tier_basis + merged.tier_basis))


def standing_to_json(standing: Standing, *, identity: bool = True) -> dict[str, Any]:
    """A standing as plain JSON values (amounts as decimal text, moments as ISO 8601): the
    one writer of that form, for the server's stored replay state and the account
    snapshot it sends to tills. ``identity``: with the registration moment and birthday
    (the stored replay); a till's snapshot takes those from the customer instead. Only
    lots with points left are written."""
    p = standing.profile
    profile: dict[str, Any] = {}
    if identity:
        profile["registered_at"] = p.registered_at.isoformat()
        profile["birthday"] = p.birthday.isoformat() if p.birthday else None
    profile |= {
        "last_purchase_at": _when(p.last_purchase_at),
        "winback_stage": p.winback_stage,
        "birthday_year_done": p.birthday_year_done,
        "sales_count": p.sales_count,
        "sales_net_total": str(p.sales_net_total),
    }
    return {
        "debt": str(standing.account.debt),
        "tier_basis": str(standing.tier_basis),
        "profile": profile,
        "lots": [lot_to_json(lot) for lot in standing.account.lots if lot.remaining > ZERO],
    }


def standing_from_json(
    d: Mapping[str, Any],
    customer: str,
    *,
    registered_at: datetime | None = None,
    birthday: date | None = None,
) -> Standing:
    """``standing_to_json`` read back, the one reader of that form. Without the identity
    part, ``registered_at`` and ``birthday`` (the customer's, as the till holds them) stand
    in; ``registered_at`` is also the moment a lot without one was credited."""
    profile = profile_from_json(
        d.get("profile") or {}, customer, registered_at=registered_at, birthday=birthday
    )
    lots = tuple(lot_from_json(x, registered_at) for x in d.get("lots") or ())
    return Standing(Account(lots, _amount(d["debt"])), profile, _amount(d["tier_basis"]))


def profile_from_json(
    p: Mapping[str, Any],
    customer: str,
    *,
    registered_at: datetime | None = None,
    birthday: date | None = None,
) -> Profile:
    """The profile part of ``standing_to_json`` read back (alone: a till applying an
    account snapshot stores its lots by itself)."""
    registered = _moment(p.get("registered_at")) or registered_at
    if registered is None:
        raise ValueError(f"customer {customer!r}: a standing without a registration moment")
    if "birthday" in p:
        birthday = date.fromisoformat(p["birthday"]) if p["birthday"] else None
    return Profile(
        customer=customer,
        registered_at=registered,
        birthday=birthday,
        last_purchase_at=_moment(p.get("last_purchase_at")),
        winback_stage=int(p.get("winback_stage") or 0),
        birthday_year_done=p.get("birthday_year_done"),
        sales_count=int(p.get("sales_count") or 0),
        sales_net_total=_amount(p.get("sales_net_total") or "0"),
    )


def _amount(value: Any) -> Decimal:
    # Decimal text only: a number could be hundredths (how ledgers hold amounts), a
    # hundred times too much read as points (as ``lots.lot_from_json``).
    if not isinstance(value, str):
        raise TypeError(f"an amount of a standing is not decimal text: {value!r}")
    return Decimal(value)


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _expiry(account: Account, lot_id: str | None) -> datetime | None:
    lot = account.lot(lot_id) if lot_id else None
    return lot.expires_at if lot else None
