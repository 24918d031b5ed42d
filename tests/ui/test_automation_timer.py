"""The window carries out automatic events by itself: a customer whose birthday bonus falls
due gets it without coming in, the work runs on the writer thread, and a failure is
logged and tried again without troubling the window."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from cashier_app import service
from cashier_app.service.history import messages_since
from cashier_app.storage import schema as t
from cashier_app.ui import automations
from cashier_app.ui.automations import AutomationTimer
from tests.conftest import MSK
from tests.shop import samosale_program

BIRTHDAY = {"points": "500", "days_before": 5, "expiry_days": 14}


def with_birthdays(ledger) -> None:
    doc = samosale_program(birthday=BIRTHDAY)
    doc["version"] = 2
    service.install_program(ledger, doc)


def lot(ledger, lot_id: str):
    with ledger.db.read() as conn:
        return conn.execute(select(t.lots).where(t.lots.c.id == lot_id)).first()


def test_a_birthday_bonus_due_at_start_is_credited_without_any_operation(
    qtbot, store, open_window, clock, monkeypatch
):
    ledger, _ = store
    with_birthdays(ledger)
    # Registered on 20 February, birthday on 4 March: the bonus is due from 27 February
    # 00:00 (five days before), and the window opens on 2 March.
    boris = service.register_customer(
        ledger, "+79005550101", name="Борис", birthday=date(1990, 3, 4),
        at=datetime(2026, 2, 20, 12, 0, tzinfo=MSK),
    ).customer.id  # fmt: skip
    assert lot(ledger, f"birthday:{boris}:2026") is None
    threads: list[threading.Thread] = []
    real = automations.run_automation_batch

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(automations, "run_automation_batch", spy)
    window = open_window()
    refreshed: list[str] = []
    window.tasks.operation_done.connect(lambda changes: refreshed.append(changes.name))
    timer = AutomationTimer(window.ws, window.tasks, window)
    timer.start()
    qtbot.waitUntil(lambda: timer.runs == 1)

    credited = lot(ledger, f"birthday:{boris}:2026")
    assert credited is not None and credited.remaining == Decimal("500")
    assert credited.credited_at == datetime(2026, 2, 27, 0, 0, tzinfo=MSK)
    assert service.get_customer(ledger, boris).balance == Decimal("500")
    assert [m.kind for m in messages_since(ledger, boris)] == ["welcome", "birthday"]
    assert threads and all(th is not threading.main_thread() for th in threads)
    assert refreshed == ["automations"]  # the screens refresh what changed
    # Nothing else is due soon: the next tick is the ten-minute one.
    assert 590 < timer.next_run_in() <= 600


def test_a_bonus_falling_due_while_the_window_is_open_comes_at_the_next_tick(
    qtbot, store, open_window, clock
):
    ledger, _ = store
    with_birthdays(ledger)
    anna = service.register_customer(
        ledger, "+79005550102", name="Анна", birthday=date(1991, 3, 10)
    ).customer.id  # due on 5 March 00:00, and it is 2 March
    window = open_window()
    timer = AutomationTimer(ledger, window.tasks, window, every=0.2)  # a ledger will do too
    timer.start()
    qtbot.waitUntil(lambda: timer.runs >= 2)
    assert lot(ledger, f"birthday:{anna}:2026") is None
    clock.now = datetime(2026, 3, 5, 0, 0, 30, tzinfo=MSK)
    qtbot.waitUntil(lambda: lot(ledger, f"birthday:{anna}:2026") is not None)
    assert service.get_customer(ledger, anna).balance == Decimal("500")
    runs = timer.runs
    qtbot.waitUntil(lambda: timer.runs >= runs + 2)  # later ticks credit nothing again
    with ledger.db.read() as conn:
        credits = conn.execute(
            select(t.lot_movements).where(
                t.lot_movements.c.lot_id == f"birthday:{anna}:2026",
                t.lot_movements.c.kind == "credit",
            )
        ).all()
    assert len(credits) == 1
    assert [m.kind for m in messages_since(ledger, anna)] == ["welcome", "birthday"]


def test_the_next_tick_is_just_after_the_next_due_moment(qtbot, store, open_window, clock):
    ledger, _ = store
    with_birthdays(ledger)
    clock.now = datetime(2026, 3, 4, 23, 59, 30, tzinfo=MSK)
    service.register_customer(
        ledger, "+79005550103", birthday=date(1992, 3, 10),
        at=datetime(2026, 3, 1, 10, 0, tzinfo=MSK),
    )  # fmt: skip  # due on 5 March 00:00, thirty seconds from now
    window = open_window()
    timer = AutomationTimer(window.ws, window.tasks, window)
    timer.start()
    qtbot.waitUntil(lambda: timer.runs == 1)
    assert 29 < timer.next_run_in() <= 31


def test_a_failure_is_logged_and_tried_again_at_the_next_tick(
    qtbot, store, open_window, clock, monkeypatch, caplog
):
    ledger, _ = store
    with_birthdays(ledger)
    boris = service.register_customer(
        ledger, "+79005550104", birthday=date(1990, 3, 4),
        at=datetime(2026, 2, 20, 12, 0, tzinfo=MSK),
    ).customer.id  # fmt: skip
    real = automations.run_automation_batch
    calls: list[int] = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk I/O error")
        return real(*args, **kwargs)

    monkeypatch.setattr(automations, "run_automation_batch", flaky)
    window = open_window()
    timer = AutomationTimer(window.ws, window.tasks, window, every=0.2)
    with caplog.at_level(logging.ERROR, logger="cashier_app.ui.automations"):
        timer.start()
        qtbot.waitUntil(lambda: timer.failures == 1)
        assert window.isVisible()  # the window carries on
        qtbot.waitUntil(lambda: lot(ledger, f"birthday:{boris}:2026") is not None)
    assert "trying again at the next tick" in caplog.text
    assert timer.failures == 1


def test_many_customers_go_in_several_batches_and_a_sale_is_not_held_up(
    qtbot, store, open_window, monkeypatch
):
    ledger, _ = store
    with_birthdays(ledger)
    registered = datetime(2026, 2, 20, 12, 0, tzinfo=MSK)
    ids = [
        service.register_customer(
            ledger, f"+7900555{n:04d}", birthday=date(1990, 3, 4), at=registered
        ).customer.id
        for n in range(automations.WINDOW_BATCH * 2 + 10)
    ]
    window = open_window()
    timer = AutomationTimer(window.ws, window.tasks, window)
    order: list[str] = []
    real = automations.run_automation_batch

    def batch(*args, **kwargs):
        order.append("batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(automations, "run_automation_batch", batch)
    timer.start()
    # Queued behind the first batch: it runs before the second.
    window.tasks.write(lambda: order.append("sale"))
    qtbot.waitUntil(lambda: timer.runs == 1, timeout=20_000)
    assert order[:3] == ["batch", "sale", "batch"]
    assert order.count("batch") == 3
    for cid in ids:
        assert lot(ledger, f"birthday:{cid}:2026") is not None
    assert timer.failures == 0
