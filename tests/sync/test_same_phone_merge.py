"""Two tills register the same phone offline; the server keeps the earlier registration.
A third till that pulls both at once, and the till whose registration lost, both end with
the server's customer: its id, its name, both cards. (A till used to stop pulling for good
on the phone's uniqueness, and the losing till kept its own name and lost a card.)"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.storage import schema as t
from cashier_app.sync import worker
from cashier_app.sync.apply import apply_page
from cashier_app.sync.client import Change
from central_server import schema as s

PHONE = "+79004440001"


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def on_server(srv, customer_id: str) -> dict:
    with srv.store.engine.connect() as conn:
        snap = conn.execute(
            select(s.accounts.c.snapshot).where(s.accounts.c.customer_id == customer_id)
        ).scalar_one()
    return json.loads(snap)


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


def stored_account(ledger, customer_id: str) -> tuple[Decimal, Decimal]:
    with ledger.db.read() as conn:
        row = conn.execute(
            select(t.accounts.c.balance, t.accounts.c.pending).where(
                t.accounts.c.customer_id == customer_id
            )
        ).one()
    return row.balance, row.pending


def split_at_the_merge(monkeypatch, seen: list, customer_id: str) -> None:
    """Each pulled page applied as two: up to the server's merge (with the customer change
    that takes the phone over before it), then the rest (the account change that brings
    the server's replay of both histories); ``seen`` gets the customer's stored account
    in between."""

    def apply_in_two(ledger, changes, cursor):
        merges = [n for n, c in enumerate(changes) if c.kind == "merge"]
        if not merges:
            return apply_page(ledger, changes, cursor)
        at = merges[0] + 1
        apply_page(ledger, changes[:at], changes[at - 1].cursor)
        seen.append(stored_account(ledger, customer_id))
        apply_page(ledger, changes[at:], cursor)

    monkeypatch.setattr(worker, "apply_page", apply_in_two)


def test_the_kept_customer_shows_what_the_till_held_of_both_then_the_servers(
    server, till, monkeypatch
):
    """A till follows a merge with the kept customer's account as the engine's merge
    posting gives it, the sum of what it held of both (here the merged registration's
    lots, which it had pulled, and nothing yet of the kept one), not the empty account it
    showed before the server's account change arrived; after that change, the server's."""
    late_till, early_till, third = (
        till(server, "late"),
        till(server, "early"),
        till(server, "third"),
    )
    for ledger in (late_till, early_till, third):
        sync(ledger)
    early = service.register_customer(early_till, PHONE, name="Early")  # both offline
    late = service.register_customer(late_till, PHONE, name="Late")
    line = [LineInput("a", Decimal("1000.00"), Decimal("1"))]
    service.record_sale(early_till, line, customer_id=early.customer.id)
    service.adjust_balance(early_till, early.customer.id, Decimal("40"), "old card")
    service.record_sale(late_till, line * 2, customer_id=late.customer.id)
    service.adjust_balance(late_till, late.customer.id, Decimal("25"), "old card")
    sync(late_till)
    sync(third)  # the third till holds Late and its account
    held_late = stored_account(third, late.customer.id)
    assert held_late[0] == stored_account(late_till, late.customer.id)[0] > 0
    own_early = stored_account(early_till, early.customer.id)
    sync(early_till)  # the earlier registration: the server merges Late into Early

    seen: list[tuple[Decimal, Decimal]] = []
    split_at_the_merge(monkeypatch, seen, early.customer.id)
    sync(third)
    monkeypatch.undo()

    assert seen == [held_late]  # Late's points and nothing of Early's yet: not (0, 0)
    truth = on_server(server, early.customer.id)
    server_account = (Decimal(truth["balance"]), Decimal(truth["pending"]))
    assert stored_account(third, early.customer.id) == server_account
    # The server counts one registration: its replay of both is the sum less the merged
    # registration's welcome bonus (engine/postings.py ``merge``).
    assert late.welcome_points > 0
    assert server_account[0] == own_early[0] + held_late[0] - late.welcome_points


def test_a_merge_adds_up_both_accounts_the_till_holds(server, till):
    """The server's merge change, applied to a till that holds both customers' accounts,
    leaves the kept customer's stored account the sum of the two, lots and all."""
    ledger = till(server, "front")
    sync(ledger)
    kept = service.register_customer(ledger, "+79004440002", name="Kept")
    gone = service.register_customer(ledger, "+79004440003", name="Gone")
    line = [LineInput("a", Decimal("1000.00"), Decimal("1"))]
    service.record_sale(ledger, line, customer_id=kept.customer.id)
    service.adjust_balance(ledger, gone.customer.id, Decimal("70"), "old card")
    service.record_sale(ledger, line * 3, customer_id=gone.customer.id)
    before = [stored_account(ledger, c.customer.id) for c in (kept, gone)]
    assert all(balance > 0 for balance, _ in before)
    with ledger.db.read() as conn:
        cursor = conn.execute(select(t.sync_state.c.cursor)).scalar_one()
    merge = Change(
        cursor=cursor + 1,
        kind="merge",
        key=gone.customer.id,
        payload={"alias": gone.customer.id, "into": kept.customer.id},
    )
    apply_page(ledger, [merge], cursor + 1)
    assert stored_account(ledger, kept.customer.id) == (
        before[0][0] + before[1][0],
        before[0][1] + before[1][1],
    )
    assert service.get_customer(ledger, kept.customer.id).balance == before[0][0] + before[1][0]
