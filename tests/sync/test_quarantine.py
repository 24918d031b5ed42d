"""One customer's bad event harms no one else: an event the replay cannot apply (put
straight into the server's database, past the checks on arrival) is quarantined, the
customer's other events still count, every other till still pushes, pulls and downloads
the snapshot. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import insert, select, update

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.storage import schema as t
from cashier_app.sync import worker
from central_server import schema as s

BIG = [LineInput("tv", Decimal("10000.00"), Decimal("1"), category="tv")]
LATTE = [LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")]


def sync(ledger: Any) -> worker.SyncStatus:
    return worker.sync_once(ledger, worker.client_for(ledger))


def _sale(customer: str, at: datetime, **payload: Any) -> dict[str, Any]:
    receipt = str(uuid.uuid4())
    return {
        "kind": "sale",
        "at": at,
        "payload": {
            "receipt_id": receipt,
            "number": "X1",
            "customer_id": customer,
            "total": "100.00",
            "discount": "0",
            "redeemed": "0",
            "paid": "100.00",
            "accrued": "3",
            "accrual_lot": {"id": f"accrual:{receipt}", "available_at": at.isoformat()},
        }
        | payload,
    }


def _adjustment(customer: str, at: datetime, points: str) -> dict[str, Any]:
    payload = {"customer_id": customer, "points": points, "reason": "x"}
    return {"kind": "adjustment", "at": at, "payload": payload}


NOW = datetime.now(UTC)
BAD: dict[str, Any] = {
    "accrued abc": lambda c: _sale(c, NOW, accrued="abc"),
    "accrued NaN": lambda c: _sale(c, NOW, accrued="NaN"),
    "accrued 0.001 (cuts the snapshot)": lambda c: _sale(c, NOW, accrued="0.001"),
    "accrued Infinity": lambda c: _sale(c, NOW, accrued="Infinity"),
    "a sale without receipt_id": lambda c: {
        **_sale(c, NOW),
        "payload": {k: v for k, v in _sale(c, NOW)["payload"].items() if k != "receipt_id"},
    },
    "available_at never": lambda c: _sale(c, NOW, accrual_lot={"id": "x", "available_at": "never"}),
    "a sale on 9999-12-31": lambda c: _sale(c, datetime(9999, 12, 31, tzinfo=UTC)),
    "an adjustment of NaN points": lambda c: _adjustment(c, NOW, "NaN"),
}


def _balance(srv: Any, customer: str) -> str:
    with srv.store.engine.connect() as conn:
        snap = conn.execute(
            select(s.accounts.c.snapshot).where(s.accounts.c.customer_id == customer)
        ).scalar_one()
    return str(json.loads(snap)["balance"])


def _smuggle(srv: Any, device_id: str, customer: str, event: dict[str, Any]) -> str:
    """An event written straight into the server's tables, as a push would, unchecked."""
    event_id = str(uuid.uuid4())
    with srv.store.engine.begin() as conn:
        seq = conn.execute(select(s.devices.c.last_seq).where(s.devices.c.id == device_id)).scalar()
        conn.execute(
            insert(s.events).values(
                id=event_id,
                device_id=device_id,
                device_seq=seq + 1000,
                kind=event["kind"],
                at=event["at"],
                customer_id=customer,
                program_version=1,
                payload=json.dumps(event["payload"]),
                received_at=NOW,
            )
        )
        conn.execute(insert(s.dirty_marks).values(customer_id=customer, since="", marked_at=NOW))
    return event_id


def _device(ledger: Any) -> str:
    with ledger.db.read() as conn:
        return str(conn.execute(select(t.sync_state.c.device_id)).scalar_one())


