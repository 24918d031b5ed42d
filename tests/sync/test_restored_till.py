"""A till restored from a copy of its ledger syncs on: the server refuses its new events
as ``sequence_reused`` (it holds later events of this device), the till sends its unsent
events again numbered after the server's last, and every sale ends on the server once."""

from __future__ import annotations

import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.service.ledger_file import DB_NAME
from cashier_app.sync import outbox, worker
from central_server import schema as s

LATTE = [LineInput("latte", Decimal("250.00"), Decimal("1"), category="coffee")]


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def server_events(srv) -> list[tuple[str, int, str]]:
    with srv.store.engine.connect() as conn:
        rows = conn.execute(
            select(s.events.c.id, s.events.c.device_seq, s.events.c.kind).order_by(
                s.events.c.device_seq
            )
        ).all()
    return [(r.id, r.device_seq, r.kind) for r in rows]


def local_event_ids(ledger) -> set[str]:
    from cashier_app.storage import schema as t

    with ledger.db.read() as conn:
        return set(conn.execute(select(t.events.c.id)).scalars())


def copy_ledger(folder: Path, to: Path) -> None:
    to.mkdir()
    for f in folder.iterdir():
        if f.name.startswith(DB_NAME):
            shutil.copy2(f, to / f.name)


def restore(copy: Path, folder: Path) -> None:
    for f in folder.iterdir():
        if f.name.startswith(DB_NAME):
            f.unlink()
    for f in copy.iterdir():
        shutil.copy2(f, folder / f.name)


def test_a_till_restored_from_a_copy_syncs_on_and_every_sale_is_stored_once(
    sqlite_server, till, tmp_path
):
    a = till(sqlite_server, "A")
    anna = service.register_customer(a, "+79001234567", name="Анна")
    service.record_sale(a, LATTE, customer_id=anna.customer.id)
    sync(a)
    unsent_at_copy = service.record_sale(a, LATTE)  # queued when the copy is taken
    a.db.close()
    copy_ledger(tmp_path / "A", tmp_path / "copy")

    a = service.open_ledger(tmp_path / "A")
    service.record_sale(a, LATTE)  # lost with the machine...
    sync(a)  # ...but the server has it, and the sale queued at the copy
    lost = local_event_ids(a)
    a.db.close()

    restore(tmp_path / "copy", tmp_path / "A")
    a = service.open_ledger(tmp_path / "A")
    restored = local_event_ids(a)
    # more new sales than the lost machine made: some numbers the server holds, some not
    for _ in range(3):
        service.record_sale(a, LATTE, customer_id=anna.customer.id)
    done = sync(a)
    assert done.queued == 0 and outbox.queued_count(a) == 0
    stored = server_events(sqlite_server)
    ids = [e[0] for e in stored]
    assert len(ids) == len(set(ids))  # nothing twice
    assert set(ids) == lost | local_event_ids(a)  # every event of both lives
    assert [e[1] for e in stored] == list(range(1, len(stored) + 1))  # no gap, no reuse
    assert Counter(e[2] for e in stored)["sale"] == 2 + 1 + 3
    assert unsent_at_copy.number  # the queued sale went once (duplicate, marked sent)
    assert restored <= set(ids)

    # and it syncs on: the next sale goes out at the next number
    service.record_sale(a, LATTE)
    assert sync(a).pushed == 1
    assert len(server_events(sqlite_server)) == len(stored) + 1
    a.db.close()
