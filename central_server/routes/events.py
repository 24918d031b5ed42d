"""A till's push of its recorded events."""

from __future__ import annotations

from fastapi import APIRouter

from cashier_app.engine.protocol import PushAnswer, PushRequest
from central_server.access import PushingDevice, Writer
from central_server.routes.refusals import REFUSALS

router = APIRouter()


@router.post("/v1/events", response_model=PushAnswer, responses=REFUSALS)
def push(body: PushRequest, dev: PushingDevice, writer: Writer) -> PushAnswer:
    results, last = writer.push(dev, [e.model_dump() for e in body.events])
    return PushAnswer(results=results, last_seq=last)
