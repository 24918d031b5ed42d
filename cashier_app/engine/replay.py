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

from cashier_app.engine import postings
from cashier_app.engine.automation import AutoEvent, Profile, run_until
from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import Account, Lot, LotKind
from cashier_app.engine.money import ZERO
from cashier_app.engine.postings import Posted, Standing, standing_from_json, standing_to_json
from cashier_app.engine.program import Program
from cashier_app.engine.returns import Spend, points_of_return_event


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
    receipt_number: str | None
    points: Decimal  # the part that went into debt
    at: datetime


@dataclass
class CustomerReplay:
    """A customer's state, built up event by event."""

    customer: str
    group: str
    standing: Standing
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
    profile = Profile(customer=p["customer_id"], registered_at=event.at, birthday=birthday)
    state = CustomerReplay(
        customer=p["customer_id"], group=group.id, standing=Standing(Account(), profile)
    )
    # A customer brought over from the shop's old system is not new to the shop: no
    # welcome bonus (service/customer_import_write.py); their balance came as an adjustment.
    bonus = None if p.get("imported") is True else program.bonus_program_of(group)
    state.standing = postings.registration(
        state.standing, bonus, event.id, event.at, program.tz
    ).standing
    return state


def advance(state: CustomerReplay, program: Program, until: datetime) -> None:
    """The time rules up to ``until``."""
    group = program.group(state.group) or program.default_group
    s = state.standing
    account, profile, happened = run_until(
        program, program.bonus_program_of(group), s.account, s.profile, until
    )
    state.standing = replace(s, account=account, profile=profile)
    state.automatic += [event for event, _ in happened]


def _overdrafts(event: RecordedEvent, posted: Posted, receipt: str | None) -> list[Overdraft]:
    return [
        Overdraft(event.id, event.device_id, receipt, m.points, event.at) for m in posted.overdrawn
    ]


def apply(state: CustomerReplay, event: RecordedEvent, program: Program) -> None:
    """One recorded event, after the time rules have run up to its moment: the movements
    it recorded (what the customer was told), posted by the same rules a live till uses."""
    advance(state, program, event.at)
    p = event.payload
    at = event.at
    if event.kind == EventKind.SALE:
        receipt = p["receipt_id"]
        accrued = _d(p.get("accrued"))
        lot_info = p.get("accrual_lot")
        accrual = None
        if lot_info and accrued > ZERO:
            available = _t(lot_info["available_at"]) or at
            expires = _t(lot_info.get("expires_at"))
            accrual = Lot(
                lot_info["id"], LotKind.ACCRUAL, accrued, accrued, at, available, expires, receipt
            )
        posted = postings.sale(
            state.standing,
            redeemed=_d(p.get("redeemed")),
            accrual_lot=accrual,
            after_discount=_d(p.get("total")) - _d(p.get("discount")),
            at=at,
            allow_debt=True,
        )
        state.standing = posted.standing
        state.overdrafts += _overdrafts(event, posted, p.get("number"))
        state.receipts[receipt] = (accrual.id if accrual else None, posted.spent)
    elif event.kind == EventKind.RETURN:
        receipt = p["receipt_id"]
        lot_id, spends = state.receipts.get(receipt, (None, []))
        taken_back, given_back = points_of_return_event(p)
        posted = postings.return_of(
            state.standing,
            receipt_id=receipt,
            accrual_lot_id=lot_id,
            points_taken_back=taken_back,
            points_given_back=given_back,
            spends=spends,
            basis_decrease=_d(p.get("basis_decrease")),
            refund_id=event.id,
            at=at,
        )
        state.standing = posted.standing
        given: dict[str, Decimal] = {}
        for lot in posted.credited:
            if lot.origin_lot:
                given[lot.origin_lot] = given.get(lot.origin_lot, ZERO) + lot.points
        if given:
            state.receipts[receipt] = (
                lot_id,
                [replace(s, given_back=s.given_back + given.get(s.lot, ZERO)) for s in spends],
            )
    elif event.kind == EventKind.ADJUSTMENT:
        group = program.group(state.group) or program.default_group
        posted = postings.adjustment(
            state.standing,
            program.bonus_program_of(group),
            event_id=event.id,
            points=_d(p.get("points")),
            at=at,
            tz=program.tz,
            allow_debt=True,
        )
        state.standing = posted.standing
        state.overdrafts += _overdrafts(event, posted, None)
    elif event.kind == EventKind.CUSTOMER_GROUP_CHANGED:
        # From this moment the new group's rules; the time rules up to it ran above with
        # the old one. Points and purchases stay as they are.
        state.group = str(p["group"])
    elif event.kind == EventKind.CUSTOMER_ANONYMISED:
        # No sum changes; without a birthday on file no later birthday bonus falls due
        # (the till erased it: engine/anonymise.py).
        s = state.standing
        state.standing = replace(s, profile=replace(s.profile, birthday=None))
    # Other kinds (shifts) do not move points.
    advance(state, program, at)  # e.g. points given back already expired: at once


def replay_customer(
    events: Iterable[RecordedEvent], program_at: ProgramAt, until: datetime | None = None
) -> CustomerReplay:
    """All of one customer's events, registration first, in the deterministic order."""
    ordered = sorted(events, key=lambda e: (e.kind != EventKind.CUSTOMER_REGISTERED, e.order))
    if not ordered or ordered[0].kind != EventKind.CUSTOMER_REGISTERED:
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
    """The replay's state as plain JSON values, to resume from later: its standing in the
    engine's one form (``postings.standing_to_json``) and what only a replay keeps."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "customer": state.customer,
        "group": state.group,
        **standing_to_json(state.standing),
        "last": [last[0].isoformat(), last[1], last[2]] if last else None,
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
    receipts = {
        rid: (lot_id, [Spend(a, Decimal(b), _t(c), Decimal(g)) for a, b, c, g in spends])
        for rid, (lot_id, spends) in d["receipts"].items()
    }
    state = CustomerReplay(
        customer=d["customer"],
        group=d["group"],
        standing=standing_from_json(d, d["customer"]),
        receipts=receipts,
    )
    last = d.get("last")
    return state, ((datetime.fromisoformat(last[0]), last[1], int(last[2])) if last else None)
