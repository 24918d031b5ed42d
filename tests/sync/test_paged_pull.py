"""A new till's first pull page by page (docs/sync.md: the first pull): the server is asked
for the customers after the last one stored; a broken download goes on from the page after
the last stored at the next sync; changes made while the pages were read reach the till
through the feed pulled from the earliest page's cursor; the staging file is private and
trusted only for the snapshot it was made for."""

from __future__ import annotations

import gzip
import json
import logging
import sqlite3
import stat
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.anonymise import anonymised_phone
from cashier_app.engine.receipt import LineInput
from cashier_app.service.customer_changes import anonymise_customer
from cashier_app.service.users import OPERATOR
from cashier_app.storage import schema as t
from cashier_app.storage.staged_pull import FILE_NAME
from cashier_app.sync import snapshot, worker
from cashier_app.sync.client import SyncError

BIG = [LineInput("tv", Decimal("10000.00"), Decimal("1"), category="tv")]
LOCAL_MOMENTS = {"updated_at", "next_due_at", "issued_at"}  # when this till wrote the row
PAGE = 2


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def rows(ledger, table) -> list[tuple]:
    columns = [c for c in table.columns if c.name not in LOCAL_MOMENTS]
    with ledger.db.read() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*columns)))


def cursor_of(ledger) -> int:
    with ledger.db.read() as conn:
        return int(conn.execute(select(t.sync_state.c.cursor)).scalar_one())


def shop(server, till, customers: int = 5):
    a = till(server, "A")
    for n in range(customers):
        customer = service.register_customer(a, f"+7900555000{n}", name=f"Покупатель {n}")
        service.record_sale(a, BIG, customer_id=customer.customer.id)
    sync(a)
    return a


class Asked:
    """The till's client, recording what the server was asked for, and able to break the
    download after a number of pages or run something before a page is asked for."""

    def __init__(self, ledger, *, pages: int | None = None, before=None) -> None:
        self.client = worker.client_for(ledger)
        self.after: list[str] = []
        self.headers: list[dict] = []
        self.pulled_after: list[int] = []
        self.pages, self.before = pages, before
        fetch, pull = self.client.snapshot_page, self.client.pull

        def page(after: str, limit: int) -> list[bytes]:
            if self.pages is not None and len(self.after) >= self.pages:
                raise SyncError("the snapshot download broke: ConnectionError (test)")
            if self.before is not None:
                self.before(after)
            self.after.append(after)
            lines = fetch(after, limit)
            self.headers.append(json.loads(lines[0]))
            return lines

        def pulling(after: int, limit: int = 1000):
            self.pulled_after.append(after)
            return pull(after, limit)

        self.client.snapshot_page = page
        self.client.pull = pulling

    def sync(self, ledger):
        return worker.sync_once(ledger, self.client)


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(snapshot, "PAGE", PAGE)


def by_feed(server, till, monkeypatch, name: str = "by feed"):
    with monkeypatch.context() as m:
        m.setattr(snapshot, "wants_snapshot", lambda ledger: False)
        ledger = till(server, name)
        sync(ledger)
    return ledger


def test_the_snapshot_comes_in_pages_of_customers_in_id_order(server, till, monkeypatch):
    shop(server, till, customers=5)
    fresh = till(server, "B")
    asked = Asked(fresh)
    asked.sync(fresh)

    ids = [r[0] for r in rows(fresh, t.customers)]
    assert asked.after == ["", ids[1], ids[3]]  # after the last one stored, each time
    assert [h["customers"] for h in asked.headers] == [2, 2, 1]
    assert [h["more"] for h in asked.headers] == [True, True, False]
    # the feed from the earliest page's cursor
    assert asked.pulled_after[0] == min(h["cursor"] for h in asked.headers)
    feed = by_feed(server, till, monkeypatch)
    for table in (t.customers, t.accounts, t.lots, t.cards):
        assert rows(fresh, table) == rows(feed, table), table.name
    assert not (fresh.db.path.parent / FILE_NAME).exists()  # the staging file is gone


