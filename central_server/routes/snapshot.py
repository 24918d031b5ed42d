"""A new till's first pull, page by page (engine/protocol.py SNAPSHOT_*)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cashier_app.engine.protocol import SNAPSHOT_ID_MAX, SNAPSHOT_PAGE, SNAPSHOT_PAGE_MAX
from central_server.access import Ledger, ThisDevice
from central_server.routes.refusals import REFUSALS

router = APIRouter()


@router.get(
    "/v1/snapshot",
    responses={
        **REFUSALS,
        200: {
            "description": "a page of gzip-compressed JSON lines: the header (the feed cursor "
            "the page is consistent with, how many customers, the last one's id, whether more "
            "follow), on the first page the program, products and users, then the customers "
            "after `after` in id order with their account snapshots",
            "content": {"application/gzip": {}},
        },
    },
)
def snapshot(
    dev: ThisDevice,
    ledger: Ledger,
    after: Annotated[str, Query(max_length=SNAPSHOT_ID_MAX)] = "",
    limit: Annotated[int, Query(ge=1, le=SNAPSHOT_PAGE_MAX)] = SNAPSHOT_PAGE,
) -> Response:
    page = ledger.snapshot_page(after, limit, dev.store)
    return Response(content=page, media_type="application/gzip")
