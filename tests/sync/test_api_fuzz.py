"""schemathesis against the server's own OpenAPI description: whatever it sends, the
server answers 4xx with a message or succeeds, never 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from central_server.app import create_app
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger
from tests.shop import samosale_program

_engine = make_engine(str(Path(tempfile.mkdtemp(prefix="fuzz-")) / "central.sqlite3"))
migrate(_engine)
_store = CentralLedger(_engine)
_store.publish_program(samosale_program())
_device, _token = _store.enrol(_store.issue_code(), "fuzz till")
app = create_app(_store, "fuzz-admin-token-0123456789")
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case):
    # Half the time as the enrolled till, so the checks behind authentication run too.
    token = _token if len(repr(case.body)) % 2 else "fuzz-admin-token-0123456789"
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )
