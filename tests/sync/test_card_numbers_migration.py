"""Migration s0010 records the cards the customers hold, and a card two customers were
given before it stays with the first only (the snapshot with both stopped every new
till). On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from central_server import schema as s
from central_server.db import migrate
from tests.sync.conftest import server_database_at


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_a_card_given_twice_stays_with_the_first(db: str, tmp_path: Path, request) -> None:
    engine = server_database_at(db, tmp_path, request, "s0009")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for cid, phone, cards in (
            ("a", "+79001110001", ["11111111", "22222222"]),
            ("b", "+79001110002", ["22222222", "33333333"]),
        ):
            data = {"name": "", "cards": cards, "registered_at": now.isoformat()}
            conn.execute(
                insert(s.customers).values(
                    id=cid, phone=phone, data=json.dumps(data), registered_at=now
                )
            )
    migrate(engine)
    with engine.connect() as conn:
        held = dict(conn.execute(select(s.card_numbers.c.number, s.card_numbers.c.phone)).all())
        data = {
            r.id: json.loads(r.data)["cards"]
            for r in conn.execute(select(s.customers.c.id, s.customers.c.data))
        }
    assert held == {
        "11111111": "+79001110001",
        "22222222": "+79001110001",
        "33333333": "+79001110002",
    }
    assert data == {"a": ["11111111", "22222222"], "b": ["33333333"]}
    engine.dispose()
