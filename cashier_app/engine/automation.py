"""Automatic events as time passes: pending points becoming available, expiry, birthday
and win-back bonuses, expiry warnings (docs/program.md). Pure: the caller says up to when.

Automatic lots get ids derived from the customer and the occasion, so the till and the
central server, replaying the same events, derive the same lots.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from cashier_app.engine.calendar import add_days, birthday_in_year, local_date, local_midnight
from cashier_app.engine.lots import (
    Account,
    LotKind,
    Movement,
    bonus_lot,
    credit,
    expire,
    settle,
)
from cashier_app.engine.money import HUNDRED, ZERO, floor_points
from cashier_app.engine.program import BonusProgram, Program


@dataclass(frozen=True, slots=True)
class Profile:
    """The parts of a customer's history the time rules depend on."""

    customer: str
    registered_at: datetime
    birthday: date | None
    last_purchase_at: datetime | None = None
    winback_stage: int = 0  # reminders sent in the current quiet period: 0, 1 or 2
    birthday_year_done: int | None = None  # last birthday year whose bonus was handled
    sales_count: int = 0
    sales_net_total: Decimal = ZERO  # receipt totals after discounts, less returned amounts

    def average_check(self) -> Decimal:
        if self.sales_count <= 0:
            return ZERO
        return self.sales_net_total / self.sales_count


class Occasion(IntEnum):
    # Order of things due at the same moment: points become spendable before anything
    # expires, and a lot is warned about before it expires.
    AVAILABLE = 0
    BIRTHDAY = 1
    WINBACK_FIRST = 2
    WINBACK_SECOND = 3
    EXPIRY_WARNING = 4
    EXPIRY = 5


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    occasion: Occasion
    lot: str | None = None
    year: int | None = None


@dataclass(frozen=True, slots=True)
class AutoEvent:
    """One automatic event that happened: what the simulate output and the ledger record."""

    at: datetime
    kind: str  # available, expiry, birthday, winback_first, winback_second, expiry_warning
    customer: str
    points: Decimal
    lot: str | None
    message: str | None  # the kind of message recorded for the customer, if any


def _birthday_credit_at(
    program: Program, bonus: BonusProgram, birthday: date, year: int
) -> datetime:
    assert bonus.birthday is not None
    day = birthday_in_year(birthday, year)
    return add_days(local_midnight(day, program.tz), -bonus.birthday.days_before, program.tz)


def _next_birthday(program: Program, bonus: BonusProgram, profile: Profile) -> Due | None:
    if bonus.birthday is None or profile.birthday is None:
        return None
    if profile.birthday_year_done is not None:
        year = profile.birthday_year_done + 1
    else:
        # The first birthday bonus is the first whose credit moment is not before the
        # registration (no bonus for a birthday window that had already opened).
        year = local_date(profile.registered_at, program.tz).year
        if _birthday_credit_at(program, bonus, profile.birthday, year) < profile.registered_at:
            year += 1
    return Due(
        _birthday_credit_at(program, bonus, profile.birthday, year), Occasion.BIRTHDAY, year=year
    )


def _next_winback(program: Program, bonus: BonusProgram, profile: Profile) -> Due | None:
    wb = bonus.winback
    if wb is None or profile.last_purchase_at is None:
        return None
    if profile.winback_stage == 0:
        return Due(
            add_days(profile.last_purchase_at, wb.first_after_days, program.tz),
            Occasion.WINBACK_FIRST,
        )
    if profile.winback_stage == 1 and wb.second_after_days is not None:
        return Due(
            add_days(profile.last_purchase_at, wb.second_after_days, program.tz),
            Occasion.WINBACK_SECOND,
        )
    return None


@lru_cache(maxsize=65536)
def _warning_moment(
    available_at: datetime, expires_at: datetime, days: int, tz: ZoneInfo
) -> datetime | None:
    # Memoised: a replay asks for every open lot's warning moment after every event, and
    # the store-time arithmetic is the costly part (a pure function of its arguments).
    at = max(available_at, add_days(expires_at, -days, tz))
    return at if at < expires_at else None


