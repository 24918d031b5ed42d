"""The Qt binding we run on keeps Python's reference counts straight."""

import sys

from PySide6.QtWidgets import QApplication


def test_process_events_does_not_leak_a_reference_to_none(qapp):
    before = sys.getrefcount(None)
    for _ in range(2000):
        QApplication.processEvents()
    assert abs(sys.getrefcount(None) - before) < 100
