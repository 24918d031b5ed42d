"""Restore: a corrupt ledger replaced by the newest good backup, with everything recorded
since carried over (receipts, lots, balances, the outbox); refused for another till's
backup, for someone who may not restore, and when what was recorded since cannot be read
unless the loss is accepted; the damaged file is always kept."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service import backups, users
from cashier_app.service.consistency import check_accounts
from cashier_app.service.ledger import Ledger
from cashier_app.service.restore import plan_restore, restore_backup
from cashier_app.storage import schema as t
from cashier_app.sync import outbox
from tests.backups.conftest import ADMIN_PIN, LATTE, Till, break_table


def balances(ledger: Ledger) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(
                t.accounts.c.customer_id,
                t.accounts.c.balance,
                t.accounts.c.pending,
                t.accounts.c.tier_basis,
            )
        ).all()
    return {r.customer_id: (r.balance, r.pending, r.tier_basis) for r in rows}


def open_lots(ledger: Ledger) -> dict[str, Decimal]:
    with ledger.db.read() as conn:
        rows = conn.execute(select(t.lots.c.id, t.lots.c.remaining)).all()
    return {r.id: r.remaining for r in rows if r.remaining}


def receipt_numbers(ledger: Ledger) -> list[str]:
    with ledger.db.read() as conn:
        return list(
            conn.execute(select(t.receipts.c.number).order_by(t.receipts.c.number)).scalars()
        )


def test_a_corrupt_ledger_is_restored_with_the_sales_recorded_since_kept(till: Till, clock):
    ledger = till.ledger
    sold_before = service.record_sale(ledger, LATTE, customer_id=till.anna)
    outbox.mark_sent(ledger, [sold_before.event_id], clock.now)  # the server has this one
    made = backups.make_backup(ledger, None, reason="scheduled")
    clock.now += timedelta(hours=2)
    # After the backup: a sale, a return of a sale the backup holds, a new customer with a
    # sale of their own, and a manager's adjustment; none of it sent.
    after = service.record_sale(ledger, LATTE * 2, customer_id=till.anna)
    service.record_return(ledger, sold_before.number, [ReturnRequest("latte", Decimal("1"))])
    boris = service.register_customer(ledger, "+79007654321", name="Борис").customer.id
    service.record_sale(ledger, LATTE, customer_id=boris)
    service.adjust_balance(ledger, till.anna, Decimal("15"), "a broken cup", actor=till.manager)
    expected = (balances(ledger), open_lots(ledger), receipt_numbers(ledger))
    queued = outbox.queued_count(ledger)
    ledger.db.close()
    break_table(till.path, "audit_log")  # the ledger fails its check; the sales are readable

    with pytest.raises(LoyaltyError) as refused:
        service.open_ledger(till.folder)
    assert refused.value.code == "ledger_damaged"
    plan = plan_restore(till.folder, made.path)
    assert plan.damaged and not plan.loss.unreadable
    assert (plan.loss.receipts, plan.loss.other, plan.loss.unsent) == (2, 3, 5)

    done = restore_backup(till.folder, made.path, name="Admin", pin=ADMIN_PIN, clock=clock)
    assert done.carried == 5 and done.unsent == 5
    (kept,) = [p for p in done.kept_aside if p.name.startswith("ledger.sqlite3.damaged-")]
    assert kept.exists() and kept.stat().st_size > 0  # never deleted

    restored = service.open_ledger(till.folder, clock=clock)
    try:
        assert (balances(restored), open_lots(restored), receipt_numbers(restored)) == expected
        assert after.number in receipt_numbers(restored)
        assert outbox.queued_count(restored) == queued
        assert sold_before.event_id not in {e.id for e in outbox.next_batch(restored)}
        report = check_accounts(restored)
        assert report.problems == [] and report.customers == 2
        # The till goes on numbering after what the damaged ledger numbered.
        next_sale = service.record_sale(restored, LATTE, customer_id=boris)
        assert next_sale.number not in expected[2]
        with restored.db.read() as conn:
            seqs = list(
                conn.execute(
                    select(t.events.c.device_seq).order_by(t.events.c.device_seq)
                ).scalars()
            )
            audit = list(conn.execute(select(t.audit_log.c.action, t.audit_log.c.actor)))
        assert seqs == list(range(1, len(seqs) + 1))
        assert ("restore_backup", "Admin") in audit
    finally:
        restored.db.close()


def test_a_backup_of_another_till_is_refused(till: Till, make_ledger, clock):
    other = make_ledger(name="other")
    users.create_user(other, "Admin", users.Role.ADMINISTRATOR, ADMIN_PIN, actor=users.OPERATOR)
    theirs = backups.make_backup(other, None)
    till.ledger.db.close()
    before = till.path.read_bytes()
    with pytest.raises(LoyaltyError) as refused:
        restore_backup(till.folder, theirs.path, name="Admin", pin=ADMIN_PIN, clock=clock)
    assert refused.value.code == "backup_other_till"
    assert till.path.read_bytes() == before


def test_a_cashier_or_a_wrong_pin_cannot_restore(till: Till, clock):
    made = backups.make_backup(till.ledger, till.manager)
    till.ledger.db.close()
    before = till.path.read_bytes()
    with pytest.raises(LoyaltyError) as refused:
        restore_backup(till.folder, made.path, name="Анна", pin="1111", clock=clock)
    assert refused.value.code == "not_allowed"
    with pytest.raises(LoyaltyError) as wrong:
        restore_backup(till.folder, made.path, name="Admin", pin="123456", clock=clock)
    assert wrong.value.code == "wrong_pin"
    assert till.path.read_bytes() == before
    assert not list(till.folder.glob("restoring-*"))


def test_unreadable_sales_since_the_backup_refuse_the_restore_unless_the_loss_is_accepted(
    till: Till, clock
):
    made = backups.make_backup(till.ledger, None)
    service.record_sale(till.ledger, LATTE, customer_id=till.anna)
    till.ledger.db.close()
    break_table(till.path, "events")

    plan = plan_restore(till.folder, made.path)
    assert "cannot be read" in plan.loss.unreadable
    with pytest.raises(LoyaltyError) as refused:
        restore_backup(till.folder, made.path, name="Admin", pin=ADMIN_PIN, clock=clock)
    assert refused.value.code == "restore_would_lose"
    assert "--accept-losing-unsent" in refused.value.message
    damaged = till.path.read_bytes()

    done = restore_backup(
        till.folder,
        made.path,
        name="Admin",
        pin=ADMIN_PIN,
        accept_losing_unsent=True,
        clock=clock,
    )
    assert done.carried == 0
    assert any(p.read_bytes() == damaged for p in done.kept_aside)
    restored = service.open_ledger(till.folder, clock=clock)
    try:
        assert len(receipt_numbers(restored)) == 1  # the backup's
        with restored.db.read() as conn:
            (line,) = conn.execute(
                select(t.audit_log.c.details).where(t.audit_log.c.action == "restore_backup")
            ).scalars()
        assert '"loss_accepted": true' in line
    finally:
        restored.db.close()


def test_a_lost_ledger_is_restored_by_the_marker_beside_it(till: Till, clock):
    made = backups.make_backup(till.ledger, None)
    till.ledger.db.close()
    till.path.unlink()
    for side in till.folder.glob("ledger.sqlite3-*"):
        side.unlink()
    with pytest.raises(LoyaltyError, match="missing"):
        service.open_ledger(till.folder)
    restore_backup(till.folder, made.path, name="Admin", pin=ADMIN_PIN, clock=clock)
    restored = service.open_ledger(till.folder, clock=clock)
    try:
        assert len(receipt_numbers(restored)) == 1
    finally:
        restored.db.close()


def test_a_restore_is_refused_while_a_window_or_command_uses_the_ledger(till: Till, clock):
    from cashier_app.service.runs import begin_run

    made = backups.make_backup(till.ledger, None)
    run, _ = begin_run(till.ledger)  # as the window does at start
    assert run is not None
    try:
        with pytest.raises(LoyaltyError) as refused:
            restore_backup(till.folder, made.path, name="Admin", pin=ADMIN_PIN, clock=clock)
        assert refused.value.code == "ledger_in_use"
    finally:
        run.close()
    till.ledger.db.close()
    restore_backup(till.folder, made.path, name="Admin", pin=ADMIN_PIN, clock=clock)


def movements_and_messages(ledger: Ledger) -> tuple[list[tuple], list[tuple]]:
    m, cm = t.lot_movements, t.customer_messages
    with ledger.db.read() as conn:
        moves = conn.execute(
            select(m.c.customer_id, m.c.lot_id, m.c.kind, m.c.points, m.c.at).order_by(
                m.c.at, m.c.lot_id, m.c.kind
            )
        ).all()
        told = conn.execute(select(cm.c.customer_id, cm.c.kind, cm.c.at).order_by(cm.c.at)).all()
    return [tuple(r) for r in moves], [tuple(r) for r in told]


def test_automatic_events_since_the_backup_keep_their_log_and_messages(till: Till, clock):
    made = backups.make_backup(till.ledger, None)
    clock.now += timedelta(days=400)  # Anna's points become available, then expire
    service.run_automations(till.ledger, clock.now)
    service.record_sale(till.ledger, LATTE, customer_id=till.anna)
    expected = (movements_and_messages(till.ledger), balances(till.ledger))
    assert any(kind == "expire" for _, _, kind, _, _ in expected[0][0]), expected[0][0]
    till.ledger.db.close()
    break_table(till.path, "audit_log")

    restore_backup(till.folder, made.path, name="Admin", pin=ADMIN_PIN, clock=clock)
    restored = service.open_ledger(till.folder, clock=clock)
    try:
        assert (movements_and_messages(restored), balances(restored)) == expected
        assert check_accounts(restored).problems == []
    finally:
        restored.db.close()
