"""Back office → Customers… by keyboard: Return in a filter field applies the filter there
and then, and presses no button of the screen (it used to press Card…, the dialog's first
button, which answered "Select one customer." to a manager who had only typed a search)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cashier_app import service
from cashier_app.ui.customer_base import CustomerBaseScreen


def test_return_in_the_search_applies_it_and_presses_no_button(qtbot, open_window, store):
    ledger, _ = store
    for n in range(3):
        service.register_customer(ledger, f"+7903111220{n}", at=datetime.now(UTC))
    window = open_window("manager")
    window.back_office.actions["customer_base_action"].trigger()
    screen = window.findChild(CustomerBaseScreen)
    assert screen is not None
    qtbot.waitUntil(lambda: screen.model.total == 3, timeout=10000)
    screen.activateWindow()
    screen.filters.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is screen.filters.search)

    qtbot.keyClicks(screen.filters.search, "12201")
    qtbot.keyClick(screen.filters.search, Qt.Key.Key_Return)
    assert screen.model.filter.search == "12201"  # at once, not after the typing settles
    qtbot.waitUntil(lambda: screen.model.total == 1, timeout=10000)
    assert screen.message.text() == ""

    qtbot.keyClick(screen.filters.not_seen, Qt.Key.Key_Return)
    assert screen.message.text() == ""
    assert screen.isVisible()
    screen.close()
