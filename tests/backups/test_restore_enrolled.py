"""An enrolled till restored from a backup, against a real central server: the sale the
server already holds and the one it does not are both carried over; the unsent one goes
out at the next sync, and the server stores every sale once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from cashier_app import service
from cashier_app.service import backups, users
from cashier_app.service.restore import plan_restore, restore_backup
from cashier_app.storage import schema as t
from cashier_app.sync import outbox, worker
from central_server import schema as s
from tests.backups.conftest import ADMIN_PIN, LATTE, break_table
from tests.sync.conftest import sqlite_server as sqlite_server
from tests.sync.conftest import till as till


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def test_an_enrolled_till_restored_sends_what_it_had_not_and_nothing_twice(
    sqlite_server, till, tmp_path
):
    a = till(sqlite_server, "A")
    users.create_user(
        a, "Admin", users.Role.ADMINISTRATOR, ADMIN_PIN, actor=users.OPERATOR, from_server=True
    )
    anna = service.register_customer(a, "+79001234567", name="Анна").customer.id
    service.record_sale(a, LATTE, customer_id=anna)
    sync(a)
    made = backups.make_backup(a, None, reason="scheduled")
    sent = service.record_sale(a, LATTE * 2, customer_id=anna)
    sync(a)  # the server holds this one
    unsent = service.record_sale(a, LATTE * 3, customer_id=anna)
    with a.db.read() as conn:
        balance = conn.execute(
            select(t.accounts.c.balance).where(t.accounts.c.customer_id == anna)
        ).scalar_one()
    folder = a.db.path.parent
    a.db.close()
    break_table(folder / "ledger.sqlite3", "audit_log")

    plan = plan_restore(folder, made.path)
    assert (plan.loss.receipts, plan.loss.unsent) == (2, 1)
    restore_backup(folder, made.path, name="Admin", pin=ADMIN_PIN)

    a = service.open_ledger(folder)
    try:
        queued = {e.id for e in outbox.next_batch(a)}
        assert queued == {unsent.event_id}  # the one the server holds is not sent again
        sync(a)
        assert outbox.queued_count(a) == 0
        with sqlite_server.store.engine.connect() as conn:
            stored = Counter(conn.execute(select(s.events.c.id)).scalars())
        assert stored[sent.event_id] == 1 and stored[unsent.event_id] == 1
        assert set(stored.values()) == {1}
        with a.db.read() as conn:
            after = conn.execute(
                select(t.accounts.c.balance).where(t.accounts.c.customer_id == anna)
            ).scalar_one()
            numbers = set(conn.execute(select(t.receipts.c.number)).scalars())
        assert after == balance
        assert {sent.number, unsent.number} <= numbers
    finally:
        a.db.close()
