"""Replaying a customer's recorded events into their balance, lots and tiers (docs/sync.md).

A recorded receipt is never recomputed: replay applies the point movements it recorded
(what the customer was told) and the engine's time rules between events (availability,
expiry, birthdays, win-back). Events are applied in their deterministic order (event time,
then device, then device sequence), so the central server and every till that replays the
same events reach the same state. A redemption the balance no longer covers (two offline
tills spending the same points) drives the balance negative and is reported as an
overdraft; nothing is dropped or rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cashier_app.engine.automation import AutoEvent, Profile, run_until
from cashier_app.engine.calendar import add_days
from cashier_app.engine.lots import Account, Lot, LotKind, Movement, MovementKind, credit, debit
from cashier_app.engine.money import ZERO
from cashier_app.engine.program import Program
from cashier_app.engine.returns import Spend, refund_lots


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the ledger stores it; ``payload`` holds decimal strings and ISO times."""

    id: str
    device_id: str
    device_seq: int
    kind: str
    at: datetime
    program_version: int | None
    payload: Mapping[str, Any]

    @property
    def order(self) -> tuple[datetime, str, int]:
        return (self.at, self.device_id, self.device_seq)


@dataclass(frozen=True, slots=True)
class Overdraft:
    """A redemption or a minus the balance did not cover when the events met."""

    event_id: str
    device_id: str
    receipt: str | None
    points: Decimal  # the part that went into debt
    at: datetime


@dataclass
class CustomerReplay:
    """A customer's state, built up event by event."""

    customer: str
    group: str
    account: Account
    profile: Profile
    tier_basis: Decimal = ZERO
    overdrafts: list[Overdraft] = field(default_factory=list)
    automatic: list[AutoEvent] = field(default_factory=list)
    # receipt id -> (accrual lot id, the lots its redemption spent, points given back per lot)
    receipts: dict[str, tuple[str | None, list[Spend]]] = field(default_factory=dict)


