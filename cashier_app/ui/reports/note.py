"""The line under a report that says what happened: reading, written, or why not."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from cashier_app.engine.errors import LoyaltyError
from cashier_app.ui.messages import explain
from cashier_app.ui.theme import DANGER


class ReportNote(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("report_message")
        self.setWordWrap(True)

    def say(self, text: str, error: bool = False) -> None:
        self.setStyleSheet(f"color: {DANGER}; font-weight: 600;" if error else "")
        self.setText(text)

    def failed(self, error: BaseException) -> None:
        """A read or a file that failed: the shop's reason, or, for a bug, a plain line
        here while the application's hook logs the traceback."""
        if not isinstance(error, LoyaltyError):
            self.say(self.tr("The report could not be read; the log has the details."), True)
            raise error
        self.say(explain(error), True)