def test_a_broken_download_goes_on_from_the_page_after_the_last_stored(server, till):
    shop(server, till, customers=5)
    fresh = till(server, "B")
    broken = Asked(fresh, pages=2)
    with pytest.raises(SyncError, match="broke"):
        broken.sync(fresh)
    assert rows(fresh, t.customers) == []  # the ledger shows nothing of it yet
    assert cursor_of(fresh) == 0
    staging = fresh.db.path.parent / FILE_NAME
    assert stat.S_IMODE(staging.stat().st_mode) == 0o600  # like the ledger's other files

    again = Asked(fresh)
    again.sync(fresh)
    ids = [r[0] for r in rows(fresh, t.customers)]
    assert len(ids) == 5
    assert again.after == [ids[3]]  # only the missing page: not from zero
    assert broken.after == ["", ids[1]]
    assert not staging.exists()


def test_changes_between_pages_reach_the_till_through_the_feed(server, till, monkeypatch):
    phone = "+79004440001"
    late_till, early_till, offline = till(server, "late"), till(server, "early"), till(server, "X")
    for ledger in (late_till, early_till, offline):
        sync(ledger)
    early = service.register_customer(early_till, phone, name="Early")  # not pushed yet
    missed = service.register_customer(offline, "+79004440002", name="Missed").customer
    late = service.register_customer(late_till, phone, name="Late")
    sync(late_till)
    a = shop(server, till, customers=5)  # after "late" in id order
    anna_phone = "+79005550000"
    anna, later = service.find_by_phone(a, anna_phone), service.find_by_phone(a, "+79005550004")

    def between_pages(after: str) -> None:
        if after == "" or done:
            return
        done.append(after)
        sync(early_till)  # the earlier registration: the server merges "late" into it
        sync(offline)  # a customer whose id is below the pages already read
        service.record_sale(a, BIG, customer_id=anna)  # a changed account, page 1
        service.record_sale(a, BIG, customer_id=later)  # and one on a later page
        anonymise_customer(a, OPERATOR, anna)  # her phone is free again...
        sync(a)
        time.sleep(1.1)  # the server takes a registration in the erasure's second for an old one
        service.register_customer(a, anna_phone, name="Новая")  # ...and taken, last page
        sync(a)

    done: list[str] = []
    fresh = till(server, "B")
    asked = Asked(fresh, before=between_pages)
    asked.sync(fresh)

    assert done and asked.headers[0]["cursor"] < asked.headers[-1]["cursor"]
    assert asked.pulled_after[0] == asked.headers[0]["cursor"]  # the earliest page's
    feed = by_feed(server, till, monkeypatch)
    for table in (t.customers, t.accounts, t.lots):
        assert rows(fresh, table) == rows(feed, table), table.name
    # The erased customer's card came in the first page, so it stays here switched off, as
    # at every till that knew her before; the feed alone never shows it.
    assert [c for c in rows(fresh, t.cards) if c[-1]] == rows(feed, t.cards)
    kept = service.find_by_phone(fresh, phone)
    assert kept == early.customer.id  # the merge followed
    assert service.find_by_card(fresh, late.card) == early.customer.id
    assert service.find_by_phone(fresh, "+79004440002") == missed.id
    with fresh.db.read() as conn:
        erased = conn.execute(select(t.customers).where(t.customers.c.id == anna)).one()
    assert (erased.phone, erased.name) == (anonymised_phone(anna), "")
    assert service.get_customer(fresh, service.find_by_phone(fresh, anna_phone)).name == "Новая"
    assert service.get_customer(fresh, later).balance == service.get_customer(a, later).balance


