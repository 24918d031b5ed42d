"""The refusals a route may answer with, for the API's description."""

from __future__ import annotations

from typing import Any

from cashier_app.engine.protocol import Problem

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"description": "invalid input"},
}
