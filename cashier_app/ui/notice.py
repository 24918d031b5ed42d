"""A message shown on top of whatever window the cashier is looking at, for a moment."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from cashier_app.ui.theme import DANGER

SHOW_MS = 4000


def show_notice(window: QWidget, text: str) -> QLabel:
    """A banner across the top of ``window`` (a dialog, the login screen): the cashier sees
    it where they are looking, over the fields, and it goes away by itself."""
    old = window.findChild(QLabel, "notice", Qt.FindChildOption.FindDirectChildrenOnly)
    if old is not None:
        old.deleteLater()
    banner = QLabel(text, window)
    banner.setObjectName("notice")
    banner.setWordWrap(True)
    banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
    banner.setStyleSheet(
        f"QLabel {{ background: {DANGER}; color: #ffffff; font-weight: 600;"
        " padding: 10px; border-radius: 6px; }"
    )
    width = max(200, window.width() - 16)
    banner.setFixedWidth(width)
    banner.adjustSize()
    banner.move(8, 8)
    banner.show()
    banner.raise_()
    QTimer.singleShot(SHOW_MS, banner, banner.deleteLater)
    return banner
