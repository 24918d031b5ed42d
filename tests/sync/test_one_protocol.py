"""The till and the server speak one protocol (cashier_app/engine/protocol.py): neither
side declares a wire shape of its own, and the server's routes read and write the
protocol's models."""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args, get_type_hints

from fastapi.routing import APIRoute
from pydantic import BaseModel

from cashier_app.engine import protocol
from cashier_app.sync import client
from central_server.app import create_app
from central_server.db import make_engine
from central_server.ledger import CentralLedger
from central_server.ledger.snapshot_lines import customer_line

ROOT = Path(__file__).resolve().parents[2]
SIDES = [ROOT / "central_server", ROOT / "cashier_app" / "sync"]
WIRE_SHAPES = {
    name
    for name, value in vars(protocol).items()
    if inspect.isclass(value) and issubclass(value, BaseModel)
}


def _base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _classes(hints: Iterable[Any]) -> list[Any]:
    """The classes in type hints, looking inside ``X | None`` and ``list[X]``."""
    found = []
    for hint in hints:
        found += [hint, *_classes(get_args(hint))]
    return found


def test_neither_side_declares_a_wire_shape_of_its_own() -> None:
    found = []
    for side in SIDES:
        for path in side.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ClassDef):
                    continue
                bases = {_base_name(b) for b in node.bases}
                if "BaseModel" in bases or bases & WIRE_SHAPES or node.name in WIRE_SHAPES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not found, f"wire shapes declared outside engine/protocol.py: {found}"


def test_the_client_reads_answers_with_the_protocol() -> None:
    for name in ("Enrolment", "PushAnswer", "PullAnswer", "ClockAnswer", "Change"):
        assert getattr(client, name) is getattr(protocol, name)


def test_every_route_reads_and_writes_the_protocol(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "central.sqlite3"))
    try:
        app = create_app(CentralLedger(engine), "protocol-test-admin-token", replay=False)
    finally:
        engine.dispose()
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert any(r.path == "/v1/events" for r in routes)
    strangers = []
    for route in routes:
        models = [route.response_model, *_classes(get_type_hints(route.endpoint).values())]
        models += [r.get("model") for r in route.responses.values()]
        for model in models:
            wire = inspect.isclass(model) and issubclass(model, BaseModel)
            if wire and model.__module__ != protocol.__name__:
                strangers.append(f"{route.path}: {model.__name__}")
    assert not strangers, f"routes with models not from the protocol: {strangers}"


def test_the_servers_snapshot_lines_follow_the_protocol() -> None:
    moment = "2026-11-02T09:00:00+00:00"
    lot = {"id": "lot-1", "kind": "welcome", "points": "100", "remaining": "100"}
    lot |= {"credited_at": moment, "available_at": moment}
    account = {"balance": "100", "pending": "0", "debt": "0", "tier_basis": "0"}
    account |= {"profile": {}, "as_of": moment, "lots": [lot]}
    line = customer_line("0" * 36, "+79161234567", "{}", json.dumps(account))
    fields = dict(zip(protocol.SNAPSHOT_CUSTOMER, line, strict=True))
    assert fields["kind"] == "customer"
    assert len(fields["account"]) == len(protocol.SNAPSHOT_ACCOUNT)
    assert [len(lot) for lot in fields["lots"]] == [len(protocol.SNAPSHOT_LOT)]
