"""Card barcode and QR pictures for the screen (python-barcode, qrcode).

Each picture is drawn at the size the window shows it, with every module a whole number of
pixels and no scaling afterwards: a Code 128 drawn at 2.4 px a module and smoothed down to
fit did not decode. The bar patterns come from python-barcode and qrcode; the pixels are ours.
"""

from __future__ import annotations

import io
import os

# python-barcode ships no type information and typeshed has no stubs for it.
import barcode  # type: ignore[import-untyped]
import qrcode  # type: ignore[import-untyped]  # types-qrcode is not among the dev dependencies
from barcode.writer import PATH as _BARCODE_PATH  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont
from PySide6.QtGui import QPixmap

from cashier_app.service.cards import is_valid_ean13, qr_payload

# The registration dialog shows both pictures at their own size, side by side.
PICTURE_HEIGHT = 130
BARCODE_MAX_WIDTH = 360
MIN_MODULE_PX = 2
MAX_MODULE_PX = 4
QUIET_MODULES = 11  # EAN-13 asks 11 on the left, Code 128 10 on each side
QR_BORDER = 4  # the quiet zone QR asks, in modules
_TEXT_BAND = 20  # the number under the bars
_FONT_PX = 14


def _pixmap(image: Image.Image) -> QPixmap:
    out = io.BytesIO()
    image.save(out, format="PNG")
    pixmap = QPixmap()
    pixmap.loadFromData(out.getvalue(), "PNG")
    return pixmap


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = os.path.join(_BARCODE_PATH, "fonts", "DejaVuSansMono.ttf")
    try:
        return ImageFont.truetype(path, _FONT_PX)
    except OSError:
        return ImageFont.load_default()


def barcode_modules(number: str) -> tuple[str, str]:
    """The bars of a card number, one character a module ("1" black), and the text to print
    under them: EAN-13 for a valid EAN-13 number, Code 128 for any other."""
    if is_valid_ean13(number):
        code = barcode.get("ean13", number[:12])
    else:
        code = barcode.get("code128", number)
    modules = "".join(code.build())
    if set(modules) - {"0", "1"}:
        raise ValueError(f"unexpected bar pattern for {number!r}")
    return modules, number


def module_px(modules: int, max_width: int = BARCODE_MAX_WIDTH) -> int:
    """Whole pixels a module: as wide as fits in ``max_width`` with the quiet zones, 2..4."""
    fit = max_width // (modules + 2 * QUIET_MODULES)
    return max(MIN_MODULE_PX, min(MAX_MODULE_PX, fit))


def barcode_image(
    number: str, height: int = PICTURE_HEIGHT, max_width: int = BARCODE_MAX_WIDTH
) -> Image.Image:
    modules, text = barcode_modules(number)
    px = module_px(len(modules), max_width)
    width = (len(modules) + 2 * QUIET_MODULES) * px
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    top, bottom = 4, height - _TEXT_BAND  # bars fill [top, bottom)
    x = QUIET_MODULES * px
    run = 0
    for i, bit in enumerate(modules + "0"):
        if bit == "1":
            run += 1
            continue
        if run:
            start = x + (i - run) * px
            draw.rectangle((start, top, start + run * px - 1, bottom - 1), fill=0)
            run = 0
    draw.text((width // 2, height - 2), text, fill=0, font=_font(), anchor="md")
    return image


def qr_image(number: str, size: int = PICTURE_HEIGHT) -> Image.Image:
    qr = qrcode.QRCode(border=QR_BORDER, box_size=1)
    qr.add_data(qr_payload(number))
    qr.make(fit=True)
    span = qr.modules_count + 2 * QR_BORDER
    qr.box_size = max(1, size // span)
    drawn = qr.make_image().get_image().convert("L")
    side = max(size, drawn.width)
    image = Image.new("L", (side, side), 255)  # white around it only widens the quiet zone
    offset = (side - drawn.width) // 2
    image.paste(drawn, (offset, offset))
    return image


def card_barcode(number: str, height: int = PICTURE_HEIGHT) -> QPixmap:
    return _pixmap(barcode_image(number, height))


def card_qr(number: str, size: int = PICTURE_HEIGHT) -> QPixmap:
    return _pixmap(qr_image(number, size))
