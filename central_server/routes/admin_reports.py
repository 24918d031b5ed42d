"""The administrator's reports: the reconciliation, and the quarantined events with the
decision on each."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from cashier_app.engine.protocol import QuarantineDecision, QuarantineState
from central_server.access import AdminOnly, Ledger
from central_server.routes.refusals import REFUSALS

router = APIRouter(dependencies=AdminOnly)


@router.get("/v1/admin/reconciliation", responses=REFUSALS)
def reconciliation(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.reconciliation()


@router.get("/v1/admin/quarantine", responses=REFUSALS)
def quarantine(
    ledger: Ledger,
    state: Annotated[Literal[QuarantineState, "all"], Query()] = "held",
) -> list[dict[str, Any]]:
    return ledger.quarantined(None if state == "all" else state)


@router.post("/v1/admin/quarantine/{event_id}/{decision}", status_code=204, responses=REFUSALS)
def decide(event_id: str, decision: QuarantineDecision, ledger: Ledger) -> None:
    ledger.decide(event_id, release=decision == "release")
