"""Manual balance adjustments by a manager, with a reason, in the audit log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from cashier_app.engine import postings
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.engine.money import ZERO, check_points_size, format_points, is_on_step
from cashier_app.service.customers import view_of_state
from cashier_app.service.ledger import Ledger, check_moment
from cashier_app.service.results import AdjustmentResult
from cashier_app.service.users import OPERATOR, Actor, Permission


def adjust_balance(
    ledger: Ledger,
    customer_id: str,
    points: Decimal,
    reason: str,
    *,
    at: datetime | None = None,
    actor: Actor = OPERATOR,
) -> AdjustmentResult:
    """A plus is a new lot with the program's expiry; a minus spends like a redemption and
    may not take the balance below zero (only returns and reconciliation may)."""
    actor.require(Permission.ADJUST_BALANCE)
    check_moment(at)
    check_points_size(points)
    reason = " ".join((reason or "").split())
    if not reason:
        raise LoyaltyError("reason_required", "say why the balance is being adjusted")
    if len(reason) > 500:
        raise LoyaltyError("reason_required", "the reason may have at most 500 characters")
    with ledger.write(at) as (conn, at):
        program = ledger.program(conn)
        if points == ZERO or not is_on_step(points, program.points_rounding):
            raise LoyaltyError(
                "invalid_points", "an adjustment is a non-zero number of whole points steps"
            )
        state = ledger.load_state(conn, program, customer_id)
        if state.bonus is None:
            raise LoyaltyError(
                "no_bonus_program", f"customers of group {state.group.name!r} do not collect points"
            )
        bonus = state.bonus
        state, autos = ledger.catch_up(conn, program, state, at)
        balance = state.standing.account.balance(at)
        if points < ZERO and -points > balance:
            rounding = program.points_rounding
            raise LoyaltyError(
                "insufficient_points",
                f"the customer has {format_points(balance, rounding)} points, "
                f"fewer than {format_points(-points, rounding)}",
            )
        event_id = ledger.append_event(
            conn,
            EventKind.ADJUSTMENT,
            at,
            {"customer_id": customer_id, "points": points, "reason": reason},
            customer_id=customer_id,
            actor=actor.name,
            program_version=program.version,
        )
        posted = postings.adjustment(
            state.standing, bonus, event_id=event_id, points=points, at=at, tz=program.tz
        )
        new_state, more = ledger.post(conn, program, state, posted, at, event_id=event_id)
        autos += more
        ledger.audit(
            conn, "adjust_balance", customer_id, actor.name, {"points": points, "reason": reason}
        )
        view = view_of_state(ledger, conn, program, new_state, at)
    return AdjustmentResult(event_id, points, view, tuple(autos))
