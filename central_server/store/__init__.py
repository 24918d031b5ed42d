"""The server's operations, one job per module: tills and their enrolment (``tills``),
program, catalogue and staff (``catalogue``), push (``push``, with ``registrations``),
replay into authoritative balances (``replay``, one customer's in ``customer_replay``),
pull and snapshot (``feed``), quarantine and the reconciliation report (``quarantine``).
``ServerStore`` is them all on one database."""

from __future__ import annotations

from cashier_app.engine.protocol import ALL_STORES, DEFAULT_STORE, MAX_STORE_NAME, MAX_USER_NAME
from central_server.store.catalogue import CatalogueAndStaff
from central_server.store.common import Device, ServerError, order_key, store_name
from central_server.store.feed import Feeds
from central_server.store.push import Pushes
from central_server.store.quarantine import Quarantine
from central_server.store.staff_changes import TillStaffChanges
from central_server.store.tills import CARD_PREFIXES, Tills

__all__ = [
    "ALL_STORES",
    "CARD_PREFIXES",
    "DEFAULT_STORE",
    "MAX_STORE_NAME",
    "MAX_USER_NAME",
    "Device",
    "ServerError",
    "ServerStore",
    "order_key",
    "store_name",
]


class ServerStore(Tills, TillStaffChanges, CatalogueAndStaff, Pushes, Feeds, Quarantine):
    """Each job keeps its method names here; the jobs call one another through ``self``
    (a push registers customers, a pull replays first), so one store serves them all."""
