"""The window's writes as operations: the result to ``success``, then what changed to
every screen through ``operation_done``; the checkout follows a change to its customer."""

from __future__ import annotations

from decimal import Decimal

from cashier_app import service
from cashier_app.ui.checkout import points_text
from cashier_app.ui.operations import CollectionOp, OpChanges

LATTE = "4600000000015"


def test_a_sale_tells_the_screens_its_customer_and_receipt(qtbot, open_window, anna):
    window = open_window()
    co = window.checkout
    heard: list[OpChanges] = []
    window.tasks.operation_done.connect(heard.append)
    co.set_customer(anna.customer)
    co.handle_code(LATTE)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1 and co.cash_button.isEnabled())
    co.pay("cash")
    qtbot.waitUntil(lambda: bool(heard))
    assert heard == [
        OpChanges("sale", frozenset({anna.customer.id}), receipt=co.last_sale.number, sync=True)
    ]


def test_the_open_receipt_shows_points_another_operation_gave(qtbot, open_window, store, anna):
    ledger, _ = store
    window = open_window()
    co = window.checkout
    co.set_customer(anna.customer)
    before = co.customer.balance
    results: list[object] = []
    op = CollectionOp(
        window.tasks,
        lambda: service.adjust_balance(ledger, anna.customer.id, Decimal("100"), "gift"),
        lambda _: OpChanges("adjust", frozenset({anna.customer.id}), sync=True),
    )
    op.success(results.append).run_in_background()
    qtbot.waitUntil(lambda: co.customer.balance == before + 100)
    assert len(results) == 1
    assert points_text(before + 100) in co.customer_points.text()


def test_a_refusal_goes_to_failure_and_changes_nothing(qtbot, open_window):
    from cashier_app.engine.errors import LoyaltyError

    window = open_window()
    heard: list[OpChanges] = []
    window.tasks.operation_done.connect(heard.append)
    refused: list[BaseException] = []

    def refuse() -> None:
        raise LoyaltyError("not_allowed", "no")

    op = CollectionOp(window.tasks, refuse, lambda _: OpChanges("nothing", sync=True))
    op.failure(refused.append).run_in_background()
    qtbot.waitUntil(lambda: bool(refused))
    assert isinstance(refused[0], LoyaltyError) and heard == []
