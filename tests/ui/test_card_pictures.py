"""The card pictures decode at the size the window shows them: every module is a whole
number of pixels and nothing is scaled afterwards (a Code 128 drawn at 2.4 px a module and
smoothed down to 130 px decoded 0 times in 4)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from cashier_app.ui.codes import PICTURE_HEIGHT, card_barcode, card_qr

EAN13 = ["2000100000014", "4006381333931"]
CODE128 = ["12345678", "987654321012", "2000100000017", "12345678901234567890"]


def decode(pixmap: QPixmap, path: Path) -> list[tuple[str, str]]:
    assert pixmap.save(str(path), "PNG")
    with Image.open(path) as image:
        return [(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)]


def runs(row: list[int]) -> list[int]:
    """Lengths of the runs of equal pixels between the first and the last black one."""
    black = [i for i, v in enumerate(row) if v == 0]
    row = row[black[0] : black[-1] + 1]
    out, count = [], 1
    for a, b in pairwise(row):
        if a == b:
            count += 1
        else:
            out.append(count)
            count = 1
    return [*out, count]


@pytest.mark.parametrize(
    ("number", "kind"), [(n, "EAN13") for n in EAN13] + [(n, "Code128") for n in CODE128]
)
def test_the_card_barcode_decodes_at_the_size_shown(qapp, tmp_path, number, kind):
    pixmap = card_barcode(number)
    assert pixmap.height() == PICTURE_HEIGHT
    assert decode(pixmap, tmp_path / "barcode.png") == [(kind, number)]


@pytest.mark.parametrize("number", EAN13 + CODE128)
def test_the_card_qr_decodes_at_the_size_shown(qapp, tmp_path, number):
    pixmap = card_qr(number)
    assert (pixmap.width(), pixmap.height()) == (PICTURE_HEIGHT, PICTURE_HEIGHT)
    assert decode(pixmap, tmp_path / "qr.png") == [("QRCode", f"LOYAL:{number}")]


@pytest.mark.parametrize("number", EAN13 + CODE128)
def test_bars_are_whole_pixels_with_no_smoothing(qapp, number):
    image = card_barcode(number).toImage()
    row = [image.pixelColor(x, PICTURE_HEIGHT // 2).lightness() for x in range(image.width())]
    assert set(row) == {0, 255}  # no grey from a smooth scale
    widths = runs(row)
    module = min(widths)
    assert module >= 2 and all(w % module == 0 for w in widths)


def test_the_registration_dialog_shows_pictures_that_decode(qtbot, open_window, tmp_path):
    from cashier_app.ui.dialogs import RegistrationDialog

    window = open_window()
    dialog = RegistrationDialog(window.ws, window.tasks, "+79120005566", window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_registration is not None)
    card = dialog.result_registration.card
    assert not dialog.barcode.hasScaledContents() and not dialog.qr.hasScaledContents()
    barcode, qr = dialog.barcode.pixmap(), dialog.qr.pixmap()
    assert barcode.height() == qr.height() == PICTURE_HEIGHT
    assert decode(barcode, tmp_path / "barcode.png") == [("EAN13", card)]
    assert decode(qr, tmp_path / "qr.png") == [("QRCode", f"LOYAL:{card}")]
