"""The HTTP API (FastAPI): enrolment, push, pull, clock, and the admin operations.
Every request body is validated; bad input is answered 4xx with a message, never 500."""

import contextlib
import hmac
import json
import logging
import os
import queue
import threading
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cashier_app.engine.protocol import (
    MAX_PAGE,
    ClockAnswer,
    CodeAnswer,
    CodeRequest,
    CountAnswer,
    Enrolment,
    EnrolRequest,
    PrefixAnswer,
    Problem,
    Products,
    ProgramAnswer,
    PullAnswer,
    PushAnswer,
    PushRequest,
    QuarantineDecision,
    QuarantineState,
    User,
    json_problem,
)
from central_server.store import Device, ServerError, ServerStore

REPLAY_EVERY = 0.25  # seconds between looks for settled customers
MIN_ADMIN_TOKEN = 16  # characters; an empty or short token would open the admin API


def check_admin_token(token: str | None) -> str:
    """The administrator token the server starts with, or ValueError saying what is wrong:
    a missing, empty, blank or short token (under ``MIN_ADMIN_TOKEN`` characters) is
    refused, since an empty token would equal an empty Authorization header."""
    if token is None or not token.strip():
        raise ValueError(
            "CENTRAL_SERVER_ADMIN_TOKEN is empty: set it to a random string of at least "
            f"{MIN_ADMIN_TOKEN} characters"
        )
    if token != token.strip() or len(token) < MIN_ADMIN_TOKEN:
        raise ValueError(
            f"CENTRAL_SERVER_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} characters "
            "with no spaces around it"
        )
    return token


