"""A new till's first pull, in one stream (engine/protocol.py SNAPSHOT_*)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from central_server.access import Ledger, ThisDevice
from central_server.routes.refusals import REFUSALS

router = APIRouter()


@router.get(
    "/v1/snapshot",
    responses={
        **REFUSALS,
        200: {
            "description": "gzip-compressed JSON lines: the cursor, then the program, "
            "products, users and customers with their account snapshots",
            "content": {"application/gzip": {}},
        },
    },
)
def snapshot(dev: ThisDevice, ledger: Ledger) -> StreamingResponse:
    return StreamingResponse(ledger.snapshot(dev.store), media_type="application/gzip")
