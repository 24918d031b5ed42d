"""An operation the server refuses for good leaves the queue for a list the manager reads;
the sales behind it still reach the server, and a manager may send it again once the
cause is gone. Judged by what the server stored and what the till's ledger holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.service import refused
from cashier_app.service.users import Actor, Role
from cashier_app.storage import schema as t
from cashier_app.sync import outbox, worker
from central_server import schema as s
from tests.conftest import add_cli_admin, run_cli

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

LATTE = [LineInput("latte", Decimal("250.00"), Decimal("1"), category="coffee")]
CASHIER = Actor(None, "Anna", Role.CASHIER)
MANAGER = Actor(None, "Olga", Role.MANAGER)


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def on_server(srv) -> dict[str, int]:
    with srv.store.engine.connect() as conn:
        rows = conn.execute(select(s.events.c.id, s.events.c.device_seq)).all()
    return {r.id: r.device_seq for r in rows}


def sale_event(ledger, receipt_number: str) -> str:
    with ledger.db.read() as conn:
        return conn.execute(
            select(t.receipts.c.event_id).where(t.receipts.c.number == receipt_number)
        ).scalar_one()


def test_a_sale_dated_tomorrow_is_set_aside_and_the_sales_after_it_still_go_out(server, till):
    ledger = till(server, "till-1")
    now = datetime.now(UTC)
    service.record_sale(ledger, LATTE, number="A-1")
    service.record_sale(ledger, LATTE, number="A-2", at=now + timedelta(days=1))
    service.record_sale(ledger, LATTE, number="A-3")

    done = sync(ledger)

    stored = on_server(server)
    assert sale_event(ledger, "A-1") in stored
    assert sale_event(ledger, "A-3") in stored
    assert sale_event(ledger, "A-2") not in stored
    # the server takes a device's events without gaps: A-3 went out numbered after A-1
    assert sorted(stored.values()) == list(range(1, len(stored) + 1))
    assert done.queued == 0
    assert done.refused == 1

    waiting = refused.refused_operations(ledger, actor=MANAGER)
    assert [(op.kind, op.receipt_number) for op in waiting] == [("sale", "A-2")]
    assert "future" in waiting[0].reason
    # the sale stays recorded on this till: its receipt, its money
    with ledger.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.receipts)).scalar_one() == 3


def test_a_refused_sale_sent_again_after_the_cause_is_gone_is_stored_once(server, till):
    ledger = till(server, "till-1")
    soon = datetime.now(UTC) + timedelta(hours=1)
    service.record_sale(ledger, LATTE, number="B-1", at=soon)
    sync(ledger)
    [op] = refused.refused_operations(ledger, actor=MANAGER)

    refused.send_again(ledger, op.event_id, actor=MANAGER)
    assert refused.refused_operations(ledger, actor=MANAGER) == []
    assert outbox.queued_count(ledger) == 1
    # still an hour ahead of the server: refused again, and listed again
    sync(ledger)
    assert [o.event_id for o in refused.refused_operations(ledger, actor=MANAGER)] == [op.event_id]

    server.store.clock = lambda: soon + timedelta(minutes=1)  # the hour has passed
    refused.send_again(ledger, op.event_id, actor=MANAGER)
    sync(ledger)
    sync(ledger)
    assert list(on_server(server)).count(op.event_id) == 1
    assert outbox.queued_count(ledger) == 0
    assert refused.refused_operations(ledger, actor=MANAGER, include_reviewed=True) == []
    with ledger.db.read() as conn:
        actions = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert actions.count("refused_event_sent_again") == 2


def test_a_reviewed_refusal_leaves_the_warning_but_stays_listed(sqlite_server, till):
    ledger = till(sqlite_server, "till-1")
    service.record_sale(ledger, LATTE, number="C-1", at=datetime.now(UTC) + timedelta(days=2))
    assert sync(ledger).refused == 1
    [op] = refused.refused_operations(ledger, actor=MANAGER)

    refused.mark_reviewed(ledger, op.event_id, actor=MANAGER)

    assert worker.status(ledger).refused == 0
    assert refused.refused_operations(ledger, actor=MANAGER) == []
    [seen] = refused.refused_operations(ledger, actor=MANAGER, include_reviewed=True)
    assert seen.reviewed_by == "Olga"


def test_a_cashier_may_not_read_or_resend_the_refused_list(sqlite_server, till):
    ledger = till(sqlite_server, "till-1")
    service.record_sale(ledger, LATTE, number="D-1", at=datetime.now(UTC) + timedelta(days=2))
    sync(ledger)
    [op] = refused.refused_operations(ledger, actor=MANAGER)
    for attempt in (
        lambda: refused.refused_operations(ledger, actor=CASHIER),
        lambda: refused.send_again(ledger, op.event_id, actor=CASHIER),
        lambda: refused.mark_reviewed(ledger, op.event_id, actor=CASHIER),
    ):
        with pytest.raises(LoyaltyError) as caught:
            attempt()
        assert caught.value.code == "not_allowed"
    assert len(refused.refused_operations(ledger, actor=MANAGER)) == 1


def test_an_unknown_event_id_is_a_clear_refusal(sqlite_server, till):
    ledger = till(sqlite_server, "till-1")
    with pytest.raises(LoyaltyError) as caught:
        refused.send_again(ledger, "no-such-event", actor=MANAGER)
    assert caught.value.code == "unknown_refused_event"


def test_the_command_line_lists_resends_and_marks_refused_operations(sqlite_server, till, capsys):
    ledger = till(sqlite_server, "till-1")
    service.record_sale(ledger, LATTE, number="E-1", at=datetime.now(UTC) + timedelta(days=2))
    service.record_sale(ledger, LATTE, number="E-2", at=datetime.now(UTC) + timedelta(days=3))
    sync(ledger)
    first, second = refused.refused_operations(ledger, actor=MANAGER)
    folder = ledger.db.path.parent
    add_cli_admin(ledger)

    code, out, err = run_cli(folder, capsys, "refused")
    assert code == 0, err
    assert "E-1" in out and "E-2" in out and first.event_id in out and "future" in out

    code, out, _ = run_cli(folder, capsys, "status")
    assert "2 operation(s) refused by the server" in out

    code, out, err = run_cli(folder, capsys, "refused", "--send-again", first.event_id)
    assert code == 0, err
    code, out, err = run_cli(folder, capsys, "refused", "--reviewed", second.event_id)
    assert code == 0, err
    code, out, _ = run_cli(folder, capsys, "refused")
    assert out.strip() == "no refused operations wait for review"
    assert outbox.queued_count(ledger) == 1

    code, _, err = run_cli(folder, capsys, "refused", "--send-again", "nonsense")
    assert code != 0 and "no refused operation" in err
