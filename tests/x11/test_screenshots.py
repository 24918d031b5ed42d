"""The screens a cashier looks at, on the real X server at 1366×768 with a window manager's
title bar, in English, Russian and Ukrainian: each case checks the window fits the screen
and keeps the pictures. ``CASHIER_SCREENSHOTS=docs/screenshots`` writes them where the
README shows them; otherwise they go to the test's own folder."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.x11.conftest import SCREEN, Till, poll

pytestmark = pytest.mark.x11

ROOT = Path(__file__).resolve().parents[2]
LATTE, CROISSANT = "4600000000015", "4600000000084"


def placement(till: Till, wid: int) -> tuple[int, int, int, int]:
    """Where the window's own area is on the screen (x, y, width, height): below the window
    manager's title bar."""
    conn = till.x.query
    win = conn.create_resource_object("window", wid)
    geo = win.get_geometry()
    at = conn.screen().root.translate_coords(win, 0, 0)
    return int(at.x), int(at.y), int(geo.width), int(geo.height)


@pytest.mark.parametrize(("layout", "lang"), [("us", "en"), ("ru", "ru"), ("ua", "uk")])
def test_the_counter_fits_the_screen_and_is_pictured(fresh_till, tmp_path, layout, lang):
    out = Path(os.environ.get("CASHIER_SCREENSHOTS") or tmp_path)
    if not out.is_absolute():
        out = ROOT / out
    till: Till = fresh_till(layout, lang)
    till.start()
    till.wait_window("dialog", timeout=30)
    poll(lambda: False, timeout=0.5)
    till.x.screenshot(out / f"x11-login-{lang}.png")
    till.login()

    x, y, width, height = placement(till, till.main or 0)
    assert y >= 10, "no title bar above the window"
    assert x >= 0 and x + width <= SCREEN[0] and y + height <= SCREEN[1], (x, y, width, height)

    holder = till.ledger.card_holders(min_balance=Decimal(100))[0]
    before = till.ledger.count_receipts()
    till.scan(f"LOYAL:{holder.number}")
    till.scan(LATTE)
    till.scan(CROISSANT)
    till.key("F6", pause=0.6)
    till.x.screenshot(out / f"x11-checkout-{lang}.png")
    [receipt] = till.pay_cash(before)
    assert receipt.customer_id == holder.customer_id and receipt.redeemed > 0
    poll(lambda: False, timeout=0.5)
    till.x.screenshot(out / f"x11-paid-{lang}.png")

    till.key("Return", pause=0.3)  # the next receipt
    till.key("F3", pause=0.8)  # registration
    dialog = till.wait_window("dialog")
    till.activate(dialog.wid)
    till.type("9001112233", gaps_ms=(60, 90))
    poll(lambda: False, timeout=0.4)
    till.x.screenshot(out / f"x11-registration-{lang}.png")
    till.key("Escape", pause=0.3)
    till.wait_window("dialog", absent=True)
