"""What the till's dialogs share: the error line and OK/Cancel in the window's language."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
)


def error_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setProperty("message", "error")
    return label


def ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    """OK and Cancel in the window's language (Enter and Esc press them)."""
    buttons = QDialogButtonBox()
    ok = buttons.addButton(dialog.tr("OK"), QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setDefault(True)
    buttons.addButton(dialog.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
    return buttons