@pytest.mark.parametrize("bad", list(BAD))
def test_a_bad_event_is_quarantined_and_everyone_else_goes_on(server, till, bad) -> None:
    a, b = till(server, "A"), till(server, "B")
    anna = service.register_customer(a, "+79001234567", name="Анна").customer.id
    service.record_sale(a, BIG, customer_id=anna)
    boris = service.register_customer(b, "+79007654321", name="Борис").customer.id
    sync(a)
    sync(b)
    anna_before = _balance(server, anna)

    smuggled = _smuggle(server, _device(a), anna, BAD[bad](anna))

    # everyone else carries on: pushes, pulls, the snapshot for a new till
    service.record_sale(b, LATTE, customer_id=boris)
    assert sync(b).pushed == 1
    boris_now = service.get_customer(b, boris).balance
    assert boris_now > Decimal("100")  # the welcome bonus and the latte's points
    assert Decimal(_balance(server, boris)) == boris_now
    changes = requests.get(
        server.url + "/v1/changes",
        params={"after": 0},
        headers={"Authorization": f"Bearer {_token(b)}"},
        timeout=30,
    )
    assert changes.status_code == 200
    newcomer = till(server, "new")
    sync(newcomer)
    assert service.get_customer(newcomer, boris).balance == boris_now
    assert service.get_customer(newcomer, anna).balance == Decimal(anna_before)
    # the bad event is quarantined, once, with a reason; Anna's other events count
    with server.store.engine.connect() as conn:
        held = conn.execute(select(s.quarantine)).all()
    assert [(q.event_id, q.customer_id) for q in held] == [(smuggled, anna)]
    assert held[0].reason
    assert _balance(server, anna) == anna_before
    service.record_sale(a, LATTE, customer_id=anna)
    sync(a)
    sync(a)
    assert Decimal(_balance(server, anna)) > Decimal(anna_before)
    assert service.get_customer(a, anna).balance == Decimal(_balance(server, anna))
    with server.store.engine.connect() as conn:
        assert len(conn.execute(select(s.quarantine)).all()) == 1


def _token(ledger: Any) -> str:
    with ledger.db.read() as conn:
        return str(conn.execute(select(t.sync_state.c.token)).scalar_one())


def test_a_bad_registration_leaves_the_customer_out_and_others_in(server, till) -> None:
    a = till(server, "A")
    boris = service.register_customer(a, "+79007654321").customer.id
    sync(a)
    ghost = str(uuid.uuid4())
    reg = {
        "kind": "customer_registered",
        "at": NOW,
        "payload": {"customer_id": ghost, "phone": "+79001112233", "birthday": "31-02-1990"},
    }
    with server.store.engine.begin() as conn:
        conn.execute(
            insert(s.customers).values(id=ghost, phone="+79001112233", data="{}", registered_at=NOW)
        )
    smuggled = _smuggle(server, _device(a), ghost, reg)
    service.record_sale(a, LATTE, customer_id=boris)
    sync(a)
    newcomer = till(server, "new")
    sync(newcomer)
    assert service.get_customer(newcomer, boris).balance == Decimal(_balance(server, boris))
    with server.store.engine.connect() as conn:
        held = conn.execute(select(s.quarantine.c.event_id)).scalars().all()
    assert held == [smuggled]


def test_an_account_a_till_cannot_load_does_not_cut_the_snapshot(server, till) -> None:
    """An account stored before the replay checked what it sends (a lot of 0.001 points):
    the snapshot goes out whole, that account as not replayed yet."""
    a = till(server, "A")
    anna = service.register_customer(a, "+79001234567").customer.id
    boris = service.register_customer(a, "+79007654321").customer.id
    sync(a)
    with server.store.engine.begin() as conn:
        snap = json.loads(
            conn.execute(
                select(s.accounts.c.snapshot).where(s.accounts.c.customer_id == anna)
            ).scalar_one()
        )
        snap["lots"][0]["points"] = "0.001"
        conn.execute(
            update(s.accounts)
            .where(s.accounts.c.customer_id == anna)
            .values(snapshot=json.dumps(snap))
        )
    newcomer = till(server, "new")
    sync(newcomer)
    assert service.get_customer(newcomer, boris).balance == Decimal("100")
    assert service.get_customer(newcomer, anna) is not None
