"""A customer's line of the snapshot (engine/protocol.py SNAPSHOT_CUSTOMER), from what the
server stores: compact and ready for a till to store."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson


def customer_line(
    customer_id: str, phone: str, data_json: str, snapshot_json: str | None
) -> list[Any]:
    """One customer's line of the snapshot (engine/protocol.py SNAPSHOT_CUSTOMER)."""
    data = orjson.loads(data_json)
    account = lots = None
    if snapshot_json:
        snap = orjson.loads(snapshot_json)
        prof = snap.get("profile", {})
        account = [
            _hundredths(snap["balance"]),
            _hundredths(snap["pending"]),
            _hundredths(snap["debt"]),
            _hundredths(snap["tier_basis"]),
            _utc_text(prof.get("last_purchase_at")),
            int(prof.get("sales_count") or 0),
            _hundredths(prof.get("sales_net_total") or "0"),
            int(prof.get("winback_stage") or 0),
            prof.get("birthday_year_done"),
            _utc_text(snap.get("as_of")),
        ]
        lots = [
            [
                lot["id"],
                lot["kind"],
                _hundredths(lot["points"]),
                _hundredths(lot["remaining"]),
                _utc_text(lot["credited_at"]),
                _utc_text(lot["available_at"]),
                _utc_text(lot.get("expires_at")),
                lot.get("receipt"),
                lot.get("origin_lot"),
                bool(lot.get("settled")),
                bool(lot.get("warned")),
            ]
            for lot in snap.get("lots", [])
        ]
    return [
        "customer",
        customer_id,
        phone,
        data.get("name") or "",
        data.get("birthday"),
        data.get("group"),
        _utc_text(data.get("registered_at")),
        data.get("cards") or [],
        account,
        lots or [],
    ]


def _hundredths(amount: str) -> int:
    scaled = Decimal(amount).scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(scaled)


def _utc_text(moment: str | None) -> str | None:
    if not moment:
        return None
    return datetime.fromisoformat(moment).astimezone(UTC).isoformat(" ", "microseconds")[:26]