def _d(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def _t(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


ProgramAt = Callable[[int | None], Program]


def start(event: RecordedEvent, program: Program) -> CustomerReplay:
    """A customer from their registration event (with its welcome bonus)."""
    p = event.payload
    group = program.group(p.get("group") or "") or program.default_group
    birthday = date.fromisoformat(p["birthday"]) if p.get("birthday") else None
    state = CustomerReplay(
        customer=p["customer_id"],
        group=group.id,
        account=Account(),
        profile=Profile(customer=p["customer_id"], registered_at=event.at, birthday=birthday),
    )
    bonus = program.bonus_program_of(group)
    if bonus is not None and bonus.welcome is not None:
        w = bonus.welcome
        expires = (
            add_days(event.at, w.expiry_days, program.tz) if w.expiry_days is not None else None
        )
        lot = Lot(
            f"welcome:{event.id}", LotKind.WELCOME, w.points, w.points, event.at, event.at, expires
        )
        state.account, _ = credit(state.account, lot, event.at)
    return state


def advance(state: CustomerReplay, program: Program, until: datetime) -> None:
    """The time rules up to ``until``."""
    group = program.group(state.group) or program.default_group
    account, profile, happened = run_until(
        program, program.bonus_program_of(group), state.account, state.profile, until
    )
    state.account, state.profile = account, profile
    state.automatic += [event for event, _ in happened]


def _overdrafts(
    event: RecordedEvent, moves: Iterable[Movement], receipt: str | None
) -> list[Overdraft]:
    return [
        Overdraft(event.id, event.device_id, receipt, m.points, event.at)
        for m in moves
        if m.kind is MovementKind.DEBT
    ]


def apply(state: CustomerReplay, event: RecordedEvent, program: Program) -> None:
    """One recorded event, after the time rules have run up to its moment."""
    advance(state, program, event.at)
    p = event.payload
    at = event.at
    if event.kind == "sale":
        receipt = p["receipt_id"]
        redeemed = _d(p.get("redeemed"))
        spends: list[Spend] = []
        if redeemed > ZERO:
            state.account, moves = debit(state.account, redeemed, at, allow_debt=True)
            spends = [
                Spend(m.lot, m.points, _lot_expiry(state.account, m.lot))
                for m in moves
                if m.kind is MovementKind.SPEND and m.lot
            ]
            state.overdrafts += _overdrafts(event, moves, p.get("number"))
        lot_info = p.get("accrual_lot")
        lot_id = None
        accrued = _d(p.get("accrued"))
        if lot_info and accrued > ZERO:
            lot_id = lot_info["id"]
            available = _t(lot_info["available_at"]) or at
            expires = _t(lot_info.get("expires_at"))
            lot = Lot(
                lot_id, LotKind.ACCRUAL, accrued, accrued, at, available, expires, receipt=receipt
            )
            state.account, _ = credit(state.account, lot, at)
        after_discount = _d(p.get("total")) - _d(p.get("discount"))
        state.profile = replace(
            state.profile,
            last_purchase_at=at,
            winback_stage=0,
            sales_count=state.profile.sales_count + 1,
            sales_net_total=state.profile.sales_net_total + after_discount,
        )
        state.tier_basis += after_discount
        state.receipts[receipt] = (lot_id, spends)
    elif event.kind == "return":
        receipt = p["receipt_id"]
        lot_id, spends = state.receipts.get(receipt, (None, []))
        taken = _d(p.get("points_taken"))
        if taken > ZERO:
            state.account, _ = debit(
                state.account,
                taken,
                at,
                kind=MovementKind.TAKE_BACK,
                first_from=lot_id,
                allow_debt=True,
            )
        returned = _d(p.get("points_returned"))
        if returned > ZERO:
            given: dict[str, Decimal] = {}
            for lot in refund_lots(spends, returned, at, f"refund:{event.id}"):
                state.account, _ = credit(state.account, replace(lot, receipt=receipt), at)
                if lot.origin_lot:
                    given[lot.origin_lot] = given.get(lot.origin_lot, ZERO) + lot.points
            state.receipts[receipt] = (
                lot_id,
                [replace(s, given_back=s.given_back + given.get(s.lot, ZERO)) for s in spends],
            )
        decrease = _d(p.get("basis_decrease"))
        state.tier_basis -= decrease
        state.profile = replace(
            state.profile, sales_net_total=state.profile.sales_net_total - decrease
        )
    elif event.kind == "adjustment":
        points = _d(p.get("points"))
        if points > ZERO:
            group = program.group(state.group) or program.default_group
            bonus = program.bonus_program_of(group)
            expiry = bonus.expiry_days if bonus else None
            lot = Lot(
                f"manual:{event.id}",
                LotKind.MANUAL,
                points,
                points,
                at,
                at,
                add_days(at, expiry, program.tz) if expiry is not None else None,
            )
            state.account, _ = credit(state.account, lot, at)
        elif points < ZERO:
            state.account, moves = debit(state.account, -points, at, allow_debt=True)
            state.overdrafts += _overdrafts(event, moves, None)
    # Other kinds (shifts, edits to come) do not move points.
    advance(state, program, at)  # e.g. points given back already expired: at once


def _lot_expiry(account: Account, lot_id: str | None) -> datetime | None:
    lot = account.lot(lot_id) if lot_id else None
    return lot.expires_at if lot else None


def replay_customer(
    events: Iterable[RecordedEvent], program_at: ProgramAt, until: datetime | None = None
) -> CustomerReplay:
    """All of one customer's events, registration first, in the deterministic order."""
    ordered = sorted(events, key=lambda e: (e.kind != "customer_registered", e.order))
    if not ordered or ordered[0].kind != "customer_registered":
        raise ValueError("a customer's events start with their registration")
    first = ordered[0]
    state = start(first, program_at(first.program_version))
    for event in ordered[1:]:
        apply(state, event, program_at(event.program_version))
    if until is not None:
        advance(state, program_at(None), until)
    return state


def resume(
    events: Iterable[RecordedEvent], state: CustomerReplay, program_at: ProgramAt
) -> CustomerReplay:
    """Apply events that all come after those already in ``state`` (the common case: a
    till's new sales), instead of replaying the whole history again."""
    for event in sorted(events, key=lambda e: e.order):
        apply(state, event, program_at(event.program_version))
    return state


def last_order(events: Iterable[RecordedEvent]) -> tuple[datetime, str, int] | None:
    keys = [e.order for e in events]
    return max(keys) if keys else None


def state_to_dict(state: CustomerReplay, last: tuple[datetime, str, int] | None) -> dict[str, Any]:
    """The replay's state as plain JSON values, to resume from later."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    p = state.profile
    return {
        "customer": state.customer,
        "group": state.group,
        "debt": str(state.account.debt),
        "tier_basis": str(state.tier_basis),
        "last": [last[0].isoformat(), last[1], last[2]] if last else None,
        "profile": {
            "registered_at": when(p.registered_at),
            "birthday": p.birthday.isoformat() if p.birthday else None,
            "last_purchase_at": when(p.last_purchase_at),
            "winback_stage": p.winback_stage,
            "birthday_year_done": p.birthday_year_done,
            "sales_count": p.sales_count,
            "sales_net_total": str(p.sales_net_total),
        },
        "lots": [
            {
                "id": lot.id,
                "kind": lot.kind.value,
                "points": str(lot.points),
                "remaining": str(lot.remaining),
                "credited_at": when(lot.credited_at),
                "available_at": when(lot.available_at),
                "expires_at": when(lot.expires_at),
                "receipt": lot.receipt,
                "origin_lot": lot.origin_lot,
                "settled": lot.settled,
                "warned": lot.warned,
            }
            for lot in state.account.lots
            if lot.remaining > ZERO
        ],
        "receipts": {
            rid: [
                lot_id,
                [
                    [sp.lot, str(sp.points), when(sp.expires_at), str(sp.given_back)]
                    for sp in spends
                ],
            ]
            for rid, (lot_id, spends) in state.receipts.items()
        },
    }


def state_from_dict(
    d: Mapping[str, Any],
) -> tuple[CustomerReplay, tuple[datetime, str, int] | None]:
    p = d["profile"]
    profile = Profile(
        customer=d["customer"],
        registered_at=datetime.fromisoformat(p["registered_at"]),
        birthday=date.fromisoformat(p["birthday"]) if p["birthday"] else None,
        last_purchase_at=_t(p["last_purchase_at"]),
        winback_stage=p["winback_stage"],
        birthday_year_done=p["birthday_year_done"],
        sales_count=p["sales_count"],
        sales_net_total=Decimal(p["sales_net_total"]),
    )
    lots = tuple(
        Lot(
            x["id"],
            LotKind(x["kind"]),
            Decimal(x["points"]),
            Decimal(x["remaining"]),
            datetime.fromisoformat(x["credited_at"]),
            datetime.fromisoformat(x["available_at"]),
            _t(x["expires_at"]),
            x["receipt"],
            x["origin_lot"],
            x["settled"],
            x["warned"],
        )
        for x in d["lots"]
    )
    receipts = {
        rid: (lot_id, [Spend(a, Decimal(b), _t(c), Decimal(g)) for a, b, c, g in spends])
        for rid, (lot_id, spends) in d["receipts"].items()
    }
    state = CustomerReplay(
        customer=d["customer"],
        group=d["group"],
        account=Account(lots, Decimal(d["debt"])),
        profile=profile,
        tier_basis=Decimal(d["tier_basis"]),
        receipts=receipts,
    )
    last = d.get("last")
    return state, ((datetime.fromisoformat(last[0]), last[1], int(last[2])) if last else None)
