"""A new till's first pull comes as the server's snapshot: the till ends with exactly the
rows a till that pulled the whole feed has, and a broken or malformed snapshot page changes
nothing in the ledger."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.storage import schema as t
from cashier_app.sync import snapshot, worker
from cashier_app.sync.client import SyncError

BIG = [LineInput("tv", Decimal("10000.00"), Decimal("1"), category="tv")]
# Columns that say when this till wrote the row, not what the row is.
LOCAL_MOMENTS = {"updated_at", "next_due_at", "issued_at"}


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def rows(ledger, table) -> list[tuple]:
    columns = [c for c in table.columns if c.name not in LOCAL_MOMENTS]
    with ledger.db.read() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*columns)))


def shop_with_customers(server, till):
    a = till(server, "A")
    for n, name in enumerate(["Анна", "Борис", "Вера"]):
        customer = service.register_customer(a, f"+7900123456{n}", name=name).customer
        for _ in range(n + 1):
            service.record_sale(a, BIG, customer_id=customer.id)
    sync(a)
    return a


def test_a_snapshot_gives_a_new_till_what_the_feed_gives(server, till, monkeypatch):
    shop = shop_with_customers(server, till)
    fresh = till(server, "B")
    assert snapshot.wants_snapshot(fresh)
    sync(fresh)

    monkeypatch.setattr(snapshot, "wants_snapshot", lambda ledger: False)
    by_feed = till(server, "C")
    sync(by_feed)

    for table in (t.customers, t.accounts, t.lots, t.cards):
        assert rows(fresh, table) == rows(by_feed, table), table.name
    assert len(rows(fresh, t.customers)) == 3
    vera = service.find_by_phone(fresh, "+79001234562")
    assert service.get_customer(fresh, vera).balance == service.get_customer(shop, vera).balance
    assert service.search_customers(fresh, "Вер")  # the name index was rebuilt
    assert not snapshot.wants_snapshot(fresh)  # the next sync takes the feed


def header(customers: int, last: str | None, *, cursor: int = 5, fmt: int = 3) -> bytes:
    keys = {"after": "", "cursor": cursor, "customers": customers, "format": fmt}
    return json.dumps({**keys, "last": last, "more": False}).encode() + b"\n"


ONE = "00000000-0000-7000-8000-000000000001"
TWO = "00000000-0000-7000-8000-000000000002"


@pytest.mark.parametrize(
    "body",
    [
        b"not gzip at all",
        gzip.compress(header(1, "x") + b'["customer", "x"]\n'),
        gzip.compress(header(2, TWO))[:-6],
        gzip.compress(header(2, TWO)),
        gzip.compress(header(0, None, cursor=-1)),
        gzip.compress(
            header(2, TWO)
            + f'["customer", "{ONE}", "+79001112233", "", null,'.encode()
            + b" null, null, [], null, []]\n"
            + f'["customer", "{TWO}", "+79001112233", "", null,'.encode()
            + b" null, null, [], null, []]\n"
        ),
        gzip.compress(
            header(1, ONE)
            + f'["customer", "{ONE}", "+79001112233", "", null,'.encode()
            + b" null, null, [], [1.5, 0, 0, 0, null, 0, 0, 0, null, null], []]\n"
        ),
        gzip.compress(header(0, None, fmt=2)),
    ],
    ids=[
        "garbage",
        "short line",
        "cut short",
        "missing customers",
        "bad cursor",
        "one phone twice",
        "float amount",
        "other format",
    ],
)
def test_a_broken_snapshot_is_refused_and_changes_nothing(sqlite_server, till, body):
    shop_with_customers(sqlite_server, till)
    fresh = till(sqlite_server, "B")
    client = worker.client_for(fresh)

    class Answer:
        status_code = 200

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def iter_content(self, size):
            yield body

        def close(self):
            pass

    client.session = type("S", (), {"get": lambda self, *a, **k: Answer()})()
    with pytest.raises(SyncError, match=r"malformed|cut short|broke"):
        snapshot.load_snapshot(fresh, client)
    assert rows(fresh, t.customers) == []
    assert snapshot.wants_snapshot(fresh)  # the next sync tries again
    with fresh.db.read() as conn:  # the name index's trigger is back
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'customer_names_ai'"
            ).scalar_one()
            == 1
        )


def test_a_server_without_snapshots_is_pulled_through_the_feed(sqlite_server, till):
    shop_with_customers(sqlite_server, till)
    fresh = till(sqlite_server, "B")
    client = worker.client_for(fresh)
    real = client._session().get

    def get(url, *args, **kwargs):
        if url.endswith("/v1/snapshot"):
            url = url.replace("/v1/snapshot", "/v1/no-such-thing")
        return real(url, *args, **kwargs)

    client.session.get = get  # type: ignore[method-assign]
    worker.sync_once(fresh, client)
    assert len(rows(fresh, t.customers)) == 3
