"""What the administrator publishes to the tills: the program, the products, the staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cashier_app.engine.protocol import CountAnswer, Products, ProgramAnswer, User, json_problem
from central_server.access import AdminOnly, Ledger
from central_server.ledger import ServerError
from central_server.routes.refusals import REFUSALS

router = APIRouter(dependencies=AdminOnly)


@router.put("/v1/admin/program", response_model=ProgramAnswer, responses=REFUSALS)
def program(document: dict[str, Any], ledger: Ledger) -> ProgramAnswer:
    if problem := json_problem(document, "document"):
        raise ServerError(422, "invalid_program", problem)
    return ProgramAnswer(version=ledger.publish_program(document).version)


@router.put("/v1/admin/products", response_model=CountAnswer, responses=REFUSALS)
def products(body: Products, ledger: Ledger) -> CountAnswer:
    return CountAnswer(count=ledger.put_products([p.model_dump() for p in body.products]))


@router.put("/v1/admin/users", status_code=204, responses=REFUSALS)
def user(body: User, ledger: Ledger) -> None:
    ledger.put_user(body.name, body.role, body.pin, body.active, body.store)
