"""The documents a person who clones the project reads stay true to the code:
docs/program.md's examples are valid programs and it names every key and allowed value
the program reader takes; docs/sync.md names every route of the central server's API."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from cashier_app.engine.program import Program, load_program_text, parse_program

DOCS = Path(__file__).resolve().parents[1] / "docs"
PROGRAM_MD = DOCS / "program.md"
SYNC_MD = DOCS / "sync.md"


def _json_blocks(text: str) -> list[str]:
    return re.findall(r"^```json\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def _models_and_literals(annotation: Any) -> tuple[list[type[BaseModel]], list[str]]:
    """The document models and the literal strings an annotation admits, looking through
    Optional, unions, tuples and Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation], []
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return [], [a for a in typing.get_args(annotation) if isinstance(a, str)]
    models: list[type[BaseModel]] = []
    literals: list[str] = []
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            m, lit = _models_and_literals(arg)
            models += m
            literals += lit
    return models, literals


def _accepted() -> tuple[set[str], set[str]]:
    """Every key (at any depth) and every literal value the program document's models take."""
    keys: set[str] = set()
    literals: set[str] = set()
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [Program]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            keys.add(field.alias or name)
            models, lits = _models_and_literals(field.annotation)
            todo += models
            literals.update(lits)
    return keys, literals


def test_the_full_example_is_a_valid_program() -> None:
    blocks = _json_blocks(PROGRAM_MD.read_text(encoding="utf-8"))
    assert blocks, "docs/program.md has no ```json block"
    program = parse_program(load_program_text(blocks[0]))
    assert program.groups and program.bonus_programs and program.discount_programs


def test_every_json_example_is_a_valid_program() -> None:
    for block in _json_blocks(PROGRAM_MD.read_text(encoding="utf-8")):
        parse_program(load_program_text(block))


def test_the_key_walk_finds_the_nested_models() -> None:
    keys, literals = _accepted()
    # a guard against a walk that silently stops at the top level
    assert {"from", "second_points_percent_of_avg_check", "only", "step"} <= keys
    assert {"percent", "per_step", "fixed", "cumulative", "unit", "cent"} <= literals


def test_every_key_and_value_of_the_program_is_documented() -> None:
    text = PROGRAM_MD.read_text(encoding="utf-8")
    keys, literals = _accepted()
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"keys parse_program takes that docs/program.md does not name: {missing}"
    missing = sorted(v for v in literals if f'"{v}"' not in text)
    assert not missing, f"values parse_program takes that docs/program.md does not name: {missing}"


@pytest.fixture
def api_routes(tmp_path: Path) -> list[str]:
    from central_server.app import create_app
    from central_server.db import make_engine
    from central_server.ledger import CentralLedger

    engine = make_engine(str(tmp_path / "central.sqlite3"))
    try:
        app = create_app(CentralLedger(engine), "docs-test-admin-token", replay=False)
        return [r.path for r in app.routes if isinstance(r, APIRoute)]
    finally:
        engine.dispose()


def test_every_route_of_the_server_is_in_the_sync_document(api_routes: list[str]) -> None:
    assert "/v1/events" in api_routes
    text = SYNC_MD.read_text(encoding="utf-8")
    missing = sorted(path for path in api_routes if path not in text)
    assert not missing, f"routes docs/sync.md does not describe: {missing}"
