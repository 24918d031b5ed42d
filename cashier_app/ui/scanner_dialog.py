"""Scanner settings with calibration: scan the test code shown (or printed) here, and the
till measures the scanner's pace and learns what it sends before and after each code."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cashier_app.ui.scanner import Calibration, ScannerFilter, ScannerSettings, measured_settings

# Capitals, a colon and digits: the keys for which a scanner presses Shift, as on QR cards.
TEST_CODE = "TEST:2468013579"


class ScannerDialog(QDialog):
    def __init__(self, scanner: ScannerFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scanner = scanner
        self.setWindowTitle(self.tr("Barcode scanner"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Press “Scan the test code”, then scan the code below with the scanner "
                "(from the screen, or printed). The till measures how fast the scanner "
                "types and what it adds before and after each code."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        from cashier_app.ui.codes import card_barcode

        picture = QLabel()
        picture.setObjectName("test_code")
        picture.setPixmap(card_barcode(TEST_CODE))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(picture)
        self.calibrate_button = QPushButton(self.tr("Scan the test code"))
        self.calibrate_button.setObjectName("calibrate")
        self.calibrate_button.clicked.connect(self.start_calibration)
        layout.addWidget(self.calibrate_button)
        self.result_label = QLabel("")
        self.result_label.setObjectName("calibration_result")
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)

        form = QFormLayout()
        s = scanner.settings
        self.interval = QSpinBox()
        self.interval.setObjectName("max_interval")
        self.interval.setRange(5, 200)
        self.interval.setSuffix(self.tr(" ms"))
        self.interval.setValue(s.max_interval_ms)
        self.min_length = QSpinBox()
        self.min_length.setRange(1, 64)
        self.min_length.setValue(s.min_length)
        self.prefix = QLineEdit(s.prefix)
        self.prefix.setObjectName("prefix")
        self.suffix = QLineEdit(s.suffix)
        self.suffix.setObjectName("suffix")
        form.addRow(self.tr("Longest pause between keys"), self.interval)
        form.addRow(self.tr("Shortest code"), self.min_length)
        form.addRow(self.tr("Prefix"), self.prefix)
        form.addRow(self.tr("Suffix"), self.suffix)
        layout.addLayout(form)
        buttons = QDialogButtonBox()
        save = buttons.addButton(self.tr("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        save.setObjectName("scanner_save")
        buttons.addButton(self.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        scanner.calibrated.connect(self._calibrated)
        self.finished.connect(lambda _: self._stop())
        self.setMinimumWidth(560)

    def take_scan(self, code: str) -> bool:
        self.result_label.setText(
            self.tr(
                "A code was read: {code}. Press “Scan the test code” to measure the scanner."
            ).format(code=code[:40])
        )
        return True

    def start_calibration(self) -> None:
        self.scanner.start_calibration()
        self.calibrate_button.setEnabled(False)
        self.result_label.setText(self.tr("Waiting for the scan of the test code…"))

    def _stop(self) -> None:
        self.scanner.stop_calibration()
        self.scanner.calibrated.disconnect(self._calibrated)

    def _calibrated(self, calibration: Calibration) -> None:
        self.calibrate_button.setEnabled(True)
        current = replace(self.scanner.settings, min_length=self.min_length.value())
        found = measured_settings(calibration, TEST_CODE, current)
        if found is None:
            self.result_label.setText(
                self.tr("That was not the test code (read: {code}). Try again.").format(
                    code=calibration.text()[:40]
                )
            )
            return
        gaps = calibration.gaps()
        self.interval.setValue(found.max_interval_ms)
        self.prefix.setText(found.prefix)
        self.suffix.setText(found.suffix)
        self.result_label.setText(
            self.tr(
                "Measured: a key every {typical} ms at most {slowest} ms, ends with {end}. "
                "Save to keep these settings."
            ).format(
                typical=round(sorted(gaps)[len(gaps) // 2]) if gaps else 0,
                slowest=round(max(gaps)) if gaps else 0,
                end=calibration.terminator,
            )
        )

    def settings(self) -> ScannerSettings:
        return ScannerSettings(
            max_interval_ms=self.interval.value(),
            min_length=self.min_length.value(),
            prefix=self.prefix.text(),
            suffix=self.suffix.text(),
        )

    def save(self) -> None:
        settings = self.settings()
        settings.save()
        self.scanner.settings = settings
        self.accept()
