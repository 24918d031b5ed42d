"""Back office → Audit log…: the manager reads who did what, newest first, in the shop's
words and the store's time; filters by action, user and days; older lines come a page at
a time as the list scrolls; the filtered log is saved as CSV. Nothing read on the GUI
thread (tests/ui/test_gui_thread.py's rule, by the task manager's reads)."""

from __future__ import annotations

import csv

import pytest

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import audit, users
from cashier_app.ui.audit_log.dialog import PAGE, AuditLogDialog


@pytest.fixture
def log_of_a_day(store):
    ledger, _ = store
    users.login(ledger, "Анна", "1111")
    with pytest.raises(LoyaltyError):
        users.login(ledger, "Ольга", "0000")
    users.login(ledger, "Мария", "333333")
    return ledger


@pytest.fixture
def screen(qtbot, open_window):
    def make(role: str = "manager") -> AuditLogDialog:
        window = open_window(role)
        dialog = AuditLogDialog(window.ws, window.tasks, window)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.table.rowCount() > 0)
        return dialog

    return make


def column(dialog: AuditLogDialog, index: int) -> list[str]:
    return [dialog.table.item(r, index).text() for r in range(dialog.table.rowCount())]


def test_the_manager_reads_logins_and_wrong_pins_newest_first(qtbot, log_of_a_day, screen):
    dialog = screen()
    actions = column(dialog, 3)
    assert actions[:3] == ["Logged in", "Wrong PIN", "Logged in"]
    assert column(dialog, 1)[:3] == ["Мария", "Ольга", "Анна"]
    assert all(column(dialog, 2))  # the till's name on every line
    assert "User added" in actions  # the staff made by the fixture
    assert "via: window" in column(dialog, 5)[0]


def test_filters_by_action_and_user(qtbot, log_of_a_day, screen):
    dialog = screen()
    qtbot.waitUntil(lambda: dialog.action.findData("wrong_pin") >= 0)
    dialog.action.setCurrentIndex(dialog.action.findData("wrong_pin"))
    qtbot.waitUntil(lambda: column(dialog, 3) == ["Wrong PIN"])
    dialog.action.setCurrentIndex(0)
    dialog.user.setCurrentIndex(dialog.user.findData("Анна"))
    qtbot.waitUntil(lambda: set(column(dialog, 1)) == {"Анна"})


def test_days_out_of_order_are_said_and_an_empty_day_says_so(qtbot, log_of_a_day, screen):
    from PySide6.QtCore import QDate

    dialog = screen()
    dialog.use_days.setChecked(True)
    dialog.since.setDate(QDate(2001, 1, 10))
    dialog.until.setDate(QDate(2001, 1, 1))
    assert "before the first" in dialog.message.text() and dialog.table.rowCount() == 0
    dialog.until.setDate(QDate(2001, 1, 12))
    qtbot.waitUntil(lambda: "No line" in dialog.message.text())


def test_a_long_log_comes_a_page_at_a_time(qtbot, store, screen):
    ledger, _ = store
    with ledger.db.write() as conn:
        for n in range(PAGE * 2 + 50):
            ledger.audit(conn, "adjust_balance", f"customer {n}", "Мария", {"points": n})
    dialog = screen()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == PAGE)
    assert dialog.more_button.isEnabled()
    dialog.table.verticalScrollBar().setValue(dialog.table.verticalScrollBar().maximum())
    qtbot.waitUntil(lambda: dialog.table.rowCount() == PAGE * 2)
    dialog.more_button.click()
    qtbot.waitUntil(lambda: dialog.complete)
    assert dialog.table.rowCount() >= PAGE * 2 + 50 and not dialog.more_button.isEnabled()
    assert column(dialog, 4)[0] == f"customer {PAGE * 2 + 49}"  # newest first


def test_the_filtered_log_is_saved_as_csv(qtbot, log_of_a_day, screen, tmp_path):
    dialog = screen()
    qtbot.waitUntil(lambda: dialog.action.findData("login") >= 0)
    dialog.action.setCurrentIndex(dialog.action.findData("login"))
    qtbot.waitUntil(lambda: set(column(dialog, 3)) == {"Logged in"})
    wanted = dialog.wanted()
    assert wanted is not None
    dialog.export_to(tmp_path / "log.csv", wanted)
    qtbot.waitUntil(lambda: "saved" in dialog.message.text())
    with (tmp_path / "log.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["Time", "User", "Till", "Action"]
    assert [r[1] for r in rows[1:]] == ["Мария", "Анна"] and {r[3] for r in rows[1:]} == {
        "Logged in"
    }


@pytest.mark.parametrize("role", ["cashier", "senior"])
def test_a_cashier_is_refused_the_log_by_the_service(store, role):
    ledger, people = store
    with pytest.raises(LoyaltyError) as err:
        audit.audit_entries(ledger, people[role])
    assert err.value.code == "not_allowed"
