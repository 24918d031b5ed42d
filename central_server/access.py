"""Who is calling: a till, by its device token, or the administrator, by the token the
server started with. Both come as ``Authorization: Bearer <token>``, read by ``bearer``;
the routes take them as FastAPI dependencies, and ``early_check`` checks the same before
a request's body is read (``BodyLimit``)."""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Header, Request

from central_server.background import GroupCommit
from central_server.body_limits import Authorise
from central_server.ledger import CentralLedger, Device, ServerError


def bearer(authorization: str | None) -> str:
    return authorization.removeprefix("Bearer ").strip() if authorization else ""


def check_admin(authorization: str | None, admin_token: str) -> None:
    token = bearer(authorization)
    # never an empty token, whatever it is compared with; constant time otherwise
    if not token or not hmac.compare_digest(token.encode(), admin_token.encode()):
        raise ServerError(401, "not_admin", "an administrator token is required")


def early_check(ledger: CentralLedger, admin_token: str) -> Authorise:
    async def authorise(path: str, authorization: str | None) -> ServerError | None:
        # What the routes' dependencies check again, here before any body is read.
        try:
            if path.startswith("/v1/admin/"):
                check_admin(authorization, admin_token)
            elif path == "/v1/events":
                await anyio.to_thread.run_sync(ledger.device_for, bearer(authorization), True)
        except ServerError as exc:
            return exc
        return None

    return authorise


async def central_ledger(request: Request) -> CentralLedger:
    ledger: CentralLedger = request.app.state.ledger
    return ledger


async def push_writer(request: Request) -> GroupCommit:
    writer: GroupCommit = request.app.state.writer
    return writer


def device(request: Request, authorization: Annotated[str | None, Header()] = None) -> Device:
    ledger: CentralLedger = request.app.state.ledger
    return ledger.device_for(bearer(authorization))


def pushing_device(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Device:
    # A push checks revocation again under the device's row lock, so the token's device
    # may come from the ledger's cache.
    ledger: CentralLedger = request.app.state.ledger
    return ledger.device_for(bearer(authorization), cached=True)


def admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    check_admin(authorization, request.app.state.admin_token)


Ledger = Annotated[CentralLedger, Depends(central_ledger)]
Writer = Annotated[GroupCommit, Depends(push_writer)]
ThisDevice = Annotated[Device, Depends(device)]
PushingDevice = Annotated[Device, Depends(pushing_device)]
AdminOnly = [Depends(admin)]
