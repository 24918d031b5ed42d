"""A till's enrolment, and its look at the server's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from cashier_app.engine.protocol import ClockAnswer, Enrolment, EnrolRequest
from central_server.access import Ledger, ThisDevice
from central_server.routes.refusals import REFUSALS

router = APIRouter()


@router.post("/v1/enrol", response_model=Enrolment, responses=REFUSALS)
def enrol(body: EnrolRequest, ledger: Ledger) -> Enrolment:
    dev, token = ledger.enrol(body.code, body.device_name)
    return Enrolment(device_id=dev.id, token=token, card_prefix=dev.card_prefix)


@router.get("/v1/clock", response_model=ClockAnswer, responses=REFUSALS)
def clock(
    dev: ThisDevice,
    client_time: Annotated[datetime, Query()],
    ledger: Ledger,
) -> ClockAnswer:
    now = ledger.clock()
    client = client_time if client_time.tzinfo else client_time.replace(tzinfo=UTC)
    return ClockAnswer(server_time=now, skew_seconds=round((client - now).total_seconds(), 3))
