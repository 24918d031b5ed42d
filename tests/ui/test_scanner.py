"""The scanner filter on its own: prefix and suffix, settings, what it lets through."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLineEdit

from cashier_app.ui.keyboard import decode_key, layout_back
from cashier_app.ui.scanner import ScannerFilter, ScannerSettings
from tests.ui.conftest import type_keys


def test_the_russian_layout_is_read_back_by_key():
    assert layout_back("ДЩНФДЖ2000123456789") == "LOYAL:2000123456789"
    assert layout_back("Ф1И2") == "A1B2"
    assert layout_back("latte") == "latte"
    assert decode_key("д", native_scan_code=46) == "l"  # X11 keycode of the L key
    assert decode_key("Ж", native_scan_code=47, shift=True) == ":"
    assert decode_key("ф", native_virtual_key=0x41, windows=True) == "a"


def test_prefix_and_suffix_are_stripped_and_required(qtbot, qapp):
    field = QLineEdit()
    qtbot.addWidget(field)
    field.show()
    field.activateWindow()
    field.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    scanner = ScannerFilter(ScannerSettings(prefix="%", suffix="?", min_length=4))
    scanner.install(qapp)
    got: list[str] = []
    scanner.scanned.connect(got.append)
    try:
        type_keys(qtbot, "%12345?", layout="en")
        assert got == ["12345"]
        assert field.text() == ""
        type_keys(qtbot, "123456", layout="en")  # no prefix: not our scanner, so typing
        qtbot.waitUntil(lambda: field.text() == "123456")
        assert got == ["12345"]
    finally:
        qapp.removeEventFilter(scanner)


def test_settings_are_saved_for_the_workstation(tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    ScannerSettings(min_length=9, prefix="]C", suffix="", max_interval_ms=20).save()
    assert ScannerSettings.load() == ScannerSettings(
        min_length=9, prefix="]C", suffix="", max_interval_ms=20
    )
