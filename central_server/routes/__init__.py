"""The API's routes by resource: a till's (devices, events, changes, snapshot) and the
administrator's (admin_*)."""

from __future__ import annotations

from fastapi import APIRouter

from central_server.routes import (
    admin_catalogue,
    admin_devices,
    admin_reports,
    changes,
    devices,
    events,
    snapshot,
    staff,
)

ROUTERS: tuple[APIRouter, ...] = (
    devices.router,
    events.router,
    changes.router,
    snapshot.router,
    staff.router,
    admin_devices.router,
    admin_catalogue.router,
    admin_reports.router,
)
