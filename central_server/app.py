"""The HTTP API (FastAPI): enrolment, push, pull, clock, and the admin operations, by
resource in ``central_server/routes/``; the wire shapes are engine/protocol.py's.
Every request body is validated; bad input is answered 4xx with a message, never 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from central_server.access import early_check
from central_server.background import GroupCommit, replayer
from central_server.body_limits import BodyLimit
from central_server.ledger import CentralLedger, ServerError
from central_server.problems import Failures, invalid, refused
from central_server.routes import ROUTERS
from central_server.settings import Settings, check_admin_token


def create_app(ledger: CentralLedger, admin_token: str, replay: bool = True) -> FastAPI:
    """``replay``: run the background replayer in this process. ``central-server serve
    --workers N`` runs it in its own process instead, so the replay's CPU does not hold
    the web workers' interpreter lock while they answer pushes."""
    admin_token = check_admin_token(admin_token)
    app = FastAPI(
        title="Loyalty central server",
        version="1",
        description="Sync for the loyalty cashier workstations.",
        lifespan=replayer(ledger, replay),
    )
    # What the routes' dependencies (central_server/access.py) take.
    app.state.ledger = ledger
    app.state.admin_token = admin_token
    app.state.writer = GroupCommit(ledger)
    app.add_exception_handler(ServerError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_middleware(BodyLimit, authorise=early_check(ledger, admin_token))
    app.add_middleware(Failures)  # outermost of the two: it sees BodyLimit's failures too
    for router in ROUTERS:
        # The routes themselves, not the router: FastAPI 0.165's include_router keeps a
        # router whole, and app.routes would list it instead of its routes, which the
        # documentation's check (tests/test_docs_examples.py) walks.
        app.router.routes.extend(router.routes)
    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory`` with several worker processes: each process opens
    its own connection pool from the settings ``serve`` passed on; PostgreSQL carries the
    state."""
    from central_server.db import make_engine

    settings = Settings.from_env()
    return create_app(
        CentralLedger(make_engine(settings.db)), settings.admin_token, replay=settings.replay
    )
