"""The reports window by keyboard: Return on the report list or in a date of the period
presses no button (it used to press the period's ◀, the dialog's first button, so a report
chosen with the arrows and Return showed the month before)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cashier_app.ui.reports.window import ReportsDialog

DAY = date(2026, 3, 18)


def test_return_on_the_list_or_a_date_keeps_the_period(qtbot, open_window):
    window = open_window("manager")
    dialog = ReportsDialog(window.ws, window.tasks, window, today=DAY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.report is not None)
    month = dialog.picker.period()
    assert (month.start, month.end) == (date(2026, 3, 1), date(2026, 3, 31))
    dialog.activateWindow()
    dialog.list.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.list)

    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)  # Points
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.picker.start, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.picker.end, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.report.name == "points")
    assert dialog.picker.period() == month
    assert dialog.report.period is not None
    assert (dialog.report.period.start, dialog.report.period.end) == (month.start, month.end)
    assert dialog.isVisible()
