"""A customer moved to another group or anonymised at one till: the change reaches the
central server and every other till, and an anonymised person is nowhere any more, not in
the server's database, not in another till's ledger, not in a new till's snapshot, and
not brought back by a registration an offline till pushes late. Real server on loopback,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import inspect, select, text

from cashier_app import service
from cashier_app.engine.anonymise import anonymised_phone
from cashier_app.engine.receipt import LineInput
from cashier_app.service.customer_changes import anonymise_customer, move_to_group
from cashier_app.service.users import OPERATOR
from cashier_app.storage import schema as t
from cashier_app.sync import worker
from central_server import schema as s

PHONE = "+79001112233"
NAME = "Серафима Жукова"
WORDS = (PHONE, "79001112233", "Серафима", "Жукова", "серафима", "жукова", "1988-05-17")
MILK = [LineInput("milk", Decimal("1000.00"), Decimal("1"))]


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def personal_data_in(engine: Any) -> list[str]:
    """Every value of every table of a database that holds one of the person's words."""
    found = []
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                for value in row:
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if value is not None and any(w in str(value) for w in WORDS):
                        found.append(f"{name}: {str(value)[:80]}")
    return found


def till_rows(ledger, customer_id):
    with ledger.db.read() as conn:
        return conn.execute(select(t.customers).where(t.customers.c.id == customer_id)).one()


def test_an_anonymised_customer_is_erased_on_the_server_and_every_till(server, till):
    a, b = till(server, "A"), till(server, "B")
    sync(b)
    reg = service.register_customer(a, PHONE, name=NAME, birthday=date(1988, 5, 17))
    cid = reg.customer.id
    service.record_sale(a, MILK, customer_id=cid)
    sync(a)
    sync(b)
    assert till_rows(b, cid).name == NAME  # B knows her
    balance = service.get_customer(a, cid).balance

    anonymise_customer(a, OPERATOR, cid)
    sync(a)
    sync(b)

    assert personal_data_in(server.store.engine) == []
    assert personal_data_in(b.db.engine) == []
    assert personal_data_in(a.db.engine) == []
    row = till_rows(b, cid)
    assert (row.phone, row.name, row.birthday) == (anonymised_phone(cid), "", None)
    assert row.anonymised_at is not None
    assert service.find_by_phone(b, PHONE) is None
    assert service.find_by_card(b, reg.card) is None
    assert service.get_customer(b, cid).balance == balance  # the sums stay
    with server.store.engine.connect() as conn:
        stamped = conn.execute(
            select(s.customers.c.anonymised_at).where(s.customers.c.id == cid)
        ).scalar()
    assert stamped is not None

    newcomer = till(server, "C")  # a new till's first pull is the snapshot
    sync(newcomer)
    assert personal_data_in(newcomer.db.engine) == []
    assert service.get_customer(newcomer, cid).balance == balance
    assert till_rows(newcomer, cid).anonymised_at is not None


def test_a_group_move_reaches_the_other_till_and_its_next_sale(server, till):
    a, b = till(server, "A"), till(server, "B")
    cid = service.register_customer(a, PHONE).customer.id
    sync(a)
    sync(b)
    assert move_to_group(a, OPERATOR, [cid], "staff") == 1
    sync(a)
    sync(b)
    assert service.get_customer(b, cid).group_id == "staff"
    sale = service.record_sale(b, MILK, customer_id=cid)
    assert (sale.quote.discount, sale.quote.accrued) == (Decimal("100.00"), Decimal("0"))
    with server.store.engine.connect() as conn:
        data = conn.execute(select(s.customers.c.data).where(s.customers.c.id == cid)).scalar()
    assert json.loads(data)["group"] == "staff"


def test_two_tills_moves_end_in_the_later_one_whatever_order_they_arrive(server, till):
    a, b = till(server, "A"), till(server, "B")
    cid = service.register_customer(a, PHONE).customer.id
    sync(a)
    sync(b)
    move_to_group(a, OPERATOR, [cid], "vip")  # first
    move_to_group(b, OPERATOR, [cid], "staff")  # later
    sync(b)
    sync(a)  # the earlier move arrives last
    sync(b)
    assert service.get_customer(a, cid).group_id == "staff"
    assert service.get_customer(b, cid).group_id == "staff"


def test_a_registration_made_offline_before_the_erasure_stays_erased(server, till):
    a, b = till(server, "A"), till(server, "B")
    cid = service.register_customer(a, PHONE, name=NAME).customer.id
    sync(a)
    # Till B, offline since before, registers the same person again (a second card)...
    late = service.register_customer(b, "+7 900 111-22-33", name=NAME, birthday=date(1988, 5, 17))
    # ...then she asks at till A to be forgotten, and only later B comes back online.
    anonymise_customer(a, OPERATOR, cid)
    sync(a)
    sync(b)
    sync(a)

    assert personal_data_in(server.store.engine) == []
    assert personal_data_in(b.db.engine) == []
    assert personal_data_in(a.db.engine) == []
    assert till_rows(b, late.customer.id).anonymised_at is not None
    assert service.find_by_phone(b, PHONE) is None