def test_a_malformed_later_page_changes_nothing_and_says_where(sqlite_server, till):
    shop(sqlite_server, till, customers=3)
    fresh = till(sqlite_server, "B")
    asked = Asked(fresh)
    fetch = asked.client.snapshot_page

    def bad_second(after: str, limit: int) -> list[bytes]:
        lines = fetch(after, limit)
        if after:
            lines[1] = lines[1].replace(b'"+7900', b'"7900')  # a phone without its +
        return lines

    asked.client.snapshot_page = bad_second
    with pytest.raises(SyncError, match="malformed at line 2 of the page after") as caught:
        asked.sync(fresh)
    assert "has no phone" in str(caught.value)
    assert rows(fresh, t.customers) == []
    assert cursor_of(fresh) == 0
    assert snapshot.wants_snapshot(fresh)

    asked.client.snapshot_page = fetch  # the server mends its ways: the first page stays
    again = Asked(fresh)
    again.sync(fresh)
    assert len(rows(fresh, t.customers)) == 3
    assert again.after[0] != ""


def test_a_staging_file_of_another_enrolment_is_discarded(sqlite_server, till, caplog):
    shop(sqlite_server, till, customers=3)
    fresh = till(sqlite_server, "B")
    with pytest.raises(SyncError):
        Asked(fresh, pages=1).sync(fresh)
    staging = fresh.db.path.parent / FILE_NAME
    with sqlite3.connect(staging) as conn:
        conn.execute("UPDATE meta SET value = 'another-till' WHERE key = 'device'")
    conn.close()

    again = Asked(fresh)
    with caplog.at_level(logging.WARNING):
        again.sync(fresh)
    assert again.after[0] == ""  # from zero: nothing of the other file trusted
    assert "made for another snapshot" in caplog.text
    assert len(rows(fresh, t.customers)) == 3


def test_a_damaged_staging_file_is_discarded(sqlite_server, till, caplog):
    shop(sqlite_server, till, customers=3)
    fresh = till(sqlite_server, "B")
    (fresh.db.path.parent / FILE_NAME).write_bytes(b"not a database" * 100)
    again = Asked(fresh)
    with caplog.at_level(logging.WARNING):
        again.sync(fresh)
    assert again.after[0] == ""
    assert "damaged" in caplog.text
    assert len(rows(fresh, t.customers)) == 3


def test_a_page_answering_another_question_is_refused(sqlite_server, till):
    shop(sqlite_server, till, customers=3)
    fresh = till(sqlite_server, "B")
    asked = Asked(fresh)
    fetch = asked.client.snapshot_page

    def first_page_again(after: str, limit: int) -> list[bytes]:
        return fetch("", limit)

    asked.client.snapshot_page = first_page_again
    with pytest.raises(SyncError, match="malformed at line 1: the page is after ''"):
        asked.sync(fresh)
    assert rows(fresh, t.customers) == []


def test_the_server_pages_by_the_customers_id(sqlite_server, till):
    shop(sqlite_server, till, customers=3)
    store = sqlite_server.store
    first = gzip.decompress(store.snapshot_page("", 2)).splitlines()
    head = json.loads(first[0])
    assert head["customers"] == 2 and head["more"] is True and head["after"] == ""
    assert any(line.startswith(b'["program"') for line in first)
    rest = gzip.decompress(store.snapshot_page(head["last"], 2)).splitlines()
    tail = json.loads(rest[0])
    assert (tail["customers"], tail["more"], tail["after"]) == (1, False, head["last"])
    assert not any(line.startswith(b'["program"') for line in rest)  # the first page's only


def test_a_staging_file_damaged_after_its_pages_were_stored_is_not_kept(sqlite_server, till):
    shop(sqlite_server, till, customers=3)
    fresh = till(sqlite_server, "B")
    with pytest.raises(SyncError):
        Asked(fresh, pages=1).sync(fresh)
    staging = fresh.db.path.parent / FILE_NAME
    with sqlite3.connect(staging) as conn:  # a column gone: the move cannot read it
        conn.execute("ALTER TABLE lots DROP COLUMN warned")
    conn.close()
    with pytest.raises(SyncError, match=r"staging file failed|could not be stored"):
        Asked(fresh).sync(fresh)
    assert rows(fresh, t.customers) == []
    assert not staging.exists()  # the next sync downloads afresh
    again = Asked(fresh)
    again.sync(fresh)
    assert again.after[0] == ""
    assert len(rows(fresh, t.customers)) == 3
