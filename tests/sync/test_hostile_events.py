"""A till's token in the wrong hands, or a till gone wrong: every event is checked on
arrival (cashier_app/engine/event_check.py), a push with a malformed one is refused with
the reason, and nobody else notices: other tills still push and pull, a new till still
downloads the snapshot, no balance moves. Through the real HTTP API, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine import event_check as rules
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.ledger import Ledger
from cashier_app.storage import schema as t
from cashier_app.sync import outbox, worker
from central_server import schema as s
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger
from tests.shop import samosale_program
from tests.sync.conftest import RunningServer, _pg_database

PHONE = "+79001234567"
BIG = [LineInput("tv", Decimal("10000.00"), Decimal("1"), category="tv")]
LATTE = [LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")]
PROGRAM = samosale_program(welcome={"points": "100", "expiry_days": 60})


@dataclass
class Network:
    server: RunningServer
    a: Ledger  # the till that registered the customer and sold to them
    b: Ledger  # another till, working on
    customer: str
    templates: dict[str, dict[str, Any]]  # kind -> an event as till A sent it
    token: str  # a real till's token, used to push the hostile events
    root: Path
    tills: int = 0

    def new_till(self, name: str) -> Ledger:
        self.tills += 1
        ledger = service.open_ledger(self.root / f"{name}{self.tills}", device_name=name)
        service.install_program(ledger, PROGRAM)
        worker.enrol(ledger, self.server.url, self.server.store.issue_code(), name)
        return ledger


def sync(ledger: Ledger) -> worker.SyncStatus:
    client = worker.client_for(ledger)
    assert client is not None
    return worker.sync_once(ledger, client)


def sent_events(ledger: Ledger) -> dict[str, dict[str, Any]]:
    with ledger.db.read() as conn:
        rows = conn.execute(select(t.events).order_by(t.events.c.device_seq)).all()
    return {
        r.kind: {
            "id": r.id,
            "device_seq": 1,
            "kind": r.kind,
            "at": r.at.isoformat(),
            "customer_id": r.customer_id,
            "program_version": r.program_version,
            "payload": json.loads(r.payload),
        }
        for r in rows
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def network(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Network]:
    root = tmp_path_factory.mktemp("hostile")
    url = (
        str(root / "central.sqlite3")
        if request.param == "sqlite"
        else _pg_database(request.getfixturevalue("postgres"))
    )
    engine = make_engine(url)
    migrate(engine)
    store = CentralLedger(engine)
    store.publish_program(PROGRAM)
    server = RunningServer(store).start()
    net = Network(server, None, None, "", {}, "", root)  # type: ignore[arg-type]
    a, b = net.new_till("A"), net.new_till("B")
    anna = service.register_customer(a, PHONE, name="Анна", birthday=None)
    sold = service.record_sale(a, BIG, customer_id=anna.customer.id)
    service.record_return(a, sold.number, [ReturnRequest("tv", Decimal("1"))])
    service.record_sale(a, BIG, customer_id=anna.customer.id)
    service.adjust_balance(a, anna.customer.id, Decimal("50"), "goodwill")
    sync(a)
    sync(b)
    answer = requests.post(
        server.url + "/v1/enrol",
        json={"code": store.issue_code(), "device_name": "hostile"},
        timeout=10,
    )
    net.a, net.b, net.customer = a, b, anna.customer.id
    net.templates, net.token = sent_events(a), answer.json()["token"]
    yield net
    for ledger in (a, b):
        ledger.db.close()
    server.stop()
    engine.dispose()


def _event(net: Network, template: str, **changes: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(net.templates[template]))
    event["id"] = str(uuid.uuid4())
    payload = event["payload"]
    for key, value in changes.items():
        if key.startswith("p_"):
            payload[key[2:]] = value
        else:
            event[key] = value
    return event


def _sale(net: Network, **changes: Any) -> dict[str, Any]:
    return _event(net, "sale", **changes)


def _registration(net: Network, **changes: Any) -> dict[str, Any]:
    customer = str(uuid.uuid4())
    base = {"customer_id": customer, "p_customer_id": customer, "p_phone": "+79005550101"}
    return _event(net, "customer_registered", **(base | changes))


def _without(key: str) -> Callable[[Network], dict[str, Any]]:
    def make(net: Network) -> dict[str, Any]:
        event = _sale(net)
        del event["payload"][key]
        return event

    return make


def _lot(**lot: Any) -> Callable[[Network], dict[str, Any]]:
    def make(net: Network) -> dict[str, Any]:
        event = _sale(net)
        event["payload"]["accrual_lot"].update(lot)
        return event

    return make


def _line(**line: Any) -> Callable[[Network], dict[str, Any]]:
    def make(net: Network) -> dict[str, Any]:
        event = _sale(net)
        event["payload"]["lines"][0].update(line)
        return event

    return make


KB = "1" * 1024
TEN_KB = "9" * 10240
# name -> how the hostile event is made from one till A sent
CASES: dict[str, Callable[[Network], dict[str, Any]]] = {
    # 1. the server applied whatever a till sent
    "accrued a trillion": lambda n: _sale(n, p_accrued="1000000000000"),
    "negative total": lambda n: _sale(n, p_total="-1000000"),
    # 2. an event dated in the future
    "sale in the year 3000": lambda n: _sale(n, at="3000-01-01T00:00:00+00:00"),
    "sale 11 minutes ahead of the server": lambda n: _sale(n, at=_ahead(n, minutes=11).isoformat()),
    # 3. events that stopped the replay for everyone
    "accrued NaN": lambda n: _sale(n, p_accrued="NaN"),
    "accrued abc": lambda n: _sale(n, p_accrued="abc"),
    "sale without receipt_id": _without("receipt_id"),
    "available_at never": _lot(available_at="never"),
    "sale on 9999-12-31": lambda n: _sale(n, at="9999-12-31T00:00:00+00:00"),
    "adjustment of NaN points": lambda n: _event(n, "adjustment", p_points="NaN"),
    "return taking abc points": lambda n: _event(n, "return", p_points_taken="abc"),
    "birthday 31-02-1990": lambda n: _registration(n, p_birthday="31-02-1990"),
    "birthday 1990-02-31": lambda n: _registration(n, p_birthday="1990-02-31"),
    # ... and those that cut the snapshot stream or crashed other tills
    "accrued 0.001": lambda n: _sale(n, p_accrued="0.001"),
    "accrued Infinity": lambda n: _sale(n, p_accrued="Infinity"),
    "accrued 1e100000": lambda n: _sale(n, p_accrued="1e100000"),
    "accrued as a JSON number": lambda n: _sale(n, p_accrued=30),
    "integer phone": lambda n: _registration(n, p_phone=79005550101),
    "name as a list": lambda n: _registration(n, p_name=["Анна", "Иванова"]),
    "1 kB customer id in the event": lambda n: _sale(n, customer_id=KB),
    "1 kB customer id in the registration": lambda n: _registration(n, p_customer_id=KB),
    "10 kB name": lambda n: _registration(n, p_name=TEN_KB),
    "10 kB phone": lambda n: _registration(n, p_phone="+7" + TEN_KB),
    "10 kB card": lambda n: _registration(n, p_card=TEN_KB),
    "10 kB receipt number": lambda n: _sale(n, p_number=TEN_KB),
    "10 kB sku": _line(sku=TEN_KB),
    "10 kB adjustment reason": lambda n: _event(n, "adjustment", p_reason=TEN_KB),
    # more of the same kind
    "a NUL in a name": lambda n: _registration(n, p_name="An\x00na"),
    "negative quantity": _line(qty="-1"),
    "expiry before availability": _lot(expires_at="2001-01-01T00:00:00+00:00"),
    "a moment without its offset": lambda n: _sale(n, at="2026-01-01T10:00:00"),
    "sale dated 1999": lambda n: _sale(n, at="1999-12-31T23:00:00+00:00"),
    "zero adjustment": lambda n: _event(n, "adjustment", p_points="0"),
    "an unknown kind": lambda n: _event(n, "sale", kind="points_gift"),
    "an unknown field": lambda n: _sale(n, p_bonus="1000"),
    "payload customer differs from the event's": lambda n: _sale(
        n, p_customer_id=str(uuid.uuid4())
    ),
    "payload is a list": lambda n: _sale(n, payload=[1, 2]),
    # ids that would collide on every till: a lot is named after its receipt
    "a receipt id another sale has": lambda n: _sale(n),
    "an accrual lot named after another receipt": _lot(id=f"accrual:{uuid.uuid4()}"),
    # amounts no till writes, which Decimal would still read
    "accrued null": lambda n: _sale(n, p_accrued=None),
    "accrued with a space": lambda n: _sale(n, p_accrued=" 15"),
    "accrued minus zero": lambda n: _sale(n, p_accrued="-0"),
    "accrued in Arabic-Indic digits": lambda n: _sale(n, p_accrued="\u0661\u0665"),
    "a sale without lines": lambda n: _sale(n, p_lines=[]),
    "a return without lines": lambda n: _event(n, "return", p_lines=[]),
}


def _ahead(net: Network, minutes: int) -> Any:
    from datetime import timedelta

    return net.server.store.clock() + timedelta(minutes=minutes)


def _server_accounts(net: Network) -> dict[str, str]:
    with net.server.store.engine.connect() as conn:
        rows = conn.execute(select(s.accounts.c.customer_id, s.accounts.c.snapshot)).all()
    return {r.customer_id: json.loads(r.snapshot)["balance"] for r in rows}


def _push(net: Network, event: dict[str, Any]) -> requests.Response:
    return requests.post(
        net.server.url + "/v1/events",
        data=json.dumps({"events": [event]}),
        headers={"Authorization": f"Bearer {net.token}", "Content-Type": "application/json"},
        timeout=30,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_event_is_refused_and_harms_no_one(network: Network, case: str) -> None:
    net = network
    before = _server_accounts(net)
    anna = service.get_customer(net.a, net.customer).balance

    answer = _push(net, CASES[case](net))

    if answer.status_code == 422:  # the request's own shape (FastAPI), with the details
        assert answer.json()["detail"], answer.text
    else:
        assert answer.status_code == 200, answer.text
        (result,) = answer.json()["results"]
        assert result["status"] == "refused", (case, result)
        assert result["reason"].startswith("invalid_event: "), result
    # nothing changed, and everyone else carries on
    other = net.b
    service.record_sale(other, LATTE)
    assert sync(other).pushed == 1
    changes = requests.get(
        net.server.url + "/v1/changes",
        params={"after": 0, "limit": 5000},
        headers={"Authorization": f"Bearer {net.token}"},
        timeout=30,
    )
    assert changes.status_code == 200
    newcomer = net.new_till("new")
    try:
        sync(newcomer)
        assert service.get_customer(newcomer, net.customer).balance == anna
    finally:
        newcomer.db.close()
    assert _server_accounts(net) == before
    sync(net.a)
    assert service.get_customer(net.a, net.customer).balance == anna


def test_the_same_events_as_sent_by_the_till_are_accepted(network: Network) -> None:
    """The control: the templates themselves pass the check (a well-formed event from
    another device is stored), so the refusals above are the changes' doing."""
    net = network
    _, token = net.server.store.enrol(net.server.store.issue_code(), "control")
    reg = _registration(net, p_phone="+79005550199")
    reg["device_seq"] = 1
    sale = _sale(net, customer_id=reg["customer_id"], p_customer_id=reg["customer_id"])
    receipt = sale["payload"]["receipt_id"] = str(uuid.uuid4())
    sale["payload"]["accrual_lot"]["id"] = f"accrual:{receipt}"
    sale["device_seq"] = 2
    answer = requests.post(
        net.server.url + "/v1/events",
        json={"events": [reg, sale]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "accepted"]


def test_a_push_with_one_malformed_event_is_refused_whole(network: Network) -> None:
    net = network
    _, token = net.server.store.enrol(net.server.store.issue_code(), "mixed")
    good = _registration(net, p_phone="+79005550198")
    bad = _sale(net, p_accrued="NaN", device_seq=2)
    answer = requests.post(
        net.server.url + "/v1/events",
        json={"events": [good, bad]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = answer.json()
    assert [r["status"] for r in body["results"]] == ["refused", "refused"]
    assert body["results"][0]["reason"].startswith(f"batch_refused: event {bad['id']}")
    assert body["results"][1]["reason"].startswith("invalid_event: payload.accrued")
    assert body["last_seq"] == 0


def test_the_reason_reaches_the_tills_list_of_refused_operations(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A till that sends a malformed event (a fault between its ledger and the wire): the
    server's reason reaches the till's list of refused operations for its manager, and the
    event leaves the queue instead of being sent again for ever."""
    net = network
    till = net.new_till("faulty")
    try:
        service.record_sale(till, LATTE)
        read = outbox.next_batch

        def faulty(ledger: Ledger, limit: int = 500) -> list[outbox.OutboxEvent]:
            return [
                dataclasses.replace(
                    e, payload_json=json.dumps(json.loads(e.payload_json) | {"total": "NaN"})
                )
                for e in read(ledger, limit)
            ]

        monkeypatch.setattr(outbox, "next_batch", faulty)
        assert sync(till).refused == 1
        with till.db.read() as conn:
            reason = conn.execute(select(t.refused_events.c.reason)).scalar_one()
        assert reason.startswith("invalid_event: payload.total")
        assert outbox.queued_count(till) == 0
    finally:
        till.db.close()


def test_the_rules_limits_are_the_tills() -> None:
    """The engine's limits, repeated there because it may not import the till's service
    and storage, are the ones the till applies when it records."""
    from cashier_app.service import customers, sales

    assert customers.MAX_NAME == rules.MAX_NAME
    assert sales.PAYMENTS == rules.PAYMENTS
    columns = {
        rules.MAX_NAME: [t.customers.c.name],
        rules.MAX_PHONE: [t.customers.c.phone],
        rules.MAX_RECEIPT_NUMBER: [t.receipts.c.number],
        rules.MAX_SKU: [t.receipt_lines.c.sku],
        rules.MAX_PRODUCT_NAME: [t.receipt_lines.c.name],
        rules.MAX_LABEL: [t.receipt_lines.c.category, t.receipt_lines.c.brand],
        rules.MAX_TIER: [t.receipts.c.tier],
        rules.MAX_LOT_ID: [t.lots.c.id],
        rules.MAX_USER: [t.users.c.name],
    }
    for limit, cols in columns.items():
        assert [c.type.length for c in cols] == [limit] * len(cols)


def test_a_registration_dated_before_its_tills_enrolment_never_takes_a_customer_over(
    network: Network,
) -> None:
    """A forged registration of a known phone, dated 2000-01-01: it would have been the
    earliest and taken the customer over (name, group, card, welcome points). It counts as
    made at its till's enrolment, so it merges into the customer instead."""
    net = network
    _, token = net.server.store.enrol(net.server.store.issue_code(), "forger")
    before = _server_accounts(net)[net.customer]
    forged = _registration(
        net,
        at="2000-01-01T00:00:00+00:00",
        p_phone=PHONE,
        p_name="Mallory",
        p_group="vip",
        p_card="2000000000008",
    )
    answer = requests.post(
        net.server.url + "/v1/events",
        json={"events": [forged]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"]
    with net.server.store.engine.connect() as conn:
        kept = conn.execute(select(s.customers).where(s.customers.c.phone == PHONE)).one()
        alias = conn.execute(
            select(s.customer_aliases.c.customer_id).where(
                s.customer_aliases.c.alias == forged["customer_id"]
            )
        ).scalar_one()
    assert kept.id == alias == net.customer
    assert json.loads(kept.data)["name"] == "Анна"
    sync(net.a)
    assert _server_accounts(net)[net.customer] == before
    assert service.get_customer(net.a, net.customer).name == "Анна"


def test_every_kind_a_till_records_passes_the_check(tmp_path: Path) -> None:
    """No false alarm: each kind of event the till writes (a registration with every
    field, a sale with a discount and a redemption, a return, a minus adjustment, a
    shift, a group move, an erasure and the erased registration) passes the rules as the
    till recorded it, also at the limits of its fields."""
    from datetime import date

    from cashier_app.service import customer_changes, users
    from cashier_app.service.users import OPERATOR, Role

    ledger = service.open_ledger(tmp_path / "till", device_name="T")
    try:
        service.install_program(ledger, PROGRAM)
        admin = users.create_user(ledger, "A" * 80, Role.ADMINISTRATOR, "123456", actor=OPERATOR)
        users.open_shift(ledger, actor=admin)
        first = service.register_customer(
            ledger, "+79001234560", birthday=date(1990, 2, 28), actor=admin
        )
        vip = service.register_customer(
            ledger,
            "+79001234567",
            name="Я" * 120,
            birthday=date(1850, 2, 28),
            group="vip",
            consent=True,
            referrer="+79001234560",
            card="12345678901234567890",
            actor=admin,
        ).customer.id
        wide = [
            LineInput(
                "s" * 64, Decimal("999.99"), Decimal("1.234"), "clothes", "b" * 64, False, "n" * 200
            )
        ]
        sold = service.record_sale(ledger, BIG + wide, customer_id=vip, actor=admin)
        service.record_sale(
            ledger, LATTE, customer_id=vip, redeem="max", number="N" * 40, actor=admin
        )
        service.record_return(ledger, sold.number, [ReturnRequest("tv", Decimal("1"))], actor=admin)
        service.adjust_balance(ledger, vip, Decimal("-1"), "r" * 500, actor=admin)
        # a group move, and an erasure: its registration event, erased, passes too
        customer_changes.move_to_group(ledger, admin, [vip], "staff")
        customer_changes.anonymise_customer(ledger, admin, first.customer.id)
        users.close_shift(ledger, actor=admin)
        with ledger.db.read() as conn:
            rows = conn.execute(select(t.events).order_by(t.events.c.device_seq)).all()
        kinds = set()
        for r in rows:
            event = {
                "id": r.id,
                "device_seq": r.device_seq,
                "kind": r.kind,
                "at": r.at,
                "customer_id": r.customer_id,
                "program_version": r.program_version,
                "payload": json.loads(r.payload),
            }
            rules.check_event(event, r.at)
            kinds.add(r.kind)
        assert kinds == set(rules.KINDS)
    finally:
        ledger.db.close()


def test_a_registration_with_another_customers_card_keeps_its_customer_not_the_card(
    network: Network,
) -> None:
    """A card is one customer's: a registration with a card another customer holds (a
    pre-printed card handed out twice, or forged) is stored without it, so every till
    still finds the holder by it and a new till still loads the snapshot (two customers
    with one card stopped it); the conflict is in the reconciliation report."""
    net = network
    card = net.templates["customer_registered"]["payload"]["card"]
    before = _server_accounts(net)
    _, token = net.server.store.enrol(net.server.store.issue_code(), "twice")
    reg = _registration(net, p_phone="+79005550197", p_card=card)
    answer = requests.post(
        net.server.url + "/v1/events",
        json={"events": [reg]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"]
    newcomer = net.new_till("new")
    try:
        sync(newcomer)
        assert service.find_by_card(newcomer, card) == net.customer
        assert service.get_customer(newcomer, reg["customer_id"]).cards == ()
    finally:
        newcomer.db.close()
    assert {k: v for k, v in _server_accounts(net).items() if k in before} == before
    report = net.server.store.reconciliation()
    (conflict,) = [r for r in report if r.get("event_id") == reg["id"]]
    assert conflict["kind"] == "card_conflict" and conflict["card"] == card
    assert conflict["device"] == "twice" and conflict["held_by_phone"] == PHONE


def test_a_till_enrolled_long_ago_cannot_backdate_a_registration_to_take_a_customer_over(
    network: Network,
) -> None:
    """The forger's till was enrolled before Boris registered, so its enrolment alone does
    not stop a registration dated 2000-01-01: its own event before it, dated today, does
    (a till dates its events in the order it records them)."""
    net = network
    _, token = net.server.store.enrol(net.server.store.issue_code(), "forger")
    boris = service.register_customer(net.a, "+79005550177", name="Борис").customer.id
    sync(net.a)
    now = net.server.store.clock().isoformat()
    shift = {
        "id": str(uuid.uuid4()),
        "device_seq": 1,
        "kind": "shift_opened",
        "at": now,
        "customer_id": None,
        "program_version": None,
        "payload": {"shift_id": str(uuid.uuid4()), "user": "Mallory"},
    }
    forged = _registration(
        net, at="2000-01-01T00:00:00+00:00", p_phone="+79005550177", p_name="Mallory"
    )
    forged["device_seq"] = 2
    answer = requests.post(
        net.server.url + "/v1/events",
        json={"events": [shift, forged]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "accepted"]
    with net.server.store.engine.connect() as conn:
        kept = conn.execute(select(s.customers).where(s.customers.c.phone == "+79005550177")).one()
    assert kept.id == boris
    assert json.loads(kept.data)["name"] == "Борис"


@pytest.mark.parametrize("offset", ["+03:00", "-05:00"])
def test_a_moment_with_any_offset_is_stored_as_the_same_instant(
    network: Network, offset: str
) -> None:
    """A client other than our till may send local time with its offset: the server
    keeps the instant, not the wall-clock reading (07:37+03:00 is 04:37 UTC)."""
    from datetime import timedelta, timezone

    net = network
    _, token = net.server.store.enrol(net.server.store.issue_code(), "other client")
    hours = int(offset[:3])
    instant = net.server.store.clock() - timedelta(minutes=1)
    local = instant.astimezone(timezone(timedelta(hours=hours)))
    reg = _registration(net, at=local.isoformat(), p_phone="+79005550155")
    answer = requests.post(
        net.server.url + "/v1/events",
        json={"events": [reg]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"]
    with net.server.store.engine.connect() as conn:
        at = conn.execute(select(s.events.c.at).where(s.events.c.id == reg["id"])).scalar_one()
    stored = at if at.tzinfo else at.replace(tzinfo=UTC)
    assert abs((stored - instant).total_seconds()) < 1


def test_a_moment_sent_as_a_number_is_refused(network: Network) -> None:
    answer = _push(network, _sale(network, at=1700000000))
    assert answer.status_code == 422


@pytest.mark.parametrize("points", ["99999999.99", "-99999999.99"])
def test_an_adjustment_worth_a_fortune_is_held_not_applied(network: Network, points: str) -> None:
    net = network
    _, token = net.server.store.enrol(net.server.store.issue_code(), "forger")
    before = _server_accounts(net)
    forged = _event(net, "adjustment", device_seq=1, p_points=points)
    answer = requests.post(
        net.server.url + "/v1/events",
        json={"events": [forged]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"]
    sync(net.b)
    after = _server_accounts(net)  # customers other tests of this network registered aside
    assert {customer: after[customer] for customer in before} == before
    held = {
        r["event_id"]: r["reason"]
        for r in net.server.store.reconciliation()
        if r["kind"] == "quarantine"
    }
    assert held[forged["id"]] == "implausible: an adjustment worth more than 100000 in money"


def test_a_lone_surrogate_in_a_text_is_refused_not_a_server_error(network: Network) -> None:
    from tests.sync.conftest import ADMIN

    net = network
    user = '{"name": "s", "role": "cashier", "pin": "4821", "store": "L\\udb40"}'
    answer = requests.put(
        net.server.url + "/v1/admin/users",
        data=user,
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 422, answer.text
    event = json.dumps({"events": [_registration(net, p_name="Anna")]}).replace(
        "Anna", "An\\udb40na"
    )
    answer = requests.post(
        net.server.url + "/v1/events",
        data=event,
        headers={"Authorization": f"Bearer {net.token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 422, answer.text
