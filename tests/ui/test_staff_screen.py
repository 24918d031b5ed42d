"""Back office → Staff…: a manager adds a cashier, changes a role, resets a PIN and
deactivates a user; refusals are shown in the dialog and change nothing; a cashier does
not see the screen and is refused by the service anyway. Judged by the ledger."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPushButton

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import staff, users
from cashier_app.service.users import Role
from cashier_app.ui.staff.dialog import StaffDialog
from cashier_app.ui.staff.forms import StaffForm
from tests.ui.conftest import when_modal


def roles(ledger) -> dict[str, tuple[Role, bool]]:
    return {m.name: (m.role, m.active) for m in staff.list_staff(ledger, actor=users.OPERATOR)}


@pytest.fixture
def dialog(qtbot, open_window):
    def make(role: str = "manager") -> StaffDialog:
        window = open_window(role)
        screen = StaffDialog(window.ws, window.tasks, window)
        qtbot.addWidget(screen)
        screen.show()
        qtbot.waitUntil(lambda: screen.table.rowCount() == 4)  # Admin and the three
        return screen

    return make


def select(screen: StaffDialog, name: str) -> None:
    row = next(i for i, m in enumerate(screen.members) if m.name == name)
    screen.table.selectRow(row)


def fill(
    qtbot, *, name: str = "", role: Role | None = None, pin: str = "", again: str | None = None
):
    def act(form: QDialog) -> None:
        assert isinstance(form, StaffForm)
        if name:
            form.name.setText(name)  # typed as an input method would: QTest types ASCII only
        if role is not None:
            form.role.setCurrentIndex(form.role.findData(role.value))
        if pin:
            # Set, not typed: QTest's instant keys look like a scanner's burst to the
            # window's scanner filter (a PIN is typed by a person).
            form.pin.setText(pin)
            form.pin_again.setText(pin if again is None else again)
        qtbot.mouseClick(form.findChild(QPushButton, "staff_form_ok"), Qt.MouseButton.LeftButton)

    return when_modal(StaffForm, act)


def test_a_manager_adds_a_cashier_and_changes_role_pin_and_access(qtbot, dialog, store):
    ledger, _ = store
    screen = dialog()
    assert screen.table.item(0, 0).text() == "Admin"
    forms = fill(qtbot, name="Пётр", role=Role.CASHIER, pin="4444")
    screen.add_button.click()
    qtbot.waitUntil(lambda: screen.table.rowCount() == 5)
    assert forms and "Пётр" in screen.message.text()
    assert users.login(ledger, "Пётр", "4444").role is Role.CASHIER

    select(screen, "Анна")
    fill(qtbot, role=Role.SENIOR_CASHIER)
    screen.role_button.click()
    qtbot.waitUntil(lambda: "Senior cashier" in screen.message.text())
    assert roles(ledger)["Анна"][0] is Role.SENIOR_CASHIER

    select(screen, "Анна")
    fill(qtbot, pin="8642")
    screen.pin_button.click()
    qtbot.waitUntil(lambda: "new PIN" in screen.message.text())
    assert users.login(ledger, "Анна", "8642").name == "Анна"

    select(screen, "Анна")
    assert screen.active_button.text() == "Deactivate"
    screen.active_button.click()
    qtbot.waitUntil(lambda: roles(ledger)["Анна"][1] is False)
    qtbot.waitUntil(lambda: screen.table.item(1, 2).text() == "no")
    select(screen, "Анна")
    assert screen.active_button.text() == "Activate"


def test_two_pins_that_differ_change_nothing(qtbot, dialog, store):
    ledger, _ = store
    screen = dialog()
    seen: list[str] = []

    def act(form: QDialog) -> None:
        assert isinstance(form, StaffForm)
        form.name.setText("Пётр")
        form.pin.setText("4444")
        form.pin_again.setText("4445")
        qtbot.mouseClick(form.findChild(QPushButton, "staff_form_ok"), Qt.MouseButton.LeftButton)
        seen.append(form.problem.text())
        form.reject()

    when_modal(StaffForm, act)
    screen.add_button.click()
    assert seen == ["The two PINs differ: type the same PIN twice."]
    assert "Пётр" not in roles(ledger)


def test_a_manager_may_not_touch_the_administrator_and_is_told_so(qtbot, dialog, store):
    ledger, _ = store
    screen = dialog("manager")
    select(screen, "Admin")
    screen.active_button.click()
    qtbot.waitUntil(lambda: "may not" in screen.message.text())
    assert roles(ledger)["Admin"] == (Role.ADMINISTRATOR, True)


def test_the_manager_is_offered_only_the_cashiers_roles(qtbot, dialog):
    screen = dialog("manager")
    offered: list[list[str]] = []

    def act(form: QDialog) -> None:
        assert isinstance(form, StaffForm)
        offered.append([form.role.itemData(i) for i in range(form.role.count())])
        form.reject()

    when_modal(StaffForm, act)
    screen.add_button.click()
    assert offered == [["cashier", "senior_cashier"]]


def test_the_back_office_menu_opens_staff_and_the_audit_log_for_a_manager(qtbot, open_window):
    from cashier_app.ui.audit_log.dialog import AuditLogDialog

    window = open_window("manager")
    actions = window.back_office.actions
    assert actions["staff_action"].isVisible() and actions["audit_log_action"].isVisible()
    opened = when_modal(StaffDialog, lambda d: d.accept())
    actions["staff_action"].trigger()
    assert opened
    opened = when_modal(AuditLogDialog, lambda d: d.accept())
    actions["audit_log_action"].trigger()
    assert opened


@pytest.mark.parametrize("role", ["cashier", "senior"])
def test_a_cashier_sees_neither_screen_and_the_service_refuses_them(open_window, store, role):
    ledger, people = store
    window = open_window(role)
    actions = window.back_office.actions
    assert not actions["staff_action"].isVisible()
    assert not actions["audit_log_action"].isVisible()
    with pytest.raises(LoyaltyError) as err:
        staff.list_staff(ledger, actor=people[role])
    assert err.value.code == "not_allowed"