def test_a_registration_after_the_erasure_is_a_new_customer(server, till):
    a, b = till(server, "A"), till(server, "B")
    cid = service.register_customer(a, PHONE, name=NAME).customer.id
    sync(a)
    anonymise_customer(a, OPERATOR, cid)
    sync(a)
    again = service.register_customer(b, PHONE, name="Сима").customer.id  # asked again
    sync(b)
    sync(a)
    assert service.get_customer(a, again).name == "Сима"
    assert service.find_by_phone(a, PHONE) == again


def test_a_till_that_registers_and_anonymises_offline_pushes_no_person(server, till):
    a = till(server, "A")
    cid = service.register_customer(a, PHONE, name=NAME, birthday=date(1988, 5, 17)).customer.id
    service.record_sale(a, MILK, customer_id=cid)
    balance = service.get_customer(a, cid).balance
    anonymise_customer(a, OPERATOR, cid)
    status = sync(a)
    assert status.pushed == 3
    assert personal_data_in(server.store.engine) == []
    assert service.get_customer(a, cid).balance == balance == Decimal("130")  # welcome too


# -- malformed events of the two kinds are refused ------------------------------------------


def _push(server, token: str, event: dict[str, Any]) -> requests.Response:
    return requests.post(
        server.url + "/v1/events",
        data=json.dumps({"events": [event]}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )


def _event(kind: str, customer: str, **payload: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "device_seq": 1,
        "kind": kind,
        "at": datetime.now(UTC).isoformat(),
        "customer_id": customer,
        "program_version": 1,
        "payload": {"customer_id": customer, **payload},
    }


CUSTOMER = str(uuid.uuid4())
HOSTILE = {
    "group move without a group": _event("customer_group_changed", CUSTOMER),
    "group of 10 kB": _event("customer_group_changed", CUSTOMER, group="g" * 10240),
    "group with a space": _event("customer_group_changed", CUSTOMER, group="a b"),
    "group as a number": _event("customer_group_changed", CUSTOMER, group=7),
    "an unknown field in a move": _event("customer_group_changed", CUSTOMER, group="vip", x=1),
    "a move of someone else": {
        **_event("customer_group_changed", CUSTOMER, group="vip"),
        "customer_id": str(uuid.uuid4()),
    },
    "an erasure with a name": _event("customer_anonymised", CUSTOMER, name="Анна"),
    "an erasure of no customer": {**_event("customer_anonymised", CUSTOMER), "customer_id": None},
    "an erasure of a 1 kB id": _event("customer_anonymised", "1" * 1024),
    "a registration with another customer's placeholder": _event(
        "customer_registered", CUSTOMER, phone=anonymised_phone(str(uuid.uuid4()))
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_malformed_group_move_or_erasure_is_refused(server, case):
    _, token = server.store.enrol(server.store.issue_code(), "hostile")
    answer = _push(server, token, HOSTILE[case])
    if answer.status_code == 422:
        assert answer.json()["detail"], answer.text
    else:
        assert answer.status_code == 200, answer.text
        (result,) = answer.json()["results"]
        assert result["status"] == "refused", result
        assert result["reason"].startswith("invalid_event: "), result
    with server.store.engine.connect() as conn:
        assert conn.execute(select(s.events.c.id)).first() is None


def test_a_move_to_a_group_the_program_lacks_is_held_and_no_till_stumbles(server, till):
    a = till(server, "A")
    cid = service.register_customer(a, PHONE).customer.id
    sync(a)
    _, token = server.store.enrol(server.store.issue_code(), "hostile")
    answer = _push(server, token, _event("customer_group_changed", cid, group="gold"))
    assert answer.json()["results"][0]["status"] == "accepted"  # stored, but held
    with server.store.engine.connect() as conn:
        reason = conn.execute(select(s.quarantine.c.reason)).scalar()
    assert reason == "implausible: the program has no group 'gold'"
    assert sync(a).last_error is None
    assert service.get_customer(a, cid).group_id == "regular"


def test_a_change_pulled_before_the_erasure_is_pushed_brings_no_one_back(server, till):
    from cashier_app.sync.apply import apply_page

    a, b = till(server, "A"), till(server, "B")
    cid = service.register_customer(a, PHONE, name=NAME).customer.id
    sync(a)
    sync(b)
    anonymise_customer(a, OPERATOR, cid)  # not pushed yet
    move_to_group(b, OPERATOR, [cid], "staff")
    sync(b)  # the server sends her again, name and all, in the new group
    client = worker.client_for(a)
    with a.db.read() as conn:
        cursor = conn.execute(select(t.sync_state.c.cursor)).scalar_one()
    page = client.pull(cursor, 1000)  # a pull alone, before A's push
    apply_page(a, page.changes, page.cursor)
    row = till_rows(a, cid)
    assert (row.name, row.phone, row.group_id) == ("", anonymised_phone(cid), "staff")
    assert personal_data_in(a.db.engine) == []
    sync(a)
    assert personal_data_in(server.store.engine) == []


def test_a_customer_of_a_group_the_till_lacks_goes_into_its_default_group(server, till):
    """A registration naming a group no program has (pushed with a stolen token) used to
    stop every till's pull on the group's foreign key."""
    a = till(server, "A")
    sync(a)
    _, token = server.store.enrol(server.store.issue_code(), "hostile")
    event = _event("customer_registered", str(uuid.uuid4()), phone="+79005550101", group="nope")
    assert _push(server, token, event).json()["results"][0]["status"] == "accepted"
    assert sync(a).last_error is None
    assert service.get_customer(a, event["customer_id"]).group_id == "regular"