def next_due(
    program: Program, bonus: BonusProgram | None, account: Account, profile: Profile
) -> Due | None:
    """The earliest automatic event still to happen for this customer, if any."""
    # Runs after every event of a replay over every open lot, so it finds each lot's own
    # earliest moment (pending before its warning before its expiry) and compares plain
    # values, building only the winning Due.
    warn_days = bonus.expiry_warning_days if bonus is not None else None
    best: tuple[datetime, Occasion, str] | None = None
    for lot in account.lots:
        if lot.remaining <= ZERO:
            continue
        expires = lot.expires_at
        if not lot.settled and (expires is None or lot.available_at <= expires):
            at, occasion = lot.available_at, Occasion.AVAILABLE
        elif expires is None:
            continue
        else:
            warn = None
            if warn_days is not None and not lot.warned:
                warn = _warning_moment(lot.available_at, expires, warn_days, program.tz)
            at, occasion = (
                (expires, Occasion.EXPIRY) if warn is None else (warn, Occasion.EXPIRY_WARNING)
            )
        if best is None or at < best[0] or (at == best[0] and (occasion, lot.id) < best[1:]):
            best = (at, occasion, lot.id)
    candidates: list[Due] = [] if best is None else [Due(best[0], best[1], lot=best[2])]
    if bonus is not None:
        for due in (
            _next_birthday(program, bonus, profile),
            _next_winback(program, bonus, profile),
        ):
            if due is not None:
                candidates.append(due)
    if not candidates:
        return None
    return min(candidates, key=lambda d: (d.at, d.occasion, d.lot or ""))


def apply_due(
    program: Program, bonus: BonusProgram | None, account: Account, profile: Profile, due: Due
) -> tuple[Account, Profile, AutoEvent, list[Movement]]:
    """Carry out one due automatic event."""
    at, cid = due.at, profile.customer
    if due.occasion is Occasion.AVAILABLE:
        assert due.lot is not None
        lot = account.lot(due.lot)
        points = lot.remaining if lot else ZERO
        account, moves = settle(account, due.lot, at)
        return account, profile, AutoEvent(at, "available", cid, points, due.lot, None), moves
    if due.occasion is Occasion.EXPIRY:
        assert due.lot is not None
        lot = account.lot(due.lot)
        points = lot.remaining if lot else ZERO
        account, moves = expire(account, due.lot, at)
        return account, profile, AutoEvent(at, "expiry", cid, points, due.lot, None), moves
    if due.occasion is Occasion.EXPIRY_WARNING:
        assert due.lot is not None
        lot = account.lot(due.lot)
        assert lot is not None
        account = account.with_lots([replace(lot, warned=True)])
        event = AutoEvent(at, "expiry_warning", cid, lot.remaining, lot.id, "expiry_warning")
        return account, profile, event, []
    assert bonus is not None
    if due.occasion is Occasion.BIRTHDAY:
        assert bonus.birthday is not None and due.year is not None
        lot = bonus_lot(
            f"birthday:{cid}:{due.year}",
            LotKind.BIRTHDAY,
            bonus.birthday.points,
            at,
            bonus.birthday.expiry_days,
            program.tz,
        )
        account, moves = credit(account, lot, at)
        profile = replace(profile, birthday_year_done=due.year)
        return (
            account,
            profile,
            AutoEvent(at, "birthday", cid, lot.points, lot.id, "birthday"),
            moves,
        )
    wb, last_purchase = bonus.winback, profile.last_purchase_at
    assert wb is not None and last_purchase is not None
    if due.occasion is Occasion.WINBACK_FIRST:
        profile = replace(profile, winback_stage=1)
        return (
            account,
            profile,
            AutoEvent(at, "winback_first", cid, ZERO, None, "winback_first"),
            [],
        )
    points = wb.second_points or ZERO
    if wb.second_points_percent_of_avg_check is not None:
        points = profile.average_check() * wb.second_points_percent_of_avg_check / HUNDRED
    points = max(ZERO, floor_points(points, program.points_rounding))
    period = last_purchase.isoformat()
    profile = replace(profile, winback_stage=2)
    moves = []
    lot_id = None
    if points > ZERO:
        lot = bonus_lot(
            f"winback:{cid}:{period}",
            LotKind.WINBACK,
            points,
            at,
            wb.second_expiry_days,
            program.tz,
        )
        account, moves = credit(account, lot, at)
        lot_id = lot.id
    return (
        account,
        profile,
        AutoEvent(at, "winback_second", cid, points, lot_id, "winback_second"),
        moves,
    )


def run_until(
    program: Program,
    bonus: BonusProgram | None,
    account: Account,
    profile: Profile,
    until: datetime,
) -> tuple[Account, Profile, list[tuple[AutoEvent, list[Movement]]]]:
    """Everything due at or before ``until``, in time order."""
    happened: list[tuple[AutoEvent, list[Movement]]] = []
    while (due := next_due(program, bonus, account, profile)) is not None and due.at <= until:
        account, profile, event, moves = apply_due(program, bonus, account, profile, due)
        happened.append((event, moves))
    return account, profile, happened
