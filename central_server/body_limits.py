"""Request bodies are limited before anything parses them, per route, and a request to
an authenticated route without a valid token is refused before its body is read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_server.ledger import ServerError
from central_server.problems import send_problem

# A push carries at most MAX_BATCH events (engine/protocol.py; a till sends 2,000 at a
# time, a few KiB each), the catalogue up to MAX_PRODUCTS; a program document is a few
# KiB; everything else (enrolment, users, quarantine decisions) is a few hundred bytes.
PUSH_BODY_LIMIT = 8 * 1024 * 1024  # /v1/events: 8 MiB
CATALOGUE_BODY_LIMIT = 8 * 1024 * 1024  # /v1/admin/products: 8 MiB
PROGRAM_BODY_LIMIT = 1024 * 1024  # /v1/admin/program: 1 MiB
SMALL_BODY_LIMIT = 64 * 1024  # every other route: 64 KiB


def body_limit(path: str) -> int:
    return {
        "/v1/events": PUSH_BODY_LIMIT,
        "/v1/admin/products": CATALOGUE_BODY_LIMIT,
        "/v1/admin/program": PROGRAM_BODY_LIMIT,
    }.get(path, SMALL_BODY_LIMIT)


# (path, Authorization header) -> the refusal, or None to go on
Authorise = Callable[[str, str | None], Awaitable[ServerError | None]]


class BodyLimit:
    """ASGI middleware: a request to an authenticated route without a valid token is
    refused before its body is read, and a body over the route's limit (``body_limit``)
    is refused with 413 (by its Content-Length, or by counting what arrives) before
    FastAPI reads it: the body reaches the app only once it is whole and within limit."""

    def __init__(self, app: ASGIApp, authorise: Authorise) -> None:
        self.app, self.authorise = app, authorise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        auth = headers.get(b"authorization")
        refusal = await self.authorise(scope["path"], auth.decode("latin-1") if auth else None)
        if refusal is not None:
            await send_problem(send, refusal.status, refusal.code, refusal.message)
            return
        limit = body_limit(scope["path"])
        too_large = f"the request body is over {limit} bytes for this route"
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await send_problem(send, 413, "body_too_large", too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await send_problem(send, 413, "body_too_large", too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replay() -> Message:
            return whole.pop() if whole else await receive()

        await self.app(scope, replay, send)
