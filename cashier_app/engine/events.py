"""The kinds of recorded event: what a till writes to its ledger and pushes, and what the
central server stores and replays."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    CUSTOMER_REGISTERED = "customer_registered"
    SALE = "sale"
    RETURN = "return"
    ADJUSTMENT = "adjustment"  # a manager's plus or minus, with a reason
    SHIFT_OPENED = "shift_opened"
    SHIFT_CLOSED = "shift_closed"
    # A manager moved the customer to another group: later sales use the new group's
    # rules; the points and purchases held stay (docs/sync.md).
    CUSTOMER_GROUP_CHANGED = "customer_group_changed"
    # The customer's personal data was erased on their request; no sum changes.
    CUSTOMER_ANONYMISED = "customer_anonymised"
