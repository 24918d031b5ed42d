"""Well-formed events the program could not have produced (cashier_app/engine/
plausibility.py) are stored but quarantined: nobody's balance moves, the reconciliation
report names the till, the receipt and the reason, and an administrator releases or
rejects each (CLI and admin API). Real tills' own events are never held. On SQLite and on
PostgreSQL."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import requests
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.storage import schema as t
from cashier_app.sync import worker
from central_server import schema as s
from central_server.cli import main
from tests.sync.conftest import ADMIN

BIG = [LineInput("tv", Decimal("10000.00"), Decimal("1"), category="tv")]
LATTE = [LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")]


def sync(ledger: Any) -> worker.SyncStatus:
    return worker.sync_once(ledger, worker.client_for(ledger))


def _balance(srv: Any, customer: str) -> Decimal:
    with srv.store.engine.connect() as conn:
        snap = conn.execute(
            select(s.accounts.c.snapshot).where(s.accounts.c.customer_id == customer)
        ).scalar_one()
    return Decimal(json.loads(snap)["balance"])


def _recorded(ledger: Any, kind: str) -> dict[str, Any]:
    with ledger.db.read() as conn:
        row = conn.execute(
            select(t.events).where(t.events.c.kind == kind).order_by(t.events.c.device_seq.desc())
        ).first()
    return {
        "id": row.id,
        "kind": row.kind,
        "at": row.at.isoformat(),
        "customer_id": row.customer_id,
        "program_version": row.program_version,
        "payload": json.loads(row.payload),
    }


def _copy(event: dict[str, Any], seq: int, new_receipt: bool = False) -> dict[str, Any]:
    event = json.loads(json.dumps(event)) | {"id": str(uuid.uuid4()), "device_seq": seq}
    if new_receipt:
        receipt = event["payload"]["receipt_id"] = str(uuid.uuid4())
        event["payload"]["number"] = f"F-{seq}"
        event["payload"]["accrual_lot"]["id"] = f"accrual:{receipt}"
    return event


def test_implausible_events_are_held_and_an_administrator_decides(server, till, capsys) -> None:
    a, b = till(server, "A"), till(server, "B")
    anna = service.register_customer(a, "+79001234567", name="Анна").customer.id
    sold = service.record_sale(a, BIG, customer_id=anna)
    service.record_return(a, sold.number, [ReturnRequest("tv", Decimal("1"))])
    service.record_sale(a, BIG, customer_id=anna, redeem="max")
    sync(a)
    sync(b)
    with server.store.engine.connect() as conn:
        assert conn.execute(select(s.quarantine)).all() == []  # a real till's are plausible
    before = _balance(server, anna)
    sale, ret = _recorded(a, "sale"), _recorded(a, "return")

    over_accrued = _copy(sale, 1, new_receipt=True)
    over_accrued["payload"]["accrued"] = "5000"  # 50% of the base; the program's top is 7%
    lines_off = _copy(sale, 2, new_receipt=True)
    lines_off["payload"]["total"] = "100000.00"
    over_redeemed = _copy(sale, 3, new_receipt=True)
    over_redeemed["payload"]["redeemed"] = "9000"  # the lines' money stays: only the points lie
    over_returned = _copy(ret, 4)
    over_returned["payload"]["points_taken"] = "100000"
    forged = [over_accrued, lines_off, over_redeemed, over_returned]
    _, token = server.store.enrol(server.store.issue_code(), "forger")
    answer = requests.post(
        server.url + "/v1/events",
        json={"events": forged},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"] * 4

    sync(b)  # nobody's balance moved
    assert _balance(server, anna) == before
    assert service.get_customer(b, anna).balance == before
    report = [r for r in server.store.reconciliation() if r["kind"] == "quarantine"]
    assert [r["event_id"] for r in report] == [e["id"] for e in forged]
    assert {r["device"] for r in report} == {"forger"}
    assert [r["receipt"] for r in report] == ["F-1", "F-2", "F-3", sold.number]
    assert all(r["reason"].startswith("implausible: ") for r in report)
    assert "highest rate" in report[0]["reason"]
    assert "add up" in report[1]["reason"]
    assert "cap" in report[2]["reason"]
    assert "taken back" in report[3]["reason"]

    # the command line lists, rejects and releases
    db = server.store.engine.url.render_as_string(hide_password=False)
    capsys.readouterr()
    assert main(["--db", db, "quarantine", "list"]) == 0
    listed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["event_id"] for x in listed] == [e["id"] for e in forged]
    assert main(["--db", db, "quarantine", "reject", over_redeemed["id"]]) == 0
    assert main(["--db", db, "quarantine", "reject", over_redeemed["id"]]) == 2  # decided
    assert main(["--db", db, "quarantine", "release", over_accrued["id"]]) == 0
    sync(b)
    released = before + Decimal("5000") - Decimal(sale["payload"]["redeemed"])  # it redeems too
    assert _balance(server, anna) == released
    assert service.get_customer(b, anna).balance == released

    # and so does the admin API
    admin = {"Authorization": f"Bearer {ADMIN}"}
    held = requests.get(server.url + "/v1/admin/quarantine", headers=admin, timeout=30).json()
    assert [h["event_id"] for h in held] == [lines_off["id"], over_returned["id"]]
    r = requests.post(
        server.url + f"/v1/admin/quarantine/{over_returned['id']}/reject",
        headers=admin,
        timeout=30,
    )
    assert r.status_code == 204
    r = requests.post(
        server.url + f"/v1/admin/quarantine/{uuid.uuid4()}/release", headers=admin, timeout=30
    )
    assert r.status_code == 404
    everything = requests.get(
        server.url + "/v1/admin/quarantine", params={"state": "all"}, headers=admin, timeout=30
    ).json()
    assert {h["event_id"]: h["state"] for h in everything} == {
        over_accrued["id"]: "released",
        lines_off["id"]: "held",
        over_redeemed["id"]: "rejected",
        over_returned["id"]: "rejected",
    }
    report = [r for r in server.store.reconciliation() if r["kind"] == "quarantine"]
    assert {r["event_id"] for r in report} == {
        lines_off["id"],
        over_redeemed["id"],
        over_returned["id"],
    }
    # the others carry on: a sale at B, a new till's snapshot
    service.record_sale(b, LATTE, customer_id=anna)
    sync(b)
    newcomer = till(server, "new")
    sync(newcomer)
    assert service.get_customer(newcomer, anna).balance == _balance(server, anna)
