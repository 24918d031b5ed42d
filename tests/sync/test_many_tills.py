"""Many tills at once: their pushes share one transaction (group commit), one till's bad
push does not fail the others, and a replay in progress never loses a customer's new
events. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from central_server import schema as s
from central_server.background import GroupCommit
from central_server.ledger import ServerError

MORNING = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def registration(seq: int, phone: str) -> dict:
    customer = str(uuid.uuid4())
    return {
        "id": str(uuid.uuid4()),
        "device_seq": seq,
        "kind": "customer_registered",
        "at": MORNING + timedelta(seconds=seq),
        "customer_id": customer,
        "program_version": 1,
        "payload": {"customer_id": customer, "phone": phone, "name": "", "group": "regular"},
    }


def sale(seq: int, customer: str, accrued: str = "30", minutes: int = 1) -> dict:
    receipt = str(uuid.uuid4())
    at = MORNING + timedelta(minutes=minutes)
    return {
        "id": str(uuid.uuid4()),
        "device_seq": seq,
        "kind": "sale",
        "at": at,
        "customer_id": customer,
        "program_version": 1,
        "payload": {
            "receipt_id": receipt,
            "number": f"R{seq}",
            "customer_id": customer,
            "total": "1000.00",
            "discount": "0.00",
            "redeemed": "0",
            "paid": "1000.00",
            "accrued": accrued,
            "lines": [
                {
                    "sku": "coat",
                    "qty": "1",
                    "price": "1000.00",
                    "amount": "1000.00",
                    "discount": "0.00",
                    "redeemed_money": "0.00",
                    "accrual_base": "1000.00",
                }
            ],
            "accrual_lot": {
                "id": f"accrual:{receipt}",
                "available_at": at.isoformat(),
                "expires_at": (at + timedelta(days=60)).isoformat(),
            },
        },
    }


def balance(store, customer: str) -> str:
    import json

    with store.engine.connect() as conn:
        snap = conn.execute(
            select(s.accounts.c.snapshot).where(s.accounts.c.customer_id == customer)
        ).scalar_one()
    return json.loads(snap)["balance"]


def stored(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.events)).scalar_one()


def test_three_tills_pushing_at_once_each_get_their_own_answer(server):
    store = server.store
    tills = [store.enrol(store.issue_code(), f"till {n}")[0] for n in range(3)]
    batches = [[registration(1, f"+7900111000{n}")] for n in range(3)]
    outcomes = store.push_many(list(zip(tills, batches, strict=True)))
    assert [last for _, last in outcomes] == [1, 1, 1]  # type: ignore[misc]
    assert all(r.status == "accepted" for results, _ in outcomes for r in results)  # type: ignore[union-attr]
    # the same batches again: duplicates, nothing stored twice
    again = store.push_many(list(zip(tills, batches, strict=True)))
    assert all(r.status == "duplicate" for results, _ in again for r in results)  # type: ignore[union-attr]
    assert stored(store) == 3


def test_a_revoked_till_in_a_group_is_refused_and_the_others_stored(server):
    store = server.store
    good, bad = (store.enrol(store.issue_code(), name)[0] for name in ("good", "bad"))
    store.revoke(bad.id)
    outcomes = store.push_many(
        [(good, [registration(1, "+79001110001")]), (bad, [registration(1, "+79001110002")])]
    )
    assert isinstance(outcomes[1], ServerError) and outcomes[1].status == 403
    assert stored(store) == 1


def test_one_tills_faulty_push_does_not_fail_the_rest_of_its_group(server):
    store = server.store
    writer = GroupCommit(store)
    a, b, c = (store.enrol(store.issue_code(), f"till {n}")[0] for n in range(3))
    reused = registration(1, "+79001110003")
    twin = dict(reused, payload=dict(reused["payload"], phone="+79001110004"))
    answers: dict[str, object] = {}

    def push(device, events) -> None:
        try:
            answers[device.name] = writer.push(device, events)
        except Exception as exc:
            answers[device.name] = exc

    threads = [
        threading.Thread(target=push, args=(a, [reused])),
        threading.Thread(target=push, args=(b, [twin])),  # the same event id from another till
        threading.Thread(target=push, args=(c, [registration(1, "+79001110005")])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = {
        name: [r.status for r in answer[0]]  # type: ignore[index]
        for name, answer in answers.items()
        if not isinstance(answer, Exception)
    }
    assert statuses["till 2"] == ["accepted"]
    # whichever of the twins came first is stored; the other is refused as a reused id
    assert sorted(statuses["till 0"] + statuses["till 1"]) == ["accepted", "refused"]
    assert stored(store) == 2


def test_events_pushed_while_a_customer_is_being_replayed_are_replayed_next_time(server):
    store = server.store
    till = store.enrol(store.issue_code(), "till")[0]
    reg = registration(1, "+79001110006")
    customer = reg["customer_id"]
    store.push(till, [reg, sale(2, customer)])
    store.catch_up()
    assert balance(store, customer) == "130"  # welcome 100 + 30

    # A replay reads its marks; a push lands before that replay commits.
    original = store._replay

    late = threading.Thread(target=store.push, args=(till, [sale(4, customer, "5", 3)]))

    def replay_then_a_push_arrives(conn, since, feed):
        original(conn, since, feed)
        if not late.is_alive() and late.ident is None:
            late.start()

    store.push(till, [sale(3, customer, "7", 2)])
    store._replay = replay_then_a_push_arrives  # type: ignore[method-assign]
    try:
        store.catch_up()
    finally:
        store._replay = original  # type: ignore[method-assign]
    late.join(20)
    assert stored(store) == 4
    store.catch_up()
    assert balance(store, customer) == "142"  # nothing counted twice, nothing left out


def test_a_settled_replay_waits_for_a_customers_events_to_settle(sqlite_server):
    rounds = 3
    store = sqlite_server.store
    till = store.enrol(store.issue_code(), "till")[0]
    reg = registration(1, "+79001110007")
    now = [datetime.now(UTC)]
    store.clock = lambda: now[0]
    store.push(till, [reg])
    assert store.catch_up(settled=True) == 0  # just marked: not settled yet
    now[0] += timedelta(seconds=3)
    assert store.catch_up(settled=True) == 1
    for n in range(rounds):  # a rush: a new sale every second keeps it unsettled...
        store.push(till, [sale(2 + n, reg["customer_id"], minutes=n + 1)])
        now[0] += timedelta(seconds=1)
        assert store.catch_up(settled=True) == 0
    now[0] += timedelta(seconds=10)  # ...until it has waited the longest lag
    store.push(till, [sale(2 + rounds, reg["customer_id"], minutes=rounds + 1)])
    assert store.catch_up(settled=True) == 1
