"""Card barcode and QR pictures for the screen (python-barcode, qrcode)."""

from __future__ import annotations

import io

import barcode
import qrcode
from barcode.writer import ImageWriter
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from cashier_app.service.cards import is_valid_ean13, qr_payload


def _pixmap(png: bytes) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(png, "PNG")
    return pixmap


def card_barcode(number: str) -> QPixmap:
    kind = "ean13" if is_valid_ean13(number) else "code128"
    code = barcode.get(kind, number[:12] if kind == "ean13" else number, writer=ImageWriter())
    out = io.BytesIO()
    code.write(
        out,
        options={"module_height": 12.0, "font_size": 8, "text_distance": 4.0, "quiet_zone": 3.0},
    )
    return _pixmap(out.getvalue()).scaledToHeight(130, Qt.TransformationMode.SmoothTransformation)


def card_qr(number: str) -> QPixmap:
    image = qrcode.make(qr_payload(number), box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return _pixmap(out.getvalue()).scaledToHeight(130, Qt.TransformationMode.FastTransformation)
