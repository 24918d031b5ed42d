"""The administrator's tills: enrolment codes, revocation, and freeing a card prefix."""

from __future__ import annotations

from fastapi import APIRouter

from cashier_app.engine.protocol import DEFAULT_STORE, CodeAnswer, CodeRequest, PrefixAnswer
from central_server.access import AdminOnly, Ledger
from central_server.routes.refusals import REFUSALS

router = APIRouter(dependencies=AdminOnly)


@router.post("/v1/admin/enrol-codes", response_model=CodeAnswer, responses=REFUSALS)
def enrol_code(ledger: Ledger, body: CodeRequest | None = None) -> CodeAnswer:
    return CodeAnswer(code=ledger.issue_code(body.store if body else DEFAULT_STORE))


@router.post("/v1/admin/devices/{device_id}/revoke", status_code=204, responses=REFUSALS)
def revoke(device_id: str, ledger: Ledger) -> None:
    ledger.revoke(device_id)


@router.post(
    "/v1/admin/devices/{device_id}/release-prefix",
    response_model=PrefixAnswer,
    responses=REFUSALS,
)
def release_prefix(device_id: str, ledger: Ledger) -> PrefixAnswer:
    return PrefixAnswer(card_prefix=ledger.release_prefix(device_id))
