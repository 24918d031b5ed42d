"""A calm, high-contrast look that reads at 1366×768 and 1920×1080 alike."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

ACCENT = "#1f5fbf"
DANGER = "#b3261e"
OK = "#1e7b34"

STYLE = f"""
QWidget {{ color: #16181d; background: #f6f7f9; }}
QMainWindow, QDialog {{ background: #f6f7f9; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QDateEdit, QPlainTextEdit {{
    background: #ffffff; border: 1px solid #b8bec9; border-radius: 6px; padding: 6px 8px;
    selection-background-color: {ACCENT};
}}
QLineEdit:focus, QComboBox:focus, QDateEdit:focus {{ border: 2px solid {ACCENT}; padding: 5px 7px; }}
QSpinBox {{ padding-right: 22px; }}
QSpinBox::up-button, QSpinBox::down-button {{ width: 20px; border-left: 1px solid #d5d9e0; background: #eef0f4; }}
QSpinBox::up-button {{ subcontrol-position: top right; border-top-right-radius: 6px; }}
QSpinBox::down-button {{ subcontrol-position: bottom right; border-bottom-right-radius: 6px; }}
QSpinBox::up-arrow {{ width: 0; height: 0; border-left: 4px solid transparent; border-right: 4px solid transparent; border-bottom: 5px solid #3d4350; }}
QSpinBox::down-arrow {{ width: 0; height: 0; border-left: 4px solid transparent; border-right: 4px solid transparent; border-top: 5px solid #3d4350; }}
QLineEdit[invalid="true"] {{ border: 2px solid {DANGER}; padding: 5px 7px; }}
QPushButton {{
    background: #ffffff; border: 1px solid #9aa3b2; border-radius: 6px; padding: 8px 14px;
}}
QPushButton:hover {{ background: #eef3fb; }}
QPushButton:disabled {{ color: #9aa3b2; border-color: #d5d9e0; }}
QPushButton[primary="true"] {{ background: {ACCENT}; color: #ffffff; border: none; font-weight: 600; }}
QPushButton[primary="true"]:disabled {{ background: #9fb7dd; }}
QTableView {{
    background: #ffffff; border: 1px solid #d5d9e0; border-radius: 6px;
    gridline-color: #eceef2; selection-background-color: #dbe6f7; selection-color: #16181d;
}}
QHeaderView::section {{
    background: #eceef2; border: none; border-bottom: 1px solid #d5d9e0; padding: 6px; font-weight: 600;
}}
QFrame[panel="true"] {{ background: #ffffff; border: 1px solid #d5d9e0; border-radius: 8px; }}
QLabel[muted="true"] {{ color: #5b6473; background: transparent; }}
QLabel[title="true"] {{ font-size: 15pt; font-weight: 600; background: transparent; }}
QLabel[big="true"] {{ font-size: 26pt; font-weight: 700; background: transparent; }}
QLabel[hint="true"] {{ color: #3d4350; background: #e6e9ee; border-radius: 4px; padding: 2px 6px; }}
QLabel[message="error"] {{ color: {DANGER}; background: transparent; font-weight: 600; }}
QLabel[message="ok"] {{ color: {OK}; background: transparent; font-weight: 600; }}
QLabel {{ background: transparent; }}
QStatusBar {{ background: #e6e9ee; }}
QStatusBar QLabel {{ padding: 0 10px; }}
QProgressBar {{ border: 1px solid #b8bec9; border-radius: 6px; text-align: center; background: #ffffff; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 5px; }}
"""


def apply(app: QApplication) -> None:
    font = QFont()
    font.setFamilies(["Segoe UI", "Noto Sans", "DejaVu Sans", "Arial"])
    font.setPointSize(11)
    app.setFont(font)
    app.setStyleSheet(STYLE)


def set_prop(widget: object, name: str, value: object) -> None:
    """Change a styled property and make the style notice."""
    from PySide6.QtWidgets import QWidget

    assert isinstance(widget, QWidget)
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
