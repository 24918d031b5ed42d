"""A corrupt ledger at start brings up the restore dialog with the newest good backup and
what restoring it would lose; the administrator of the backup restores it and the till
opens with the sales recorded since. Set CASHIER_SCREENSHOTS=DIR to save the dialog."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import backups
from cashier_app.storage import schema as t
from cashier_app.sync import outbox
from cashier_app.ui.app import open_till
from cashier_app.ui.backups.restore_dialog import RestoreDialog, restore_at_start
from cashier_app.ui.tasks import TaskManager
from tests.backups.conftest import ADMIN_PIN, LATTE, Till, break_table
from tests.backups.conftest import till as till
from tests.ui.conftest import when_modal


@pytest.fixture
def tasks():
    manager = TaskManager()
    yield manager
    manager.shutdown()


def damaged_after_a_sale(till: Till, table: str = "audit_log") -> tuple[str, str]:
    """A backup, then a sale it does not hold, then the ledger damaged: the refusal's
    message and the sale's receipt number."""
    backups.make_backup(till.ledger, None, reason="scheduled")
    sale = service.record_sale(till.ledger, LATTE * 3, customer_id=till.anna)
    till.ledger.db.close()
    break_table(till.path, table)
    with pytest.raises(LoyaltyError) as refused:
        open_till(till.folder)
    return refused.value.message, sale.number


def test_a_corrupt_ledger_at_start_is_restored_and_the_till_opens_with_the_kept_sale(
    qtbot, qapp, till: Till, tasks: TaskManager
):
    problem, number = damaged_after_a_sale(till)

    def restore(dialog: RestoreDialog) -> None:
        qtbot.waitUntil(lambda: dialog.plan is not None)
        assert dialog.table.rowCount() == 1 and dialog.table.item(0, 2).text() == "good"
        assert "receipts: 1, other operations: 0" in dialog.loss.text()
        assert "not sent to the central server: 1" in dialog.loss.text()
        assert (
            "database disk image is malformed"
            in dialog.findChild(type(dialog.loss), "restore_problem").text()
        )
        assert dialog.restore_button.isEnabled() and not dialog.accept_loss.isVisible()
        dialog.admin.setText("Admin")
        dialog.pin.setText(ADMIN_PIN)
        if shots := os.environ.get("CASHIER_SCREENSHOTS"):
            dialog.pin.clear()
            dialog.grab().save(str(Path(shots) / "restore.png"))
            dialog.pin.setText(ADMIN_PIN)
        dialog.restore_button.click()

    seen = when_modal(RestoreDialog, restore)
    ledger = restore_at_start(till.folder, problem, tasks, lambda: open_till(till.folder))
    assert seen and ledger is not None
    try:
        with ledger.db.read() as conn:
            numbers = set(conn.execute(select(t.receipts.c.number)).scalars())
        assert number in numbers
        assert outbox.queued_count(ledger) == 3
    finally:
        ledger.db.close()
    assert list(till.folder.glob("ledger.sqlite3.damaged-*"))


def test_a_wrong_pin_keeps_the_dialog_and_quit_leaves_the_ledger_as_it_was(
    qtbot, qapp, till: Till, tasks: TaskManager
):
    problem, _ = damaged_after_a_sale(till)
    before = till.path.read_bytes()

    def wrong_then_quit(dialog: RestoreDialog) -> None:
        qtbot.waitUntil(lambda: dialog.plan is not None)
        dialog.admin.setText("Admin")
        dialog.pin.setText("123456")
        dialog.restore_button.click()
        qtbot.waitUntil(lambda: dialog.error.text() != "")
        assert "PIN" in dialog.error.text() and dialog.isVisible()
        dialog.reject()

    when_modal(RestoreDialog, wrong_then_quit)
    assert restore_at_start(till.folder, problem, tasks, lambda: open_till(till.folder)) is None
    assert till.path.read_bytes() == before


def test_unreadable_sales_need_the_loss_accepted_twice(
    qtbot, qapp, till: Till, tasks: TaskManager, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    problem, number = damaged_after_a_sale(till, table="events")
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes
    )

    def accept_the_loss(dialog: RestoreDialog) -> None:
        qtbot.waitUntil(lambda: dialog.plan is not None)
        assert "cannot be read" in dialog.loss.text()
        assert dialog.accept_loss.isVisible() and not dialog.restore_button.isEnabled()
        dialog.accept_loss.setChecked(True)
        assert dialog.restore_button.isEnabled()
        dialog.admin.setText("Admin")
        dialog.pin.setText(ADMIN_PIN)
        dialog.restore_button.click()

    when_modal(RestoreDialog, accept_the_loss)
    ledger = restore_at_start(till.folder, problem, tasks, lambda: open_till(till.folder))
    assert ledger is not None and len(asked) == 1
    try:
        with ledger.db.read() as conn:
            numbers = set(conn.execute(select(t.receipts.c.number)).scalars())
        assert number not in numbers and len(numbers) == 1  # the backup's, as accepted
    finally:
        ledger.db.close()
