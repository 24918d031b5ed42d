"""A till's push of its recorded events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from cashier_app.engine.protocol import PushAnswer, PushRequest
from central_server.access import Writer, bearer
from central_server.ledger import CentralLedger
from central_server.routes.refusals import REFUSALS

router = APIRouter()


@router.post("/v1/events", response_model=PushAnswer, responses=REFUSALS)
async def push(
    body: PushRequest,
    request: Request,
    writer: Writer,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    # All of it on the event loop: no worker thread per push, which on a busy core cost
    # as much as the push in hand-offs. The device comes from the ledger's cache, which
    # the token check before the body (access.early_check) filled for this token; a push
    # checks revocation again under the device's row lock. The answer is serialised once
    # by its own model rather than validated again.
    ledger: CentralLedger = request.app.state.ledger
    dev = ledger.device_for(bearer(authorization), cached=True)
    results, last = await writer.push_async(dev, [e.model_dump() for e in body.events])
    answer = PushAnswer(results=results, last_seq=last)
    return Response(answer.model_dump_json(), media_type="application/json")