# Request bodies are limited before anything parses them (``BodyLimit``), per route:
# a push carries at most MAX_BATCH events (a till sends 2,000 at a time, a few KiB each),
# the catalogue up to 10000 products; a program document is a few KiB; everything else
# (enrolment, users, quarantine decisions) is a few hundred bytes.
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
            await _problem(send, refusal.status, refusal.code, refusal.message)
            return
        limit = body_limit(scope["path"])
        too_large = f"the request body is over {limit} bytes for this route"
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _problem(send, 413, "body_too_large", too_large)
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
                await _problem(send, 413, "body_too_large", too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replay() -> Message:
            return whole.pop() if whole else await receive()

        await self.app(scope, replay, send)


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log a failure by its exception types and the code's lines it went through, but not
    its message: a database error's message carries the values it was about (phones,
    names; PostgreSQL's DETAIL repeats a duplicate key), which stay out of the logs."""
    kinds, cause = [], exc
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
                await _problem(
                    send,
                    500,
                    "server_error",
                    f"the server failed; request id {request_id} (the till retries)",
                    ((b"x-request-id", request_id.encode()),),
                )


async def _problem(
    send: Send, status: int, code: str, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
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


class GroupCommit:
    """Pushes from many tills go through one writer thread per server process, which
    takes every push waiting at that moment into one transaction (``push_many``): one
    commit and one round of statements for a group instead of for each till. Under light
    load a group is a single push, so nothing waits for company."""

    MOST = 100  # pushes in one transaction

    def __init__(self, store: ServerStore) -> None:
        self.store = store
        self._queue: queue.Queue[_Waiting] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="push-writer", daemon=True)
        self._thread.start()

    def push(self, device: Device, events: list[dict[str, Any]]) -> tuple[list[Any], int]:
        waiting = _Waiting(device, events)
        self._queue.put(waiting)
        waiting.done.wait()
        if isinstance(waiting.outcome, BaseException):
            raise waiting.outcome
        assert waiting.outcome is not None
        return waiting.outcome

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            later: list[_Waiting] = []
            devices = {group[0].device.id}
            while len(group) < self.MOST:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                # one push per device in a group: a till's retry waits for its first try
                (later if item.device.id in devices else group).append(item)
                devices.add(item.device.id)
            for item in later:
                self._queue.put(item)
            try:
                outcomes = self.store.push_many([(w.device, w.events) for w in group])
            except Exception:
                # One push's fault (say an event id reused across tills) must not fail the
                # others: each goes alone, and only the faulty one gets the error.
                outcomes = []
                for w in group:
                    try:
                        outcomes += self.store.push_many([(w.device, w.events)])
                    except Exception as exc:  # answered 500; the till retries
                        outcomes.append(exc)  # type: ignore[arg-type]
            for w, outcome in zip(group, outcomes, strict=True):
                w.outcome = outcome
                w.done.set()


class _Waiting:
    def __init__(self, device: Device, events: list[dict[str, Any]]) -> None:
        self.device, self.events = device, events
        self.done = threading.Event()
        self.outcome: tuple[list[Any], int] | BaseException | None = None


def replay_until(store: ServerStore, stop: threading.Event, nice: int = 0) -> None:
    """The background replayer's loop: a customer once their events settle (see
    ``ServerStore.catch_up``), so balances are current within a few seconds when pushes
    are calm and within ``MOST_LAG`` during a rush; a pull replays what is left first.
    Every round also carries out one batch of automatic events fallen due by the store's
    clock (``ServerStore.run_automations``), for customers nobody serves.

    ``nice``: run this thread at a lower scheduling priority (Linux), so that when the
    cores are busy, answering pushes comes first and the replay takes the rest."""
    if nice and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    while not stop.wait(REPLAY_EVERY):
        try:
            store.catch_up(settled=True)
        except Exception as exc:  # logged and retried: the events are safe in their table
            log_failure(logging.getLogger(__name__), "replay failed; will retry", exc)
        try:  # birthdays, expiry... of customers with no new events (docs/automations.md)
            store.run_automations()
        except Exception as exc:
            log_failure(logging.getLogger(__name__), "automatic events failed; will retry", exc)


def _replayer(store: ServerStore, replay: bool):  # type: ignore[no-untyped-def]
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        stop = threading.Event()
        worker = threading.Thread(target=replay_until, args=(store, stop), name="replayer")
        if replay:
            worker.start()
        yield
        stop.set()
        if replay:
            worker.join(5)

    return lifespan


def create_app(store: ServerStore, admin_token: str, replay: bool = True) -> FastAPI:
    """``replay``: run the background replayer in this process. ``central-server serve
    --workers N`` runs it in its own process instead, so the replay's CPU does not hold
    the web workers' interpreter lock while they answer pushes."""
    admin_token = check_admin_token(admin_token)
    app = FastAPI(
        title="Loyalty central server",
        version="1",
        description="Sync for the loyalty cashier workstations.",
        lifespan=_replayer(store, replay),
    )

    @app.exception_handler(ServerError)
    async def _refused(_request: Request, exc: ServerError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status, content={"code": exc.code, "message": exc.message}
        )

    def device(authorization: Annotated[str | None, Header()] = None) -> Device:
        token = authorization.removeprefix("Bearer ").strip() if authorization else None
        return store.device_for(token)

    def pushing_device(authorization: Annotated[str | None, Header()] = None) -> Device:
        # A push checks revocation again under the device's row lock, so the token's
        # device may come from the store's cache.
        token = authorization.removeprefix("Bearer ").strip() if authorization else None
        return store.device_for(token, cached=True)

    writer = GroupCommit(store)

    def bearer(authorization: str | None) -> str:
        return authorization.removeprefix("Bearer ").strip() if authorization else ""

    async def authorise(path: str, authorization: str | None) -> ServerError | None:
        # What the routes' dependencies check again, here before any body is read.
        try:
            if path.startswith("/v1/admin/"):
                admin(authorization)
            elif path == "/v1/events":
                await anyio.to_thread.run_sync(store.device_for, bearer(authorization), True)
        except ServerError as exc:
            return exc
        return None

    app.add_middleware(BodyLimit, authorise=authorise)
    app.add_middleware(Failures)  # outermost of the two: it sees BodyLimit's failures too

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        token = authorization.removeprefix("Bearer ").strip() if authorization else ""
        # never an empty token, whatever it is compared with; constant time otherwise
        if not token or not hmac.compare_digest(token.encode(), admin_token.encode()):
            raise ServerError(401, "not_admin", "an administrator token is required")

    refusals: dict[int | str, dict[str, Any]] = {
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        409: {"model": Problem},
        422: {"description": "invalid input"},
    }

    @app.post("/v1/enrol", response_model=Enrolment, responses=refusals)
    def enrol(body: EnrolRequest) -> Enrolment:
        dev, token = store.enrol(body.code, body.device_name)
        return Enrolment(device_id=dev.id, token=token, card_prefix=dev.card_prefix)

    @app.post("/v1/events", response_model=PushAnswer, responses=refusals)
    def push(body: PushRequest, dev: Annotated[Device, Depends(pushing_device)]) -> PushAnswer:
        results, last = writer.push(dev, [e.model_dump() for e in body.events])
        return PushAnswer(results=results, last_seq=last)

    @app.get("/v1/changes", response_model=PullAnswer, responses=refusals)
    def pull(
        dev: Annotated[Device, Depends(device)],
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
    ) -> Response:
        # Stored payloads go out verbatim (see ServerStore.pull_json); the shape is PullAnswer.
        store.catch_up()  # a till pulls the replayed state of everything pushed before
        page = store.pull_json(after, limit, dev.store)
        return Response(content=page, media_type="application/json")

    @app.get(
        "/v1/snapshot",
        responses={
            **refusals,
            200: {
                "description": "gzip-compressed JSON lines: the cursor, then the program, "
                "products, users and customers with their account snapshots",
                "content": {"application/gzip": {}},
            },
        },
    )
    def snapshot(dev: Annotated[Device, Depends(device)]) -> StreamingResponse:
        return StreamingResponse(store.snapshot(dev.store), media_type="application/gzip")

    @app.get("/v1/clock", response_model=ClockAnswer, responses=refusals)
    def clock(
        dev: Annotated[Device, Depends(device)],
        client_time: Annotated[datetime, Query()],
    ) -> ClockAnswer:
        now = store.clock()
        client = client_time if client_time.tzinfo else client_time.replace(tzinfo=UTC)
        return ClockAnswer(server_time=now, skew_seconds=round((client - now).total_seconds(), 3))

    @app.post(
        "/v1/admin/enrol-codes",
        response_model=CodeAnswer,
        responses=refusals,
        dependencies=[Depends(admin)],
    )
    def enrol_code(body: CodeRequest | None = None) -> CodeAnswer:
        return CodeAnswer(code=store.issue_code(body.store if body else "main"))

    @app.post(
        "/v1/admin/devices/{device_id}/revoke",
        status_code=204,
        responses=refusals,
        dependencies=[Depends(admin)],
    )
    def revoke(device_id: str) -> None:
        store.revoke(device_id)

    @app.post(
        "/v1/admin/devices/{device_id}/release-prefix",
        response_model=PrefixAnswer,
        responses=refusals,
        dependencies=[Depends(admin)],
    )
    def release_prefix(device_id: str) -> PrefixAnswer:
        return PrefixAnswer(card_prefix=store.release_prefix(device_id))

    @app.put(
        "/v1/admin/program",
        response_model=ProgramAnswer,
        responses=refusals,
        dependencies=[Depends(admin)],
    )
    def program(document: dict[str, Any]) -> ProgramAnswer:
        if problem := json_problem(document, "document"):
            raise ServerError(422, "invalid_program", problem)
        return ProgramAnswer(version=store.publish_program(document).version)

    @app.put(
        "/v1/admin/products",
        response_model=CountAnswer,
        responses=refusals,
        dependencies=[Depends(admin)],
    )
    def products(body: Products) -> CountAnswer:
        return CountAnswer(count=store.put_products([p.model_dump() for p in body.products]))

    @app.put("/v1/admin/users", status_code=204, responses=refusals, dependencies=[Depends(admin)])
    def user(body: User) -> None:
        store.put_user(body.name, body.role, body.pin, body.active, body.store)

    @app.get("/v1/admin/reconciliation", responses=refusals, dependencies=[Depends(admin)])
    def reconciliation() -> list[dict[str, Any]]:
        return store.reconciliation()

    @app.get("/v1/admin/quarantine", responses=refusals, dependencies=[Depends(admin)])
    def quarantine(
        state: Annotated[Literal[QuarantineState, "all"], Query()] = "held",
    ) -> list[dict[str, Any]]:
        return store.quarantined(None if state == "all" else state)

    @app.post(
        "/v1/admin/quarantine/{event_id}/{decision}",
        status_code=204,
        responses=refusals,
        dependencies=[Depends(admin)],
    )
    def decide(event_id: str, decision: QuarantineDecision) -> None:
        store.decide(event_id, release=decision == "release")

    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory`` with several worker processes: each process opens
    its own connection pool from ``CENTRAL_SERVER_DB``; PostgreSQL carries the state."""
    from central_server.db import make_engine

    admin_token = check_admin_token(os.environ.get("CENTRAL_SERVER_ADMIN_TOKEN"))
    return create_app(
        ServerStore(make_engine(os.environ["CENTRAL_SERVER_DB"])),
        admin_token,
        replay=os.environ.get("CENTRAL_SERVER_REPLAY_IN_WORKERS", "1") == "1",
    )
