"""The server's operations, one job per module: tills and their enrolment (``tills``),
program, catalogue and staff (``catalogue``), push (``push``, with ``registrations``),
replay into authoritative balances (``replay``, one customer's in ``customer_replay``),
pull and snapshot (``feed``), quarantine and the reconciliation report (``quarantine``).
``CentralLedger`` is them all on one database: the network's ledger of record (the word
"store" is kept for a shop)."""

from __future__ import annotations

from cashier_app.engine.protocol import ALL_STORES, DEFAULT_STORE, MAX_STORE_NAME, MAX_USER_NAME
from central_server.ledger.catalogue import CatalogueAndStaff
from central_server.ledger.common import Device, ServerError, order_key, store_name
from central_server.ledger.feed import Feeds
from central_server.ledger.push import Pushes
from central_server.ledger.quarantine import Quarantine
from central_server.ledger.staff_changes import TillStaffChanges
from central_server.ledger.tills import CARD_PREFIXES, Tills

__all__ = [
    "ALL_STORES",
    "CARD_PREFIXES",
    "DEFAULT_STORE",
    "MAX_STORE_NAME",
    "MAX_USER_NAME",
    "CentralLedger",
    "Device",
    "ServerError",
    "order_key",
    "store_name",
]


class CentralLedger(Tills, TillStaffChanges, CatalogueAndStaff, Pushes, Feeds, Quarantine):
    """Each job keeps its method names here; the jobs call one another through ``self``
    (a push registers customers, a pull replays first), so one ledger serves them all."""
