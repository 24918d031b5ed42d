"""Connecting this till to the central server: an administrator's act, checked here so
the window's hidden menu entry is not the only thing that stops a cashier."""

from __future__ import annotations

from cashier_app.service.ledger import Ledger
from cashier_app.service.users import Actor, Permission


def enrol(ledger: Ledger, server_url: str, code: str, device_name: str, *, actor: Actor) -> str:
    """Exchange a one-time code for this till's identity; gives the device id. Raises
    ``SyncError`` when the server refuses or cannot be reached."""
    actor.require(Permission.ENROL_DEVICE)
    from cashier_app.sync import worker  # sync builds on the service layer: no import cycle

    return worker.enrol(ledger, server_url, code, device_name)
