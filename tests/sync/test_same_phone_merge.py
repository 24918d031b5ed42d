"""Two tills register the same phone offline; the server keeps the earlier registration.
A third till that pulls both at once, and the till whose registration lost, both end with
the server's customer: its id, its name, both cards. (A till used to stop pulling for good
on the phone's uniqueness, and the losing till kept its own name and lost a card.)"""

from __future__ import annotations

from sqlalchemy import select

from cashier_app import service
from cashier_app.storage import schema as t
from cashier_app.sync import worker

PHONE = "+79004440001"


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def customer_here(ledger) -> tuple[str, str, set[str]]:
    with ledger.db.read() as conn:
        row = conn.execute(select(t.customers).where(t.customers.c.phone == PHONE)).one()
        cards = set(
            conn.execute(select(t.cards.c.number).where(t.cards.c.customer_id == row.id)).scalars()
        )
    return row.id, row.name, cards


def test_every_till_follows_the_server_when_two_registered_one_phone(server, till):
    late_till, early_till, third = (
        till(server, "late"),
        till(server, "early"),
        till(server, "third"),
    )
    for ledger in (late_till, early_till, third):
        sync(ledger)
    early = service.register_customer(early_till, PHONE, name="Early")  # both offline
    late = service.register_customer(late_till, PHONE, name="Late")
    sync(late_till)
    sync(early_till)  # the earlier registration: the server keeps it, merges the other in

    sync(third)  # both customers and the merge in one pull
    sync(late_till)
    sync(early_till)

    kept = (early.customer.id, "Early", {early.card, late.card})
    assert customer_here(third) == kept
    assert customer_here(late_till) == kept
    assert customer_here(early_till) == kept
    assert service.find_by_card(late_till, late.card) == early.customer.id
