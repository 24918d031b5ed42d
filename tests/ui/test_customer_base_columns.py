"""The customer base at 1366x768 (our tester saw "ast purchas" and cut card numbers): every
header, a 13-digit card and a date fit their columns, in English and in Russian, and the
columns fit the screen without scrolling sideways."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt

from cashier_app.ui import i18n
from cashier_app.ui.customer_base import CustomerBaseScreen

CARD, DAY = "2000200000013", "31.12.2026"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_headers_cards_and_dates_fit_at_1366x768(qtbot, qapp, open_window, lang):
    i18n.install(qapp, lang)
    try:
        window = open_window("manager")
        window.resize(QSize(1366, 768))
        screen = CustomerBaseScreen(window)
        qtbot.addWidget(screen)
        screen.resize(QSize(1320, 700))
        screen.show()
        qtbot.waitUntil(lambda: screen.model.total is not None, timeout=10000)
        header = screen.table.horizontalHeader()
        titles, cells = header.fontMetrics(), screen.table.fontMetrics()
        for column in range(screen.model.columnCount()):
            title = str(screen.model.headerData(column, Qt.Orientation.Horizontal))
            assert header.sectionSize(column) > titles.horizontalAdvance(title), title
        assert header.sectionSize(2) > cells.horizontalAdvance(CARD)
        for column in (6, 7, 8):
            assert header.sectionSize(column) > cells.horizontalAdvance(DAY)
        assert header.length() <= screen.table.viewport().width()  # no sideways scrolling
    finally:
        i18n.install(qapp, "en")
