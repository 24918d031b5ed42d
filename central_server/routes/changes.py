"""A till's pull of the change feed, page by page after its cursor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cashier_app.engine.protocol import MAX_PAGE, PullAnswer
from central_server.access import Ledger, ThisDevice
from central_server.routes.refusals import REFUSALS

router = APIRouter()


@router.get("/v1/changes", response_model=PullAnswer, responses=REFUSALS)
def pull(
    dev: ThisDevice,
    ledger: Ledger,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
) -> Response:
    # Stored payloads go out verbatim (see CentralLedger.pull_json); the shape is PullAnswer.
    ledger.catch_up()  # a till pulls the replayed state of everything pushed before
    page = ledger.pull_json(after, limit, dev.store)
    return Response(content=page, media_type="application/json")
