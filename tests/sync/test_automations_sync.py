"""Automatic events in a network of tills (docs/automations.md): every till and the server
carry them out, and a birthday bonus still counts exactly once on the server and on every
till, for a customer nobody serves and for one who spends it at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.service.automations import BATCH
from cashier_app.storage import schema as t
from cashier_app.sync import worker
from central_server import schema as s
from tests.conftest import MSK
from tests.shop import samosale_program

WELCOME = {"points": "100", "expiry_days": 60}
BIRTHDAY = {"points": "500", "days_before": 5, "expiry_days": 14}
# In UTC, as the tills' and the server's clocks are (shown in the shop's time).
START = datetime(2027, 3, 1, 10, 0, tzinfo=MSK).astimezone(UTC)
BIRTHDAY_DUE = datetime(2027, 3, 5, 0, 0, tzinfo=MSK).astimezone(UTC)  # birthday 10 March


class ShopClock:
    """The time every till and the server read: it runs, and the test moves it on."""

    def __init__(self, start: datetime) -> None:
        self.start, self.shift, self.began = start, timedelta(), time.monotonic()

    def __call__(self) -> datetime:
        return self.start + self.shift + timedelta(seconds=time.monotonic() - self.began)

    def move_to(self, moment: datetime) -> None:
        self.shift += moment - self()


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the server did not get there in time"
        time.sleep(0.05)


def on_server(srv, cid: str) -> dict:
    with srv.store.engine.connect() as conn:
        snap = conn.execute(
            select(s.accounts.c.snapshot).where(s.accounts.c.customer_id == cid)
        ).scalar_one()
    return json.loads(snap)


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps no zone


def server_balance(srv, cid: str) -> Decimal:
    return Decimal(on_server(srv, cid)["balance"])


def birthday_lots_on_server(srv, cid: str) -> list[Decimal]:
    lots = on_server(srv, cid)["lots"]
    return [Decimal(lot["points"]) for lot in lots if lot["kind"] == "birthday"]


def birthday_lots(ledger, cid: str) -> list[Decimal]:
    with ledger.db.read() as conn:
        return list(
            conn.execute(
                select(t.lots.c.points).where(
                    t.lots.c.customer_id == cid, t.lots.c.kind == "birthday"
                )
            ).scalars()
        )


@pytest.fixture
def network(server, till):
    """The server and tills A and B on one shop clock, with a program that has birthdays."""
    clock = ShopClock(START)
    server.store.clock = clock
    doc = samosale_program(welcome=WELCOME, birthday=BIRTHDAY)
    doc["version"] = 2
    server.store.publish_program(doc)
    a, b = till(server, "A"), till(server, "B")
    for ledger in (a, b):
        ledger.clock = clock
        sync(ledger)  # the program with birthdays
    return server, clock, a, b


def test_a_birthday_bonus_nobody_comes_for_counts_once_on_the_server_and_both_tills(network):
    server, clock, a, b = network
    anna = service.register_customer(
        a, "+79001234567", name="Анна", birthday=date(1990, 3, 10)
    ).customer.id
    sync(a)
    sync(b)
    assert service.get_customer(b, anna).balance == Decimal("100")

    clock.move_to(BIRTHDAY_DUE + timedelta(seconds=30))
    # Each till's own timer credits the bonus; so does the server's replayer, by its clock.
    for ledger in (a, b):
        [event] = service.run_automations(ledger)
        assert (event.kind, event.points) == ("birthday", Decimal("500"))
        assert service.get_customer(ledger, anna).balance == Decimal("600")
    wait_for(lambda: server_balance(server, anna) == Decimal("600"))
    for ledger in (a, b, a, b):
        sync(ledger)
        assert service.run_automations(ledger) == []  # already done

    assert server_balance(server, anna) == Decimal("600")
    assert birthday_lots_on_server(server, anna) == [Decimal("500")]
    for ledger in (a, b):
        assert service.get_customer(ledger, anna).balance == Decimal("600")
        assert birthday_lots(ledger, anna) == [Decimal("500")]
    # Nothing automatic travelled as an event: the server has the registration alone.
    with server.store.engine.connect() as conn:
        kinds = conn.execute(select(s.events.c.kind)).scalars().all()
    assert kinds == ["customer_registered"]


def test_a_bonus_spent_at_a_till_that_credited_it_itself_counts_once(network):
    server, clock, a, b = network
    anna = service.register_customer(
        a, "+79001234567", name="Анна", birthday=date(1990, 3, 10)
    ).customer.id
    sync(a)
    sync(b)
    clock.move_to(BIRTHDAY_DUE + timedelta(hours=10))
    service.run_automations(b)
    # Anna comes to B and spends everything the receipt allows, bonus included, before B
    # has synced since the bonus fell due.
    sale = service.record_sale(
        b, [LineInput("tv", Decimal("2000.00"), Decimal("1"))], customer_id=anna, redeem="max"
    )
    assert sale.quote.redeemed == Decimal("600")  # 100 welcome + 500 birthday
    here = service.get_customer(b, anna).balance
    assert here == Decimal("42")  # 3% of the 1,400 paid
    for ledger in (b, a, b):
        sync(ledger)
    service.run_automations(a)
    sync(a)
    assert server_balance(server, anna) == here
    assert birthday_lots_on_server(server, anna) == []  # spent
    for ledger in (a, b):
        assert service.get_customer(ledger, anna).balance == here
    assert server.store.reconciliation() == []  # no overdraft: the bonus was there once


def test_a_till_that_pulls_an_older_account_derives_the_bonus_again_not_twice(network, monkeypatch):
    server, clock, a, b = network
    anna = service.register_customer(
        a, "+79001234567", name="Анна", birthday=date(1990, 3, 10)
    ).customer.id
    sync(a)
    sync(b)
    clock.move_to(BIRTHDAY_DUE - timedelta(hours=14))  # 4 March, 10:00
    service.record_sale(b, [LineInput("tea", Decimal("100.00"), Decimal("1"))], customer_id=anna)
    sync(b)  # the server replays Anna as of 4 March: no bonus yet
    before = server_balance(server, anna)
    assert before == Decimal("103")
    # The server's own run is late, so A will pull Anna's 4 March account (no bonus).
    monkeypatch.setattr(server.store, "run_automations", lambda batch=200: 0)
    clock.move_to(BIRTHDAY_DUE + timedelta(seconds=30))
    service.run_automations(a)  # A credits the bonus while offline (not knowing of the tea)
    assert service.get_customer(a, anna).balance == Decimal("600")
    sync(a)
    assert birthday_lots(a, anna) == []  # the stored account is the server's, without it
    # (what the cashier sees counts what is due by now, in memory: the bonus once)
    assert service.get_customer(a, anna).balance == before + 500
    service.run_automations(a)  # the same lot again, by its id: once
    assert service.get_customer(a, anna).balance == before + 500
    assert birthday_lots(a, anna) == [Decimal("500")]

    monkeypatch.undo()  # the server catches up
    wait_for(lambda: server_balance(server, anna) == before + 500)
    for ledger in (a, b):
        sync(ledger)
        service.run_automations(ledger)
        assert service.get_customer(ledger, anna).balance == before + 500
        assert birthday_lots(ledger, anna) == [Decimal("500")]
    assert birthday_lots_on_server(server, anna) == [Decimal("500")]
    # and Anna is congratulated once by till A, though it credited the bonus twice
    with a.db.read() as conn:
        told = conn.execute(
            select(func.count())
            .select_from(t.customer_messages)
            .where(
                t.customer_messages.c.customer_id == anna, t.customer_messages.c.kind == "birthday"
            )
        ).scalar_one()
    assert told == 1


def test_a_run_after_pulling_many_accounts_finishes(network):
    """A pulled account is marked "look again now"; a run over more of them than a batch
    holds must still come to an end (it once picked the same customers forever)."""
    _, clock, a, b = network
    for n in range(BATCH + 10):
        service.register_customer(a, f"+7900100{n:04d}")
    sync(a)
    sync(b)
    with b.db.read() as conn:
        looked = conn.execute(
            select(func.count()).where(t.accounts.c.next_due_at <= clock())
        ).scalar_one()
    assert looked >= BATCH + 10
    finished = threading.Event()
    threading.Thread(
        target=lambda: (service.run_automations(b), finished.set()), daemon=True
    ).start()
    assert finished.wait(30), "the automation run did not finish"
    with b.db.read() as conn:
        assert (
            conn.execute(
                select(func.count()).where(t.accounts.c.next_due_at <= clock())
            ).scalar_one()
            == 0
        )


def test_a_look_that_changes_nothing_sends_the_tills_nothing(network):
    """After migration s0006 every account is looked at once (its next moment is not known
    yet): a look finds the real moment and, with nothing due, puts nothing in the feed."""
    server, clock, a, _ = network
    anna = service.register_customer(a, "+79001234567", birthday=date(1990, 3, 10)).customer.id
    sync(a)
    a_ = s.accounts.c
    with server.store.engine.begin() as conn:
        cursor = conn.execute(select(func.max(s.changes.c.cursor))).scalar_one()
        conn.execute(s.accounts.update().values(next_due_at=a_.updated_at))  # as s0006 does

    def looked() -> bool:
        with server.store.engine.connect() as conn:
            due = conn.execute(select(a_.next_due_at).where(a_.customer_id == anna)).scalar_one()
        return utc(due) > clock()

    wait_for(looked)  # the replayer looked at Anna
    with server.store.engine.connect() as conn:
        assert conn.execute(select(func.max(s.changes.c.cursor))).scalar_one() == cursor
        due = conn.execute(select(a_.next_due_at).where(a_.customer_id == anna)).scalar_one()
    assert utc(due) == BIRTHDAY_DUE


def test_a_shop_west_of_utc_is_not_looked_at_hours_early(sqlite_server, till):
    """SQLite keeps a moment's wall time without its zone, so the server stores due moments
    in UTC, as its clock is: New York's local midnight is 05:00 UTC, not 00:00."""
    clock = ShopClock(datetime(2027, 3, 1, 15, 0, tzinfo=UTC))
    sqlite_server.store.clock = clock
    doc = samosale_program(welcome=WELCOME, birthday=BIRTHDAY)
    doc["version"], doc["timezone"] = 2, "America/New_York"
    sqlite_server.store.publish_program(doc)
    a = till(sqlite_server, "A")
    a.clock = clock
    sync(a)
    anna = service.register_customer(a, "+79001234567", birthday=date(1990, 3, 10)).customer.id
    sync(a)
    with sqlite_server.store.engine.connect() as conn:
        due = conn.execute(
            select(s.accounts.c.next_due_at).where(s.accounts.c.customer_id == anna)
        ).scalar_one()
    assert utc(due) == datetime(2027, 3, 5, 5, 0, tzinfo=UTC)
    clock.move_to(datetime(2027, 3, 5, 2, 0, tzinfo=UTC))  # 4 March, 21:00 in New York
    assert sqlite_server.store.run_automations() == 0
    assert server_balance(sqlite_server, anna) == Decimal("100")
