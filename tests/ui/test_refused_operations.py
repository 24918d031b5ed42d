"""The manager sees, in the status bar and under Manage, the operations the central server
refused, and sends one again or marks it reviewed; a cashier sees neither. Judged by what
the ledger holds afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.storage import schema as t
from cashier_app.sync import outbox
from cashier_app.ui.refused_dialog import RefusedDialog
from tests.ui.conftest import when_modal

LATTE = [LineInput("latte", Decimal("250.00"), Decimal("1"), category="coffee")]
REASON = "invalid_event: at: dated in the future; is the till's clock ahead?"


def a_refused_sale(ledger, number: str) -> str:
    service.record_sale(ledger, LATTE, number=number)
    with ledger.db.read() as conn:
        event_id = conn.execute(
            select(t.receipts.c.event_id).where(t.receipts.c.number == number)
        ).scalar_one()
    outbox.refuse(ledger, [(event_id, REASON)], datetime.now(UTC))
    return event_id


def test_the_manager_sends_a_refused_sale_again_from_the_window(qtbot, open_window, store):
    ledger, _ = store
    event_id = a_refused_sale(ledger, "R-1")
    window = open_window("manager")
    qtbot.waitUntil(lambda: window.refused_label.isVisible())
    assert "1" in window.refused_label.text()
    assert window.refused_action.isVisible()

    def send(dialog: RefusedDialog) -> None:
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
        assert "R-1" in dialog.table.item(0, 1).text()
        assert "clock" in dialog.table.item(0, 3).text()
        dialog.table.selectRow(0)
        dialog.send_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 0)
        dialog.accept()

    when_modal(RefusedDialog, send)
    window.refused_action.trigger()

    with ledger.db.read() as conn:
        queued = conn.execute(select(t.outbox.c.event_id).where(t.outbox.c.sent_at.is_(None)))
        assert event_id in set(queued.scalars())
        assert conn.execute(select(t.refused_events)).first() is None
        actions = set(conn.execute(select(t.audit_log.c.action)).scalars())
    assert "refused_event_sent_again" in actions
    qtbot.waitUntil(lambda: not window.refused_label.isVisible())


def test_a_reviewed_refusal_stays_in_the_list_of_reviewed_ones(qtbot, open_window, store):
    ledger, _ = store
    event_id = a_refused_sale(ledger, "R-2")
    window = open_window("manager")

    def review(dialog: RefusedDialog) -> None:
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
        dialog.table.selectRow(0)
        dialog.reviewed_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 0)
        dialog.show_reviewed.setChecked(True)
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
        assert "Мария" in dialog.table.item(0, 1).text()
        dialog.accept()

    when_modal(RefusedDialog, review)
    window.refused_action.trigger()

    with ledger.db.read() as conn:
        row = conn.execute(select(t.refused_events)).one()
        queued = set(conn.execute(select(t.outbox.c.event_id)).scalars())
    assert row.event_id == event_id and row.reviewed_by == "Мария"
    assert event_id not in queued


def test_a_cashier_sees_no_refused_list(qtbot, open_window, store):
    ledger, _ = store
    a_refused_sale(ledger, "R-3")
    window = open_window("cashier")
    qtbot.wait(200)
    QApplication.processEvents()
    assert not window.refused_label.isVisible()
    assert not window.refused_action.isVisible()
