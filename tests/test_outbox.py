"""The outbox holds every event, in order, until the server has it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cashier_app import service
from cashier_app.cli import main
from cashier_app.engine.receipt import LineInput
from cashier_app.sync import outbox

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")


def test_every_operation_waits_in_the_outbox_in_device_order(ledger):
    cid = service.register_customer(ledger, "+79001234567").customer.id
    sale = service.record_sale(
        ledger, [LineInput("a", Decimal("100.00"), Decimal(1))], customer_id=cid
    )
    service.adjust_balance(ledger, cid, Decimal("5"), "goodwill")
    assert outbox.queued_count(ledger) == 3
    batch = outbox.next_batch(ledger)
    assert [(e.device_seq, e.kind) for e in batch] == [
        (1, "customer_registered"),
        (2, "sale"),
        (3, "adjustment"),
    ]
    assert batch[1].payload["number"] == sale.number
    assert batch[1].payload["accrued"] == "3"
    assert outbox.mark_sent(ledger, [e.id for e in batch[:2]], datetime.now(UTC)) == 2
    assert outbox.mark_sent(ledger, [batch[0].id], datetime.now(UTC)) == 0  # idempotent
    assert [e.kind for e in outbox.next_batch(ledger)] == ["adjustment"]
    outbox.mark_failed(ledger, [batch[2].id], "server said no")
    assert outbox.queued_count(ledger) == 1


def test_cli_status_shows_the_queue(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "init"]) == 0
    assert (
        main(
            [
                "--data-dir",
                str(tmp_path),
                "register",
                "--phone",
                "8 900 123 45 67",
                "--name",
                "Анна",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path), "status"]) == 0
    out = capsys.readouterr().out
    assert "1 event(s) kept to send if enrolled" in out and "program    version 1" in out
