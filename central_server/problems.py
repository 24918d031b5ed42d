"""Refusals and failures as the API answers them (engine/protocol.py ``Problem``), and
failures as the server logs them."""

from __future__ import annotations

import json
import logging
import traceback
import uuid

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_server.ledger import ServerError


async def refused(_request: Request, exc: Exception) -> JSONResponse:
    """The answer to a ``ServerError`` a route raised."""
    assert isinstance(exc, ServerError)
    return JSONResponse(status_code=exc.status, content={"code": exc.code, "message": exc.message})


async def invalid(_request: Request, exc: Exception) -> Response:
    """FastAPI's own 422 for a body of the wrong shape, written with every non-ASCII
    character escaped: the details echo what was sent, and a lone surrogate in it (which
    no UTF-8 holds) made the answer itself fail with a 500."""
    assert isinstance(exc, RequestValidationError)
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, default=str)
    return Response(body, status_code=422, media_type="application/json")


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log a failure by its exception types and the code's lines it went through, but not
    its message: a database error's message carries the values it was about (phones,
    names; PostgreSQL's DETAIL repeats a duplicate key), which stay out of the logs."""
    kinds: list[str] = []
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        kinds.append(f"{type(cause).__module__}.{type(cause).__qualname__}")
        cause = cause.__cause__ or cause.__context__
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s: %s\n%s", what, " <- ".join(kinds), frames)


class Failures:
    """ASGI middleware: an unexpected error is answered 500 with a request id, and logged
    with that id and its exception types only (``log_failure``), never with the request's
    body or the error's message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            request_id = uuid.uuid4().hex[:16]
            log_failure(
                logging.getLogger(__name__),
                f"request {request_id} ({scope.get('method')} {scope['path']}) failed",
                exc,
            )
            if not started:
                await send_problem(
                    send,
                    500,
                    "server_error",
                    f"the server failed; request id {request_id} (the till retries)",
                    ((b"x-request-id", request_id.encode()),),
                )


async def send_problem(
    send: Send, status: int, code: str, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """A refusal sent by a middleware, before the app has seen the request."""
    body = json.dumps({"code": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
