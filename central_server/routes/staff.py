"""A till's staff changes for its store, decided by the server's own staff list
(ledger/staff_changes.py; docs/sync.md)."""

from __future__ import annotations

from fastapi import APIRouter

from cashier_app.engine.protocol import StaffAnswer, StaffChange
from central_server.access import Ledger, ThisDevice
from central_server.routes.refusals import REFUSALS

router = APIRouter()


@router.put("/v1/staff/{name}", response_model=StaffAnswer, responses=REFUSALS)
def change_staff(name: str, body: StaffChange, dev: ThisDevice, ledger: Ledger) -> StaffAnswer:
    return ledger.change_staff_from_till(dev, name, body)
