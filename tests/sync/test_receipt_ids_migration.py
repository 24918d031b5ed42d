"""Migration s0008 records the receipt ids of the sales stored before it, so a forged sale
cannot reuse one of them either. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from central_server import schema as s
from central_server.db import migrate
from tests.sync.conftest import server_database_at


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_receipts_of_stored_sales_are_taken(db: str, tmp_path: Path, request) -> None:
    engine = server_database_at(db, tmp_path, request, "s0007")
    now = datetime.now(UTC)
    receipt, sale = str(uuid.uuid4()), str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            insert(s.devices).values(
                id="d1", name="A", token_hash="h", card_prefix="0001", enrolled_at=now, last_seq=2
            )
        )
        rows = [
            (sale, 1, "sale", {"receipt_id": receipt}),
            (str(uuid.uuid4()), 2, "customer_registered", {"customer_id": "c", "phone": "+7"}),
        ]
        for event_id, seq, kind, payload in rows:
            conn.execute(
                insert(s.events).values(
                    id=event_id,
                    device_id="d1",
                    device_seq=seq,
                    kind=kind,
                    at=now,
                    payload=json.dumps(payload),
                    received_at=now,
                )
            )
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(select(s.receipt_ids)).all() == [(receipt, sale)]
    engine.dispose()
