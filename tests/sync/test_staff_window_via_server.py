"""Back office → Staff… on an enrolled till: the form asks the acting user's own PIN, the
change goes through the real central server and the list shows the server's answer;
with the server out of reach the window says so and nothing changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPushButton
from sqlalchemy import update

from cashier_app.service import audit, users
from cashier_app.service.audit import AuditFilter
from cashier_app.storage import schema as t
from cashier_app.ui.staff.dialog import StaffDialog
from cashier_app.ui.staff.forms import StaffForm
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation
from tests.sync.test_staff_via_server import on_server, on_till, shop  # noqa: F401
from tests.ui.conftest import when_modal


@pytest.fixture
def staff_screen(qtbot, shop):  # noqa: F811
    server, ledger = shop
    tasks = TaskManager()
    screen = StaffDialog(Workstation(ledger, users.login(ledger, "Мария", "111111")), tasks)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.table.rowCount() == 3 and screen.enrolled)  # store A's
    yield server, ledger, screen
    tasks.shutdown()


def confirm_with(qtbot, pin: str) -> list[QDialog]:
    def act(form: QDialog) -> None:
        assert isinstance(form, StaffForm) and form.own_pin.isVisibleTo(form)
        form.own_pin.setText(pin)
        qtbot.mouseClick(form.findChild(QPushButton, "staff_form_ok"), Qt.MouseButton.LeftButton)

    return when_modal(StaffForm, act)


def select(screen: StaffDialog, name: str) -> None:
    screen.table.selectRow(next(i for i, m in enumerate(screen.members) if m.name == name))


def test_the_manager_deactivates_a_cashier_through_the_server(qtbot, staff_screen):
    server, ledger, screen = staff_screen
    assert "central server" in screen.intro.text()
    select(screen, "Иван")
    confirm_with(qtbot, "111111")
    screen.active_button.click()
    qtbot.waitUntil(lambda: "deactivated" in screen.message.text())
    assert on_server(server)["Иван"][1] is False and on_till(ledger)["Иван"][1] is False


def test_offline_the_window_says_the_server_is_needed_and_nothing_changes(qtbot, staff_screen):
    server, ledger, screen = staff_screen
    with ledger.db.write() as conn:
        conn.execute(update(t.sync_state).values(server_url="http://127.0.0.1:9"))
    select(screen, "Иван")
    confirm_with(qtbot, "111111")
    screen.active_button.click()
    qtbot.waitUntil(lambda: "not reachable" in screen.message.text())
    assert on_server(server)["Иван"][1] is True and on_till(ledger)["Иван"][1] is True


def test_a_wrong_own_pin_is_counted_on_the_till_and_nothing_is_sent(qtbot, staff_screen):
    server, ledger, screen = staff_screen
    select(screen, "Иван")
    confirm_with(qtbot, "000000")
    screen.active_button.click()
    qtbot.waitUntil(lambda: "Wrong PIN" in screen.message.text())
    assert on_server(server)["Иван"][1] is True
    wrong = audit.audit_entries(ledger, users.OPERATOR, AuditFilter(action="wrong_pin"))
    assert [w.user for w in wrong] == ["Мария"]
